import Foundation
import OpenSpecStore
import OpenSpecSync

/// How a procedure is called: tRPC's three kinds.
enum ProcedureKind: String, Sendable {
    /// GET with `?input=`; never changes anything.
    case query
    /// POST with a JSON body; needs the token.
    case mutation
    /// GET answered with a Server-Sent Events stream.
    case subscription
}

/// The procedures: each reads its input, runs the engine on a worker thread
/// and returns its result as JSON.
struct Procedures: Sendable {
    let engine: SyncEngine
    let workers: Workers
    let mapper: ErrorMapper

    static let kinds: [String: ProcedureKind] = [
        "sync.getStatus": .query,
        "sync.forceSync": .mutation,
        "sync.resolveConflict": .mutation,
        "sync.getSyncHistory": .query,
        "sync.subscribe": .subscription,
        "projects.list": .query,
        "specs.list": .query,
        "specs.get": .query,
        "specs.update": .mutation,
        "specs.toggleTask": .mutation,
        "specs.log": .query,
        "specs.rollback": .mutation,
        "conflicts.list": .query,
        "specs.search": .query,
        "specs.render": .query,
        "specs.diff": .query,
        "conflicts.get": .query,
        "mainSpecs.list": .query,
        "mainSpecs.get": .query,
    ]

    /// Runs query or mutation `name`; the result is the JSON of `result.data`.
    func call(_ name: String, input raw: JSONValue?) async throws -> Data {
        switch name {
        case "sync.getStatus": return try await getStatus(raw)
        case "sync.forceSync": return try await forceSync(raw)
        case "sync.resolveConflict": return try await resolveConflict(raw)
        case "sync.getSyncHistory": return try await getSyncHistory(raw)
        case "projects.list":
            _ = try Input(raw, procedure: name, allowed: [])
            return try await read { engine in try encode(engine.status()) }
        case "specs.list": return try await listSpecs(raw)
        case "specs.get": return try await getSpec(raw)
        case "specs.update": return try await updateSpec(raw)
        case "specs.toggleTask": return try await toggleTask(raw)
        case "specs.log": return try await specLog(raw)
        case "specs.rollback": return try await rollback(raw)
        case "conflicts.list": return try await listConflicts(raw)
        case "specs.search": return try await searchSpecs(raw)
        case "specs.render": return try await renderSpec(raw)
        case "specs.diff": return try await diffSpec(raw)
        case "conflicts.get": return try await getConflict(raw)
        case "mainSpecs.list": return try await listMainSpecs(raw)
        case "mainSpecs.get": return try await getMainSpec(raw)
        default: throw TRPCError(.notFound, "no procedure \"\(name)\"")
        }
    }

    // MARK: Running engine calls

    /// Reads run on the reader threads, so 100 readers never wait behind a commit.
    private func read(_ body: @escaping @Sendable (SyncEngine) throws -> Data) async throws -> Data {
        let engine = engine
        return try await workers.read { try body(engine) }
    }

    /// Writes and reconciles hold the project lock and fsync; they get threads of their own.
    private func write(_ body: @escaping @Sendable (SyncEngine) throws -> Data) async throws -> Data {
        let engine = engine
        return try await workers.write { try body(engine) }
    }

    // MARK: sync

    private func getStatus(_ raw: JSONValue?) async throws -> Data {
        let input = try Input(raw, procedure: "sync.getStatus", allowed: ["specId", "projectId"])
        let specKey = try input.identifier("specId")
        let projectKey = try input.identifier("projectId")
        return try await read { engine in
            let scope = try projectKey.map { try engine.project(named: $0).id }
            let spec = try specKey.map { try engine.resolveSpec($0, projectId: scope) }
            let projectId = spec?.projectId ?? scope
            // Only indexed reads: this is what a UI polls.
            let projects = try engine.store.projects().filter { projectId == nil || $0.id == projectId }
            let views = try projects.map { p in
                let counts = try engine.store.writeCounts(projectId: p.id)
                return ProjectSyncStatus(projectId: p.id, project: p.name, lastSyncedAt: p.lastReconciledAt,
                                         lastCommit: p.lastReconciledCommit, syncError: p.lastError,
                                         pendingWrites: counts.pendingWrites, openConflicts: counts.openConflicts,
                                         pendingPaths: p.pendingPathList.count, lastRun: try engine.lastRun(projectId: p.id),
                                         skipped: try engine.skippedPaths(projectId: p.id))
            }
            var specStatus: SpecSyncStatus?
            if let spec {
                let counts = try engine.store.writeCounts(projectId: spec.projectId, specId: spec.id)
                let last = try engine.history(projectId: spec.projectId, specId: spec.id, limit: 1, before: nil).first
                specStatus = SpecSyncStatus(
                    specId: spec.id, changeId: spec.changeId, path: spec.path,
                    project: projects.first?.name ?? spec.projectId, status: spec.status.rawValue,
                    lastSyncedAt: spec.lastSyncedAt, lastCommit: projects.first?.lastReconciledCommit,
                    syncError: spec.syncError, pendingWrites: counts.pendingWrites,
                    openConflicts: counts.openConflicts, lastHistory: last)
            }
            return try encode(StatusReply(projects: views, spec: specStatus))
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
                // Edits waiting to be written go first, as `openspec-sync reconcile` does.
                let outcomes = (try? engine.flushPendingWrites(project: project, trigger: SyncTrigger.manual.rawValue)) ?? []
                for case let .pending(reason) in outcomes { waiting.append(mapper.scrub(reason)) }
                // A named change is read and compared whatever the stat cache says.
                let options = ReconcileOptions(full: full, trigger: SyncTrigger.manual.rawValue,
                                               maxFileBytes: Configuration.maxFileBytes(),
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
        return try await write { engine in
            let scope = try projectKey.map { try engine.project(named: $0).id }
            let spec = try engine.resolveSpec(specKey, projectId: scope)
            let chosen: ConflictView
            do {
                chosen = try engine.openConflict(of: spec, id: conflictId)
            } catch SyncError.severalConflicts(_, let ids) {
                throw TRPCError(.badRequest, "sync.resolveConflict: \(spec.changeId) has \(ids.count) open conflicts (\(ids.map { "#\($0)" }.joined(separator: ", "))); name one with conflictId")
            }
            guard let outcome = try engine.resolveConflict(chosen.id, resolution: resolution) else {
                return try encode(WriteReport(outcome: "resolved", conflictId: chosen.id))
            }
            return try encode(try reply(outcome, engine: engine, resolved: chosen.id))
        }
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
        let input = try Input(raw, procedure: "specs.list", allowed: ["projectId", "status", "search"])
        let projectKey = try input.identifier("projectId")
        let status = try input.choice("status", ["active", "archived", "removed", "all"]) ?? "active"
        let search = try input.string("search", maxBytes: 256)?.lowercased()
        return try await read { engine in
            let scope = try projectKey.map { try engine.project(named: $0).id }
            let statuses: Set<SpecStatus>? = status == "all" ? nil : [SpecStatus(rawValue: status)!]
            var changes = try engine.listChanges(projectId: scope, statuses: statuses)
            if let search {
                changes = changes.filter { $0.changeId.lowercased().contains(search) || $0.title.lowercased().contains(search) }
            }
            return try encode(changes)
        }
    }

    private func getSpec(_ raw: JSONValue?) async throws -> Data {
        let input = try Input(raw, procedure: "specs.get", allowed: ["specId", "projectId"])
        let specKey = try input.requiredIdentifier("specId")
        let projectKey = try input.identifier("projectId")
        return try await read { engine in
            let scope = try projectKey.map { try engine.project(named: $0).id }
            let spec = try engine.resolveSpec(specKey, projectId: scope)
            let rows = try engine.store.specFiles(specId: spec.id, withContent: true)
            let detail = try engine.detail(of: spec, files: rows)
            // Each file with its text, and its blob id as `version`: what specs.update takes as baseVersion.
            let files = rows.map { file in
                SpecFileReply(path: file.path, version: file.blobId, blobId: file.blobId, size: file.size, isUTF8: file.isUTF8,
                              content: file.content.flatMap { String(validating: [UInt8]($0), as: UTF8.self) })
            }
            return try encode(SpecReply(detail: detail, files: files))
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
        return try await write { engine in
            let scope = try projectKey.map { try engine.project(named: $0).id }
            let spec = try engine.resolveSpec(specKey, projectId: scope)
            let outcome = try engine.edit(spec: spec, file: file, content: Array(content.utf8),
                                          expecting: ExpectedVersion(blobId: base))
            return try encode(try reply(outcome, engine: engine))
        }
    }

    private func toggleTask(_ raw: JSONValue?) async throws -> Data {
        let input = try Input(raw, procedure: "specs.toggleTask", allowed: ["specId", "task", "done", "projectId"])
        let specKey = try input.requiredIdentifier("specId")
        guard let task = try input.identifier("task") else {
            throw TRPCError(.badRequest, "specs.toggleTask: task is required: its written number as a string (\"1.2\") or \"#N\" for the Nth checkbox")
        }
        let done = try input.requiredBool("done")
        let projectKey = try input.identifier("projectId")
        return try await write { engine in
            let scope = try projectKey.map { try engine.project(named: $0).id }
            let spec = try engine.resolveSpec(specKey, projectId: scope)
            return try encode(try reply(try engine.toggleTask(spec: spec, task: task, done: done), engine: engine))
        }
    }

    private func specLog(_ raw: JSONValue?) async throws -> Data {
        let input = try Input(raw, procedure: "specs.log", allowed: ["specId", "limit", "projectId"])
        let specKey = try input.requiredIdentifier("specId")
        let limit = Int(try input.integer("limit", in: 1...10_000) ?? 50)
        let projectKey = try input.identifier("projectId")
        return try await read { engine in
            let scope = try projectKey.map { try engine.project(named: $0).id }
            return try encode(try engine.log(spec: engine.resolveSpec(specKey, projectId: scope), limit: limit))
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
            let scope = try projectKey.map { try engine.project(named: $0).id }
            let spec = try engine.resolveSpec(specKey, projectId: scope)
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
    /// a CONFLICT error that names the kept edit.
    private func reply(_ outcome: WriteOutcome, engine: SyncEngine, resolved: Int64? = nil) throws -> WriteReport {
        switch outcome {
        case let .written(commit):
            return WriteReport(outcome: "written", commit: commit, conflictId: resolved)
        case .unchanged:
            return WriteReport(outcome: "unchanged", conflictId: resolved)
        case let .pending(reason):
            return WriteReport(outcome: "pending", reason: mapper.scrub(reason), conflictId: resolved)
        case let .conflict(id):
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

// MARK: Replies

/// `specs.get`: `show --json`, with each file's content and version.
struct SpecReply: Encodable {
    var detail: SpecDetail
    var files: [SpecFileReply]
    func encode(to encoder: Encoder) throws {
        try detail.encode(to: encoder)
        // The same object: `files` replaces the detail's list, which has no content.
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(files, forKey: .files)
    }
    enum CodingKeys: String, CodingKey { case files }
}

struct SpecFileReply: Encodable {
    var path: String
    var version: String
    var blobId: String
    var size: Int
    var isUTF8: Bool
    /// Null when the file is not UTF-8 (or was over the size cap).
    var content: String?
    func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(path, forKey: .path)
        try container.encode(version, forKey: .version)
        try container.encode(blobId, forKey: .blobId)
        try container.encode(size, forKey: .size)
        try container.encode(isUTF8, forKey: .isUTF8)
        try container.encode(content, forKey: .content)
    }
    enum CodingKeys: String, CodingKey { case path, version, blobId, size, isUTF8, content }
}

/// `sync.getStatus` for one project.
struct ProjectSyncStatus: Encodable {
    var projectId: String
    var project: String
    var lastSyncedAt: Date?
    var lastCommit: String?
    var syncError: String?
    var pendingWrites: Int
    var openConflicts: Int
    var pendingPaths: Int
    var lastRun: HistoryItem?
    /// Paths left out on purpose: a name that is not UTF-8, a submodule.
    var skipped: [SkippedPath]
}

/// `sync.getStatus` for one change.
struct SpecSyncStatus: Encodable {
    var specId: String
    var changeId: String
    var path: String
    var project: String
    var status: String
    var lastSyncedAt: Date?
    var lastCommit: String?
    var syncError: String?
    var pendingWrites: Int
    var openConflicts: Int
    var lastHistory: HistoryItem?
}

struct StatusReply: Encodable {
    var projects: [ProjectSyncStatus]
    var spec: SpecSyncStatus?
    func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(projects, forKey: .projects)
        try container.encode(spec, forKey: .spec)  // null, not absent, without specId
    }
    enum CodingKeys: String, CodingKey { case projects, spec }
}

struct ForceSyncReply: Encodable {
    var summaries: [ReconcileSummary]
    /// Edits that still wait to be written, with why.
    var waitingEdits: [String]
}

