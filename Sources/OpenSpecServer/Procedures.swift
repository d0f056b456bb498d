import Foundation
import OpenSpecStore
import OpenSpecSync

/// The procedures: each reads its input, runs the engine on a worker thread
/// and returns its result as JSON.
struct Procedures: Sendable {
    let engine: SyncEngine
    let workers: EngineWorkers
    let mapper: ErrorMapper

    /// The queries and mutations of this file: adding one is one entry.
    static let core: [Procedure] = [
        .query("sync.getStatus", Procedures.getStatus),
        .mutation("sync.forceSync", Procedures.forceSync),
        .mutation("sync.resolveConflict", Procedures.resolveConflict),
        .query("sync.getSyncHistory", Procedures.getSyncHistory),
        .query("projects.list", Procedures.listProjects),
        .query("specs.list", Procedures.listSpecs),
        .query("specs.get", Procedures.getSpec),
        .mutation("specs.update", Procedures.updateSpec),
        .mutation("specs.toggleTask", Procedures.toggleTask),
        .query("specs.log", Procedures.specLog),
        .mutation("specs.rollback", Procedures.rollback),
        .query("conflicts.list", Procedures.listConflicts),
    ]

    // MARK: Running engine calls

    /// Reads run on the reader threads, so 100 readers never wait behind a
    /// commit. In a conditional reply the counter is read first, and no
    /// body is made when the client's copy still holds.
    func read(_ body: @escaping @Sendable (SyncEngine) throws -> Data) async throws -> Data {
        let engine = engine
        let tag = ReadTag.current
        return try await workers.read {
            if let tag, tag.record(counter: try engine.store.changeCounter()) { return Data() }
            return try body(engine)
        }
    }

    /// A read whose reads all come from one snapshot of the store: one read
    /// transaction, and a reply that shows one state. In a conditional
    /// reply the tag's counter is read in the same snapshot.
    func snapshotRead(_ body: @escaping @Sendable (SyncEngine, any StoreReads) throws -> Data) async throws -> Data {
        let engine = engine
        let tag = ReadTag.current
        return try await workers.read {
            try engine.store.snapshot { reads in
                if let tag, tag.record(counter: try reads.changeCounter()) { return Data() }
                return try body(engine, reads)
            }
        }
    }

    /// Writes and reconciles hold the project lock and fsync; they get threads of their own.
    func write(_ body: @escaping @Sendable (SyncEngine) throws -> Data) async throws -> Data {
        let engine = engine
        return try await workers.write { try body(engine) }
    }

    /// An edit: `start` on a write thread, and its reply made there when it
    /// finished. One queued for the host that owns its project is waited for
    /// here instead, a look at a time on a reader thread, so edits waiting
    /// for an owner that is down never hold the write threads the others need.
    /// `start` hands `reply` what else it needs (`context`).
    func edit<Context: Sendable>(_ start: @escaping @Sendable (SyncEngine) throws -> (EditStart?, Context),
                                 reply: @escaping @Sendable (WriteOutcome?, Context, SyncEngine) throws -> Data) async throws -> Data {
        let engine = engine
        let begun = try await workers.write { () throws -> EditBegun<Context> in
            let (started, context) = try start(engine)
            switch started {
            case let .queued(edit)?: return .queued(edit, context)
            case let .finished(outcome)?: return .done(try reply(outcome, context, engine))
            case nil: return .done(try reply(nil, context, engine))
            }
        }
        switch begun {
        case let .done(data):
            return data
        case let .queued(edit, context):
            var pauses = QueuedEditPauses()
            while true {
                if let outcome = try await workers.read({ try engine.outcome(of: edit) }) {
                    return try await workers.read { try reply(outcome, context, engine) }
                }
                try await Task.sleep(for: .seconds(pauses.next(before: edit.deadline)))
            }
        }
    }

    // MARK: projects

    private func listProjects(_ raw: JSONValue?) async throws -> Data {
        _ = try Input(raw, procedure: "projects.list", allowed: [])
        return try await snapshotRead { engine, reads in StatusReplyJSON.write(try engine.status(reading: reads)) }
    }

    // MARK: sync

    private func getStatus(_ raw: JSONValue?) async throws -> Data {
        let input = try Input(raw, procedure: "sync.getStatus", allowed: ["specId", "projectId"])
        let specKey = try input.identifier("specId")
        let projectKey = try input.identifier("projectId")
        return try await snapshotRead { engine, reads in
            let scope = try projectKey.map { try engine.project(named: $0, reading: reads).id }
            let spec = try specKey.map { try engine.resolveSpec($0, projectId: scope, reading: reads) }
            let projectId = spec?.projectId ?? scope
            // Only indexed reads: this is what a UI polls.
            let projects = try reads.projects().filter { projectId == nil || $0.id == projectId }
            let views = try projects.map { p in
                let counts = try reads.writeCounts(projectId: p.id)
                return ProjectSyncStatus(projectId: p.id, project: p.name, lastSyncedAt: p.lastReconciledAt,
                                         lastCommit: p.lastReconciledCommit, syncError: p.lastError,
                                         pendingWrites: counts.pendingWrites, openConflicts: counts.openConflicts,
                                         pendingPaths: p.pendingPathList.count, lastRun: try engine.lastRun(projectId: p.id, reading: reads),
                                         skipped: try engine.skippedPaths(projectId: p.id, reading: reads))
            }
            var specStatus: SpecSyncStatus?
            if let spec {
                let counts = try reads.writeCounts(projectId: spec.projectId, specId: spec.id)
                let last = try engine.history(projectId: spec.projectId, specId: spec.id, limit: 1, before: nil, reading: reads).first
                specStatus = SpecSyncStatus(
                    specId: spec.id, changeId: spec.changeId, path: spec.path,
                    project: projects.first?.name ?? spec.projectId, status: spec.status.rawValue,
                    lastSyncedAt: spec.lastSyncedAt, lastCommit: projects.first?.lastReconciledCommit,
                    syncError: spec.syncError, pendingWrites: counts.pendingWrites,
                    openConflicts: counts.openConflicts, lastHistory: last)
            }
            return StatusReplyJSON.write(StatusReply(projects: views, spec: specStatus))
        }
    }

    private func forceSync(_ raw: JSONValue?) async throws -> Data {
        let input = try Input(raw, procedure: "sync.forceSync", allowed: ["specId", "projectId", "full"])
        let specKey = try input.identifier("specId")
        let projectKey = try input.identifier("projectId")
        let full = try input.bool("full") ?? false
        let mapper = mapper
        return try await write { engine in
            let scope = try projectKey.map { try engine.project(named: $0) }
            let spec = try specKey.map { try engine.resolveSpec($0, projectId: scope?.id) }
            let projects: [ProjectRecord]
            if let spec {
                guard let project = try engine.store.project(id: spec.projectId) else { throw SyncError.unknownProject(spec.projectId) }
                projects = [project]
            } else if let scope {
                projects = [scope]
            } else {
                projects = try engine.store.projects()
            }
            var summaries: [ReconcileSummary] = []
            var waiting: [String] = []
            for project in projects {
                // Every project: those this host owns; one named: its owner must be this host.
                if spec == nil, scope == nil, !(try engine.role(in: project).isOwner) { continue }
                // Edits waiting to be written go first, as `openspec-sync reconcile` does.
                let outcomes = (try? engine.flushPendingWrites(project: project, trigger: .manual)) ?? []
                for case let .pending(reason) in outcomes { waiting.append(mapper.scrub(reason)) }
                // A named change is read and compared whatever the stat cache says.
                let options = ReconcileOptions(full: full, trigger: .manual,
                                               maxFileBytes: engine.maxFileBytes,
                                               recheck: spec.map { [$0.path] } ?? [])
                if case let .ran(runs) = try engine.reconcileExclusively(project, options: options, mode: .wait) {
                    summaries += runs.map { run in
                        var run = run
                        for index in run.problems.indices { run.problems[index].message = mapper.scrub(run.problems[index].message) }
                        return run
                    }
                }
            }
            return try encode(ForceSyncReply(summaries: summaries, waitingEdits: waiting))
        }
    }

    private func resolveConflict(_ raw: JSONValue?) async throws -> Data {
        let input = try Input(raw, procedure: "sync.resolveConflict", allowed: ["specId", "resolution", "conflictId", "projectId"])
        let specKey = try input.requiredIdentifier("specId")
        guard let resolutionWord = try input.choice("resolution", ConflictResolution.allCases.map(\.rawValue)),
              let resolution = ConflictResolution(rawValue: resolutionWord) else {
            throw TRPCError(.badRequest, "sync.resolveConflict: resolution is required: \"filesystem\" keeps the file, \"reapply\" writes the kept edit over it")
        }
        let conflictId = try input.integer("conflictId", in: 1...Int64.max)
        let projectKey = try input.identifier("projectId")
        return try await edit({ engine in
            let spec = try engine.resolveSpec(specKey, inProjectNamed: projectKey)
            let conflict: ConflictView
            do {
                conflict = try engine.openConflict(of: spec, id: conflictId)
            } catch SyncError.severalConflicts(_, let ids) {
                throw TRPCError(.badRequest, "sync.resolveConflict: \(spec.changeId) has \(ids.count) open conflicts (\(ids.map { "#\($0)" }.joined(separator: ", "))); name one with conflictId")
            }
            return (try engine.startResolvingConflict(conflict.id, resolution: resolution), conflict.id)
        }, reply: { outcome, id, engine in try encode(try reply(outcome, engine: engine, resolved: id)) })
    }

    private func getSyncHistory(_ raw: JSONValue?) async throws -> Data {
        let input = try Input(raw, procedure: "sync.getSyncHistory", allowed: ["specId", "projectId", "limit", "cursor"])
        let specKey = try input.identifier("specId")
        let projectKey = try input.identifier("projectId")
        let limit = Int(try input.integer("limit", in: 1...1000) ?? 20)
        let cursor = try input.integer("cursor", in: 1...Int64.max)
        return try await read { engine in
            let scope = try projectKey.map { try engine.project(named: $0).id }
            let specId = try specKey.map { try engine.resolveSpec($0, projectId: scope).id }
            return try encode(try engine.historyPage(projectId: scope, specId: specId, limit: limit, cursor: cursor))
        }
    }

    // MARK: specs

    private func listSpecs(_ raw: JSONValue?) async throws -> Data {
        let input = try Input(raw, procedure: "specs.list", allowed: ["projectId", "status", "search", "limit", "cursor"])
        let projectKey = try input.identifier("projectId")
        let status = try input.choice("status", ["active", "archived", "removed", "all"]) ?? "active"
        let search = try input.string("search", maxBytes: 256)?.lowercased()
        let limit = Int(try input.integer("limit", in: 1...1000) ?? 100)
        let cursor = try input.string("cursor", maxBytes: 4096).map { text in
            guard let key = ChangeCursor.key(text) else {
                throw TRPCError(.badRequest, "specs.list: cursor is not one this server gave; pass a nextCursor from an earlier page, or none for the first")
            }
            return key
        }
        return try await read { engine in
            let scope = try projectKey.map { try engine.project(named: $0).id }
            let statuses: Set<SpecStatus>? = status == "all" ? nil : [SpecStatus(rawValue: status)!]
            return try encode(try engine.changePage(projectId: scope, statuses: statuses, search: search,
                                                    after: cursor, limit: limit))
        }
    }

    private func getSpec(_ raw: JSONValue?) async throws -> Data {
        let input = try Input(raw, procedure: "specs.get", allowed: ["specId", "projectId"])
        let specKey = try input.requiredIdentifier("specId")
        let projectKey = try input.identifier("projectId")
        return try await snapshotRead { engine, reads in
            let spec = try engine.resolveSpec(specKey, inProjectNamed: projectKey, reading: reads)
            let rows = try reads.specFiles(specId: spec.id, withContent: true)
            let detail = try engine.detail(of: spec, files: rows, reading: reads)
            // Each file with its text, and its blob id as `version`: what specs.update takes as baseVersion.
            let files = rows.map { file in
                SpecFileReply(path: file.path, version: file.blobId, blobId: file.blobId, size: file.size, isUTF8: file.isUTF8,
                              content: file.content.flatMap { String(validating: [UInt8]($0), as: UTF8.self) })
            }
            return SpecReplyJSON.write(detail, files: files)
        }
    }

    private func updateSpec(_ raw: JSONValue?) async throws -> Data {
        let input = try Input(raw, procedure: "specs.update", allowed: ["specId", "file", "content", "baseVersion", "projectId"])
        let specKey = try input.requiredIdentifier("specId")
        guard case let .string(file)? = input.raw("file") else {
            throw TRPCError(.badRequest, "specs.update: file is required: a path relative to the change folder, such as tasks.md or specs/auth/spec.md")
        }
        // Refused before any path is built from it.
        try SyncEngine.checkWritePath(file)
        let content = try input.content("content")
        guard input.has("baseVersion") else {
            throw TRPCError(.badRequest, "specs.update: baseVersion is required: the file's version from specs.get, or null for a new file")
        }
        let base: String?
        switch input.raw("baseVersion") {
        case nil: base = nil
        case let .string(text)? where Self.isBlobId(text): base = text.lowercased()
        default:
            throw TRPCError(.badRequest, "specs.update: baseVersion must be the file's version from specs.get (a 40-character hex id), or null for a new file")
        }
        let projectKey = try input.identifier("projectId")
        return try await edit({ engine in
            let spec = try engine.resolveSpec(specKey, inProjectNamed: projectKey)
            return (try engine.startEdit(spec: spec, file: file, content: Array(content.utf8), expecting: ExpectedVersion(blobId: base)), ())
        }, reply: { outcome, _, engine in try encode(try reply(outcome, engine: engine)) })
    }

    private func toggleTask(_ raw: JSONValue?) async throws -> Data {
        let input = try Input(raw, procedure: "specs.toggleTask", allowed: ["specId", "task", "done", "projectId"])
        let specKey = try input.requiredIdentifier("specId")
        guard let task = try input.identifier("task") else {
            throw TRPCError(.badRequest, "specs.toggleTask: task is required: its written number as a string (\"1.2\") or \"#N\" for the Nth checkbox")
        }
        let done = try input.requiredBool("done")
        let projectKey = try input.identifier("projectId")
        return try await edit({ engine in
            let spec = try engine.resolveSpec(specKey, inProjectNamed: projectKey)
            return (try engine.startToggleTask(spec: spec, task: task, done: done), ())
        }, reply: { outcome, _, engine in try encode(try reply(outcome, engine: engine)) })
    }

    private func specLog(_ raw: JSONValue?) async throws -> Data {
        let input = try Input(raw, procedure: "specs.log", allowed: ["specId", "limit", "projectId"])
        let specKey = try input.requiredIdentifier("specId")
        let limit = Int(try input.integer("limit", in: 1...10_000) ?? 50)
        let projectKey = try input.identifier("projectId")
        return try await read { engine in
            return try encode(try engine.log(spec: engine.resolveSpec(specKey, inProjectNamed: projectKey), limit: limit))
        }
    }

    private func rollback(_ raw: JSONValue?) async throws -> Data {
        let input = try Input(raw, procedure: "specs.rollback", allowed: ["specId", "to", "projectId"])
        let specKey = try input.requiredIdentifier("specId")
        guard let revision = try input.identifier("to") else {
            throw TRPCError(.badRequest, "specs.rollback: to is required: the commit to restore the change to (an id from specs.log)")
        }
        // A commit id or a plain revision (HEAD~2, a branch): never an option or a path.
        guard revision.utf8.count <= 256, !revision.hasPrefix("-"), !revision.contains(".."),
              revision.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F && $0 != "\\" && $0 != ":" }) else {
            throw TRPCError(.badRequest, "specs.rollback: to must be a commit id from specs.log (or a revision such as HEAD~1)")
        }
        let projectKey = try input.identifier("projectId")
        return try await write { engine in
            let spec = try engine.resolveSpec(specKey, inProjectNamed: projectKey)
            let result = try engine.rollback(spec: spec, to: revision)
            if result.outcome == .conflict {
                // As for an edit: the files won, nothing was written, the target's versions are kept.
                throw TRPCError(.conflict, "rolling back would overwrite \(result.conflictPaths.joined(separator: ", ")), changed on disk since the last sync or not committed, so nothing was written; the versions at \(result.target.prefix(12)) are kept as conflicts (conflicts.list); commit or discard those changes and roll back again",
                                extra: ["conflictIds": .array(result.conflictIds.map { .number(Double($0)) }),
                                        "conflictPaths": .array(result.conflictPaths.map { .string($0) })])
            }
            return try encode(result)
        }
    }

    // MARK: conflicts

    private func listConflicts(_ raw: JSONValue?) async throws -> Data {
        let input = try Input(raw, procedure: "conflicts.list", allowed: ["projectId", "specId", "includeResolved"])
        let projectKey = try input.identifier("projectId")
        let specKey = try input.identifier("specId")
        let includeResolved = try input.bool("includeResolved") ?? false
        return try await read { engine in
            let scope = try projectKey.map { try engine.project(named: $0).id }
            let specId = try specKey.map { try engine.resolveSpec($0, projectId: scope).id }
            return try encode(try engine.conflicts(projectId: scope, specId: specId, includeResolved: includeResolved))
        }
    }

    // MARK: Helpers

    /// What became of an edit: written and pending are results; a conflict is
    /// a CONFLICT error that names the kept edit; none, conflict `resolved`
    /// was closed keeping the file.
    private func reply(_ outcome: WriteOutcome?, engine: SyncEngine, resolved: Int64? = nil) throws -> WriteReport {
        switch outcome {
        case nil:
            return WriteReport(outcome: "resolved", conflictId: resolved)
        case let .written(commit)?:
            return WriteReport(outcome: "written", commit: commit, conflictId: resolved)
        case .unchanged?:
            return WriteReport(outcome: "unchanged", conflictId: resolved)
        case let .pending(reason)?:
            return WriteReport(outcome: "pending", reason: mapper.scrub(reason), conflictId: resolved)
        case let .conflict(id)?:
            let reason = try engine.store.conflict(id: id)?.reason.map { mapper.scrub($0) }
                ?? "the file changed on disk since the last sync"
            throw TRPCError(.conflict, "\(reason), so the file was kept; your edit is saved as conflict #\(id): conflicts.list shows it, and sync.resolveConflict with resolution \"reapply\" writes it over the file",
                            extra: ["conflictId": .number(Double(id))])
        }
    }

    static func isBlobId(_ text: String) -> Bool {
        (text.utf8.count == 40 || text.utf8.count == 64) && text.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0 | 0x20) }
    }
}

/// JSON as the API sends it: ISO 8601 dates, slashes unescaped.
func encode<T: Encodable>(_ value: T) throws -> Data {
    let encoder = JSONEncoder()
    encoder.dateEncodingStrategy = .iso8601
    encoder.outputFormatting = [.withoutEscapingSlashes]
    return try encoder.encode(value)
}

/// How an edit's first step on a write thread ended: its reply made, or
/// queued for the host that owns its project.
private enum EditBegun<Context: Sendable>: Sendable {
    case done(Data)
    case queued(QueuedEdit, Context)
}
