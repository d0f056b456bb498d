import Foundation
import OpenSpecFormat
import OpenSpecGit
import OpenSpecStore
#if canImport(Glibc)
import Glibc
#endif

/// What became of an edit made through the database.
public enum WriteOutcome: Sendable, Equatable {
    /// On disk and committed.
    case written(commit: String)
    /// Applied, and the file already was so: nothing written or committed.
    case unchanged
    /// Kept in the database, to be written when the repository allows it (the reason says why not yet).
    case pending(reason: String)
    /// The file changed since the last sync: the file won, the edit is kept as this conflict.
    case conflict(id: Int64)
}

/// The version of a file an edit was made against: the git blob id of the
/// content as last synced (`SpecDetail.File.blobId`), or nil for a file that
/// did not exist. An edit whose version is no longer current is refused
/// before anything is stored.
public struct ExpectedVersion: Sendable, Equatable {
    public var blobId: String?
    public init(blobId: String?) { self.blobId = blobId }
}

/// The identity of the commits this tool makes.
public enum SyncCommit {
    public static let author = Signature(name: "openspec-sync", email: "openspec-sync@localhost")
    /// Backup folders kept per repository; older ones are deleted after each write.
    public static let backupsKept = 200
    /// Failed attempts (other than a merge or index.lock waiting) after which an edit is kept as a conflict.
    public static let maxFailedAttempts = 10
}

extension SyncEngine {
    // MARK: Edits

    /// Replaces the file `file` (relative to the change folder) of `spec` with
    /// `content`, exactly these bytes. The edit is stored first, then written
    /// and committed at once when the repository allows; otherwise it waits
    /// (see `flushPendingWrites`). With other edits of the file waiting, it
    /// is made on top of them (their result is its base) unless `expected`
    /// names the file as last synced.
    public func edit(spec: SpecSummary, file: String, content: [UInt8],
                     trigger: String = SyncTrigger.userEdit.rawValue,
                     expecting expected: ExpectedVersion? = nil) throws -> WriteOutcome {
        // Nothing is queued for a path that could never be written.
        try WritePath.validate(file)
        let limit = maxFileBytes
        if content.count > limit { throw SyncError.contentTooLarge(path: file, size: content.count, limit: limit) }
        let project = try writableProject(spec: spec, file: file)
        let writeId = try store.write { w in
            // Read inside the write transaction, so no other edit can land between the check and the queueing.
            let synced = try w.specFileBlobId(specId: spec.id, path: file)
            let waiting = try w.pendingWrites(specId: spec.id, path: file)
            var base = synced
            if !waiting.isEmpty {
                let bytes = try w.specFileContent(specId: spec.id, path: file).map { [UInt8]($0) }
                base = EditQueue(writes: waiting).apply(to: bytes).bytes.map { Repository.hashBlob($0).hex }
            }
            if let expected, expected.blobId != base && expected.blobId != synced {
                throw SyncError.staleVersion(path: file, expected: expected.blobId, current: base)
            }
            return try w.insertPendingWrite(projectId: project.id, specId: spec.id, path: file, operation: .replace,
                                            content: Data(content), baseBlobId: expected?.blobId ?? base, at: Date())
        }
        Trace.mark("edit stored")
        return try underLock(project) { try outcome(of: writeId, in: attemptFile(specId: spec.id, path: file, trigger: trigger)) }
    }

    /// Ticks (`done`) or unticks one task of the change's task files (the
    /// schema's `apply.tracks`, `tasks.md` by default) by changing only its
    /// marker, in the file as it is when written (after the edits of it that
    /// wait before this one): every other byte (line endings, BOM, a missing
    /// final newline) stays. `task` is a written number such as `1.2` (the
    /// first such task, the files taken in glob order), or `#N` for the Nth
    /// checkbox counted through the files in that order; only the file that
    /// holds it is written and committed.
    public func toggleTask(spec: SpecSummary, task: String, done: Bool,
                           trigger: String = SyncTrigger.userEdit.rawValue) throws -> WriteOutcome {
        let taskFiles = try self.taskFiles(of: spec)
        let project = try writableProject(spec: spec, file: taskFiles[0])
        let folder = try store.specPlace(id: spec.id).map { project.repoPath + "/" + project.openspecPath + "/" + $0.path }
        let (writeId, file) = try store.write { w -> (Int64, String) in
            // The task must exist in its file as the edits waiting before it
            // leave it; with none waiting, in the file on disk, which the toggle
            // is applied to (read plainly: the copy in the database is the
            // costlier read of a large file), or else as last synced.
            func onDisk(_ file: String) throws -> [UInt8]? {
                guard try w.pendingWrites(specId: spec.id, path: file).isEmpty, let folder else { return nil }
                return (try? writeFileSystem.readIfPresent(folder + "/" + file)) ?? nil
            }
            func queued(_ file: String) throws -> [UInt8]? {
                let waiting = try w.pendingWrites(specId: spec.id, path: file)
                guard let synced = try w.specFileContent(specId: spec.id, path: file).map({ [UInt8]($0) }) else { return nil }
                return waiting.isEmpty ? synced : EditQueue(writes: waiting).apply(to: synced).bytes
            }
            guard let found = try TaskAddress.locate(task, files: taskFiles, bytes: { try onDisk($0) ?? queued($0) })
                    ?? TaskAddress.locate(task, files: taskFiles, bytes: queued) else {
                throw SyncError.unknownTask(spec: spec.changeId, task: task, files: taskFiles)
            }
            Trace.mark("toggle: task found")
            let id = try w.insertPendingWrite(projectId: project.id, specId: spec.id, path: found.file, operation: .toggleTask,
                                              content: Data(), baseBlobId: try w.specFileBlobId(specId: spec.id, path: found.file),
                                              task: found.task, done: done, at: Date())
            return (id, found.file)
        }
        Trace.mark("edit stored")
        return try underLock(project) { try outcome(of: writeId, in: attemptFile(specId: spec.id, path: file, trigger: trigger)) }
    }

    /// The project of `spec`, once the change is known to exist and no link is in the path to `file`.
    private func writableProject(spec: SpecSummary, file: String) throws -> ProjectRecord {
        guard let project = try store.project(id: spec.projectId) else { throw SyncError.unknownProject(spec.projectId) }
        guard let current = try store.specPlace(id: spec.id), current.status != .removed else {
            throw SyncError.changeGone(spec.path)
        }
        try WritePath.refuseLinks(repo: project.repoPath,
                                  relative: project.openspecPath + "/" + current.path + "/" + file,
                                  fileSystem: writeFileSystem)
        return project
    }

    /// What became of write `id` in an attempt at its file.
    private func outcome(of id: Int64, in outcomes: [(id: Int64, outcome: WriteOutcome)]) throws -> WriteOutcome {
        if let found = outcomes.first(where: { $0.id == id }) { return found.outcome }
        // Another process wrote it between the queueing and this attempt.
        guard let write = try store.pendingWrite(id: id) else { throw StoreError.notFound("pending write \(id)") }
        return .pending(reason: "the write is \(write.status.rawValue): \(write.lastError ?? "no longer pending")")
    }

    // MARK: Retries

    /// Writes the project's pending edits whose retry time has come (a
    /// merge, rebase or `index.lock` held them back); the scan loop calls it
    /// every round. All waiting edits of a file with a due one go together, in queue order.
    public func flushPendingWrites(project: ProjectRecord, now: Date = Date(),
                                   trigger: String = SyncTrigger.periodic.rawValue) throws -> [WriteOutcome] {
        let due = try store.duePendingWrites(projectId: project.id, now: now)
        guard !due.isEmpty else { return [] }
        var files: [FileKey] = []
        for write in due where !files.contains(FileKey(specId: write.specId, path: write.path)) {
            files.append(FileKey(specId: write.specId, path: write.path))
        }
        return try underLock(project) {
            var outcomes: [WriteOutcome] = []
            for file in files {
                do {
                    outcomes += try attemptFile(specId: file.specId, path: file.path, trigger: trigger).map(\.outcome)
                } catch let error as SyncError {
                    // One file's trouble does not hold back the others.
                    outcomes.append(.pending(reason: "\(error)"))
                }
            }
            return outcomes
        }
    }

    private struct FileKey: Equatable {
        var specId: String
        var path: String
    }

    /// Runs `body` under the project's lock, so a write never interleaves with a reconcile.
    func underLock<T>(_ project: ProjectRecord, _ body: () throws -> T) throws -> T {
        try lock(for: project).exclusively(body, whenDirty: {
            // Triggers that came during the write: the run they asked for.
            _ = try reconciler.reconcile(projectId: project.id, options: ReconcileOptions(trigger: SyncTrigger.manual.rawValue, maxFileBytes: maxFileBytes))
        })
    }

    // MARK: One attempt

    /// One attempt at the waiting edits of one file: refuse and wait, or
    /// apply them in queue order to the file as it is (those that cannot
    /// apply become conflicts), back up, replace atomically, commit once and
    /// reconcile. Returns each edit's outcome, in queue order. Called under the project lock.
    func attemptFile(specId: String, path: String, trigger: String) throws -> [(id: Int64, outcome: WriteOutcome)] {
        let attempt = try writeFile(specId: specId, path: path, trigger: trigger)
        if let projectId = attempt.committedIn {
            // The row takes the file as written; its blob now equals the synced one, so nothing echoes back.
            // Only the commit just made needs reading: no walk of the working tree. It runs once the
            // write's copies of the file are released, so a large file is not held by both at once.
            var follow = ReconcileOptions(trigger: trigger, maxFileBytes: maxFileBytes)
            follow.committedOnly = true
            _ = try? reconciler.reconcile(projectId: projectId, options: follow)
            Trace.mark("database synced from the commit")
        }
        return attempt.outcomes
    }

    /// The outcomes of one attempt, and the project whose commit it made (nil when it made none).
    private typealias FileAttempt = (outcomes: [(id: Int64, outcome: WriteOutcome)], committedIn: String?)

    /// `attemptFile` up to the commit: the database is not yet synced from it.
    private func writeFile(specId: String, path: String, trigger: String) throws -> FileAttempt {
        let writes = try store.pendingWrites(specId: specId, path: path)
        guard let first = writes.first else { return ([], nil) }
        guard let project = try store.project(id: first.projectId) else { throw SyncError.unknownProject(first.projectId) }
        // Seen by subscribers in any process as the write begins; the row each
        // edit's attempt ends with carries the same run id.
        try store.write { w in
            for write in writes {
                try w.insertHistory(.write(projectId: project.id, specId: specId, runId: Self.attemptRunId(write),
                                           trigger: trigger, action: HistoryRecord.startedAction, success: true,
                                           files: [path]))
            }
        }
        Trace.mark("lock taken, start logged")
        guard let spec = try store.specPlace(id: specId), spec.status != .removed else {
            return (try keepAsConflicts(writes, project: project, file: nil, fsBlobId: nil, trigger: trigger,
                                        reason: "the change was removed on disk"), nil)
        }
        let fs = writeFileSystem
        let repoRelative = project.openspecPath + "/" + spec.path + "/" + path
        let target = project.repoPath + "/" + repoRelative

        let repo: Repository
        do { repo = try Repository(path: project.repoPath) } catch {
            return (try deferWrites(writes, trigger: trigger,
                                    reason: "cannot open the repository \(project.repoPath) (\(error)); the write waits and retries"), nil)
        }
        Trace.mark("repository open")
        // A write killed after its commit left the index at the pre-commit state: finish it first.
        repairIndexAfterOwnCommit(in: repo)
        switch hold(in: repo, project: project, spec: spec, repoRelative: repoRelative) {
        case let .wait(reason, transient):
            return (try deferWrites(writes, trigger: trigger, transient: transient, reason: reason), nil)
        case let .giveUp(reason):
            return (try keepAsConflicts(writes, project: project, file: nil, fsBlobId: nil, trigger: trigger, reason: reason), nil)
        case nil:
            break
        }
        let old: [UInt8]?
        do { old = try fs.readIfPresent(target) } catch {
            return (try deferWrites(writes, trigger: trigger, reason: ioReason(repoRelative, error)), nil)
        }
        let oldBlob = old.map { Repository.hashBlob($0).hex }
        let (result, steps) = EditQueue(writes: writes).apply(to: old)
        Trace.mark("file read, edits applied")
        var outcomes: [(id: Int64, outcome: WriteOutcome)] = []
        var applying: [(write: PendingWriteRecord, step: EditStep)] = []
        for (write, step) in zip(writes, steps) {
            if case let .conflict(reason) = step {
                let id = try keepAsConflict(write, project: project, file: old, fsBlobId: oldBlob, trigger: trigger,
                                            reason: "\(repoRelative): " + reason)
                outcomes.append((write.id, .conflict(id: id)))
            } else {
                applying.append((write, step))
            }
        }
        defer { if !outcomes.isEmpty { reconcileAfterConflict(project, trigger: trigger) } }
        guard !applying.isEmpty else { return (outcomes, nil) }
        // An earlier attempt put this very file in place and was stopped before
        // its commit was recorded: commit it now (never write it twice).
        let alreadyOnDisk = oldBlob != nil && result == old && writes.contains { $0.writtenBlobId == oldBlob }
        if alreadyOnDisk {
            applying = applying.map { ($0.write, $0.write.writtenBlobId == oldBlob ? .applied : $0.step) }
        }
        guard let content = result, result != old || alreadyOnDisk else {
            // Every edit that applied left the file as it is: nothing to write or commit.
            try markUnchanged(applying.map(\.write), specId: specId, trigger: trigger)
            return (outcomes + applying.map { ($0.write.id, .unchanged) }, nil)
        }
        let written = try replaceAndCommit(applying, content: content, old: old, oldBlob: oldBlob, in: repo,
                                           spec: spec, project: project, target: target, trigger: trigger)
        return ((outcomes + written.outcomes).sorted { $0.id < $1.id }, written.committedIn)
    }

    /// Why the edits of a file cannot be written now: they wait (a merge or
    /// index.lock is `transient`), or they never can be; nil when nothing holds them.
    private enum Hold {
        case wait(reason: String, transient: Bool)
        case giveUp(reason: String)
    }

    private func hold(in repo: Repository, project: ProjectRecord, spec: SpecPlace, repoRelative: String) -> Hold? {
        let fs = writeFileSystem
        let state = repo.state
        if state.isMidOperation {
            return .wait(reason: "the repository is \(state); the write waits and retries once it is finished or aborted",
                         transient: true)
        }
        if fs.kind(of: repo.gitDir + "/index.lock") != nil {
            return .wait(reason: "commit pending: .git/index.lock exists (another git command is running, or one crashed and left it); the write waits and retries",
                         transient: true)
        }
        do {
            try WritePath.refuseLinks(repo: project.repoPath, relative: repoRelative, fileSystem: fs)
        } catch {
            return .giveUp(reason: "\(error)")  // never to be written there
        }
        let changeFolder = project.repoPath + "/" + project.openspecPath + "/" + spec.path
        guard fs.kind(of: changeFolder) == .directory else {
            return .giveUp(reason: "the change folder \(project.openspecPath)/\(spec.path) is gone")
        }
        // A folder on the way that HEAD holds as a submodule (or a file) can never take the file.
        if let blocked = try? repo.headNonFolderAbove(repoRelative), let at = blocked.path {
            let what = blocked.mode == .submodule ? "a git submodule" : "not a folder"
            return .giveUp(reason: "\(at) is \(what) in HEAD, so \(repoRelative) can never be committed")
        }
        // A filter driver (Git LFS, a custom clean filter) that libgit2 cannot
        // run would have the file committed raw: it is for git to commit.
        do {
            try repo.requireRunnableFilters(path: repoRelative)
        } catch let error as GitError where error.isUnsupportedFilter {
            return .giveUp(reason: error.message)
        } catch {
            return .wait(reason: "cannot read the attributes of \(repoRelative) (\(error)); the write waits and retries",
                         transient: false)
        }
        // The user's staged work on the path is never touched: a commit of the
        // file would reset its index entry to what was written.
        do {
            if try repo.hasStagedChange(at: repoRelative) {
                return .giveUp(reason: "\(repoRelative) has staged changes (`git diff --cached`), which the write would replace; commit or unstage them, then re-apply the edit")
            }
        } catch {
            return .wait(reason: "cannot read the index for \(repoRelative) (\(error)); the write waits and retries", transient: false)
        }
        return nil
    }

    /// Backs up, replaces `target` atomically with `content` and commits it
    /// once, for the edits in `applying`; each gets its outcome and history row.
    private func replaceAndCommit(_ applying: [(write: PendingWriteRecord, step: EditStep)], content: [UInt8],
                                  old: [UInt8]?, oldBlob: String?, in repo: Repository, spec: SpecPlace,
                                  project: ProjectRecord, target: String,
                                  trigger: String) throws -> FileAttempt {
        let fs = writeFileSystem
        let writes = applying.map(\.write)
        let path = writes[0].path
        let openspecRelative = spec.path + "/" + path
        let repoRelative = project.openspecPath + "/" + openspecRelative
        let changeFolder = project.repoPath + "/" + project.openspecPath + "/" + spec.path
        var replaced = false
        let folder = (target as NSString).deletingLastPathComponent
        let name = (target as NSString).lastPathComponent
        let temp = temporaryPath(beside: target)
        let mode = fs.permissions(of: target) ?? 0o644
        do {
            if content == old { throw AlreadyInPlace() }
            if let old {
                try backUp(old, gitDir: repo.gitDir, openspecRelative: openspecRelative, mode: mode)
            }
            try createFolders(from: changeFolder, to: folder)
            removeStaleTemporaryFiles(in: folder, of: name)
            try fs.writeNewFile(temp, bytes: content, mode: mode)
            // Check before replace: the file must still be what the edits were applied to.
            let same: Bool
            do { same = try fs.content(of: target, equals: old) } catch { try? fs.remove(temp); throw error }
            if !same {
                try? fs.remove(temp)
                let now = (try? fs.readIfPresent(target)) ?? nil
                let nowBlob = now.map { Repository.hashBlob($0).hex }
                defer { reconcileAfterConflict(project, trigger: trigger) }
                return (try writes.map { write in
                    (write.id, .conflict(id: try keepAsConflict(write, project: project, file: now, fsBlobId: nowBlob,
                                                                trigger: trigger,
                                                                reason: "\(repoRelative) changed on disk while it was being written")))
                }, nil)
            }
            let blobId = Repository.hashBlob(content).hex
            try store.write { w in try w.setWrittenBlob(ids: writes.map(\.id), blobId: blobId) }
            do { try fs.rename(temp, to: target) } catch { try? fs.remove(temp); throw error }
            replaced = true
            try fs.syncDirectory(folder)
        } catch is AlreadyInPlace {
            // Written by an earlier attempt: only the commit is left to make.
        } catch {
            let restored = replaced ? restore(target, to: old) : ""
            return (try deferWrites(writes, trigger: trigger, reason: ioReason(repoRelative, error) + restored), nil)
        }

        Trace.mark("backed up, written, synced to disk")
        let head: ObjectID?
        let commit: ObjectID
        do {
            head = try repo.headCommit()
            let summary = String(decoding: content.prefix(200), as: UTF8.self)
                .split(whereSeparator: \.isNewline).first.map { String($0).trimmingCharacters(in: .whitespaces) } ?? ""
            let message = "openspec-sync: update \(spec.changeId)/\(path)\n\n"
                + (summary.isEmpty ? "Written from the database." : "Now starts: \(summary.prefix(72))")
                + (writes.count > 1 ? "\n\n\(writes.count) edits made through the database, applied in order." : "")
                + "\n\nOpenSpec-Sync: db_to_fs\nOpenSpec-Sync-Spec: \(spec.id)\n"
            commit = try repo.commitFiles([FileWrite(path: repoRelative, content: content, mode: nil)],
                                          message: message, author: SyncCommit.author, expectedHead: head)
        } catch {
            // Undo the file write: an uncommitted sync write would look like the user's own edit.
            let restored = replaced ? restore(target, to: old) : ""
            return (try deferWrites(writes, trigger: trigger,
                                    reason: "cannot commit \(repoRelative) (\(error)); the write waits and retries" + restored), nil)
        }

        Trace.mark("committed")
        try store.write { w in
            for (write, step) in applying {
                let changed = step == .applied
                try w.setWriteStatus(id: write.id, changed ? .written : .unchanged, error: nil)
                try w.insertHistory(.write(projectId: project.id, specId: spec.id, runId: Self.attemptRunId(write),
                                           trigger: trigger, action: changed ? "updated" : "unchanged", success: true,
                                           files: changed ? [openspecRelative] : [],
                                           from: changed ? head?.hex : nil, to: changed ? commit.hex : nil))
            }
            try w.setSpecSyncError(specId: spec.id, nil)
        }
        Trace.mark("write done, outcome logged")
        return (applying.map { ($0.write.id, $0.step == .applied ? .written(commit: commit.hex) : .unchanged) }, project.id)
    }

    private struct AlreadyInPlace: Error {}

    /// The run id of one attempt at a write: its start mark and its outcome share it.
    static func attemptRunId(_ write: PendingWriteRecord) -> String {
        "write-\(write.id)-\(write.attempts + 1)"
    }

    /// Edits that applied and changed nothing: done, with no commit.
    private func markUnchanged(_ writes: [PendingWriteRecord], specId: String, trigger: String) throws {
        try store.write { w in
            for write in writes {
                try w.setWriteStatus(id: write.id, .unchanged, error: nil)
                try w.insertHistory(.write(projectId: write.projectId, specId: specId, runId: Self.attemptRunId(write),
                                           trigger: trigger, action: "unchanged", success: true))
            }
            try w.setSpecSyncError(specId: specId, nil)
        }
    }

    /// Leaves the writes pending: counts the attempt, schedules the next one
    /// (2^attempts seconds, at most ten minutes) and logs why. A failure that
    /// is not `transient` (a merge, index.lock) counts toward
    /// `SyncCommit.maxFailedAttempts`; an edit that reaches it is kept as a conflict.
    private func deferWrites(_ writes: [PendingWriteRecord], trigger: String, transient: Bool = false,
                             reason: String) throws -> [(id: Int64, outcome: WriteOutcome)] {
        let failures = { (write: PendingWriteRecord) in write.failures + (transient ? 0 : 1) }
        let givenUp = writes.filter { failures($0) >= SyncCommit.maxFailedAttempts }
        let waiting = writes.filter { failures($0) < SyncCommit.maxFailedAttempts }
        try store.write { w in
            for write in waiting {
                let attempts = write.attempts + 1
                let delay = min(pow(2, Double(min(attempts, 20))), 600)
                try w.deferWrite(id: write.id, attempts: attempts, failures: failures(write),
                                 nextAttemptAt: Date().addingTimeInterval(delay), error: reason)
                try w.insertHistory(.write(projectId: write.projectId, specId: write.specId, runId: Self.attemptRunId(write),
                                           trigger: trigger, action: "pending", success: false, error: reason))
                try w.setSpecSyncError(specId: write.specId, reason)
            }
        }
        var outcomes = waiting.map { ($0.id, WriteOutcome.pending(reason: reason)) }
        if let project = try givenUp.first.flatMap({ try store.project(id: $0.projectId) }) {
            outcomes += try keepAsConflicts(givenUp, project: project, file: nil, fsBlobId: nil, trigger: trigger,
                                            reason: "given up after \(SyncCommit.maxFailedAttempts) failed attempts; the last: "
                                                + reason.replacingOccurrences(of: "; the write waits and retries", with: ""))
        }
        return outcomes.sorted { $0.0 < $1.0 }
    }

    /// Gives up every edit of `writes` for one reason, keeping each as a conflict.
    private func keepAsConflicts(_ writes: [PendingWriteRecord], project: ProjectRecord, file: [UInt8]?,
                                 fsBlobId: String?, trigger: String,
                                 reason: String) throws -> [(id: Int64, outcome: WriteOutcome)] {
        defer { reconcileAfterConflict(project, trigger: trigger) }
        return try writes.map { write in
            (write.id, .conflict(id: try keepAsConflict(write, project: project, file: file, fsBlobId: fsBlobId,
                                                        trigger: trigger, reason: reason)))
        }
    }

    /// The edit is given up and kept whole as a conflict, with its content and
    /// the reason; the caller lets the database take the file afterwards.
    private func keepAsConflict(_ write: PendingWriteRecord, project: ProjectRecord, file: [UInt8]?,
                                fsBlobId: String?, trigger: String, reason: String) throws -> Int64 {
        let message = "conflict: \(reason); the file was kept and the database edit saved (`openspec-sync conflicts`)"
        let kept = try keptContent(of: write, file: file)
        return try store.write { w in
            let id = try w.insertConflict(projectId: project.id, specId: write.specId, path: write.path,
                                          dbContent: kept, baseBlobId: write.baseBlobId, fsBlobId: fsBlobId,
                                          reason: reason, at: Date())
            try w.setWriteStatus(id: write.id, .conflicted, error: message)
            try w.insertHistory(.write(projectId: project.id, specId: write.specId, runId: Self.attemptRunId(write),
                                       trigger: trigger, action: "conflict", success: false, error: message,
                                       files: [write.path]))
            return id
        }
    }

    /// What a given-up edit keeps: a replace its content; a toggle the file
    /// (as found, else as last synced) with the toggle made where the task is found.
    private func keptContent(of write: PendingWriteRecord, file: [UInt8]?) throws -> Data {
        guard write.operation == .toggleTask else { return write.content }
        let synced = try store.fileContent(specId: write.specId, path: write.path).map { [UInt8]($0) }
        for bytes in [file, synced].compactMap({ $0 }) {
            if let item = EditQueue.task(write.task ?? "", in: bytes) {
                return Data(EditQueue.toggled(bytes, item, done: write.done ?? true) ?? bytes)
            }
        }
        return Data((file ?? synced) ?? [])
    }

    /// The database takes the file that won.
    private func reconcileAfterConflict(_ project: ProjectRecord, trigger: String) {
        _ = try? reconciler.reconcile(projectId: project.id, options: ReconcileOptions(trigger: trigger, maxFileBytes: maxFileBytes))
    }

    /// Puts the file back as it was before this attempt (removes it if it was
    /// new); returns words for the error message.
    func restore(_ target: String, to old: [UInt8]?, mode: mode_t? = nil) -> String {
        do {
            try restoreFile(target, to: old, mode: mode)
            return "; the file was restored"
        } catch {
            return "; the file could not be restored (\(error)) and holds the new content, which the retry commits"
        }
    }

    /// Puts `old` back at `target` (or removes it when there was no file).
    func restoreFile(_ target: String, to old: [UInt8]?, mode: mode_t? = nil) throws {
        let fs = writeFileSystem
        if let old {
            let temp = temporaryPath(beside: target)
            do {
                try fs.writeNewFile(temp, bytes: old, mode: mode ?? fs.permissions(of: target) ?? 0o644)
                try fs.rename(temp, to: target)
            } catch { try? fs.remove(temp); throw error }
        } else {
            try fs.remove(target)
        }
    }

    /// Temporary files of this file left by an attempt that was killed
    /// before its rename (they are hidden, so no scan ever reads them).
    func removeStaleTemporaryFiles(in folder: String, of name: String) {
        let prefix = Self.temporaryPrefix(of: name)
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return }
        for leftover in names where leftover.hasPrefix(prefix) && leftover.hasSuffix(".tmp") {
            try? writeFileSystem.remove(folder + "/" + leftover)
        }
    }

    /// A new hidden file name beside `target` for its replacement, which
    /// `removeStaleTemporaryFiles` recognises if a crash leaves it behind.
    func temporaryPath(beside target: String) -> String {
        let folder = (target as NSString).deletingLastPathComponent
        return folder + "/" + Self.temporaryPrefix(of: (target as NSString).lastPathComponent) + randomHex() + ".tmp"
    }

    private static func temporaryPrefix(of name: String) -> String { "." + name + ".openspec-sync-" }

    func ioReason(_ path: String, _ error: Error) -> String {
        let text = (error as? FileSystemError)?.reason ?? "\(error)"
        return "cannot write \(path): \(text); the write waits and retries"
    }

    /// Creates the folders between the change folder and `folder` (a new file in a new subfolder).
    func createFolders(from changeFolder: String, to folder: String) throws {
        guard folder != changeFolder, folder.hasPrefix(changeFolder + "/") else { return }
        var path = changeFolder
        for part in folder.dropFirst(changeFolder.count + 1).split(separator: "/") {
            path += "/" + part
            if writeFileSystem.kind(of: path) == nil { try writeFileSystem.createDirectory(path) }
        }
    }

    /// Copies the current file to `<git dir>/openspec-sync/backups/<UTC time>-<random>/<path>`,
    /// outside the working tree (never parsed, never committed), and keeps
    /// only the newest `SyncCommit.backupsKept` backup folders.
    func backUp(_ bytes: [UInt8], gitDir: String, openspecRelative: String, mode: mode_t) throws {
        let fs = writeFileSystem
        let root = gitDir + "/openspec-sync/backups"
        var stamp = time_t(Date().timeIntervalSince1970)
        var parts = tm()
        gmtime_r(&stamp, &parts)
        let name = String(format: "%04d%02d%02d-%02d%02d%02d", parts.tm_year + 1900, parts.tm_mon + 1, parts.tm_mday,
                          parts.tm_hour, parts.tm_min, parts.tm_sec) + "-" + randomHex()
        var path = gitDir
        for part in ["openspec-sync", "backups", name] + openspecRelative.split(separator: "/").dropLast().map(String.init) {
            path += "/" + part
            try fs.createDirectory(path)
        }
        try fs.writeNewFile(root + "/" + name + "/" + openspecRelative, bytes: bytes, mode: mode)
        Self.rotateBackups(root)
    }

    /// Deletes all but the newest backup folders (names start with the UTC time, so they sort by age).
    static func rotateBackups(_ root: String, keep: Int = SyncCommit.backupsKept) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: root) else { return }
        let sorted = names.filter { !$0.hasPrefix(".") }.sorted()
        for name in sorted.dropLast(keep) {
            try? FileManager.default.removeItem(atPath: root + "/" + name)
        }
    }

    func randomHex() -> String {
        String(format: "%06x", UInt32.random(in: 0..<0x100_0000))
    }
}

extension HistoryValues {
    /// A history row of a database-to-file write (an edit, a retry, a rollback), stamped now.
    static func write(projectId: String, specId: String, runId: String, trigger: String, action: String,
                      success: Bool, error: String? = nil, files: [String] = [],
                      from: String? = nil, to: String? = nil) -> HistoryValues {
        HistoryValues(projectId: projectId, specId: specId, runId: runId, direction: .databaseToFilesystem,
                      syncedAt: Date(), success: success, errorMessage: error, filesChanged: files,
                      triggeredBy: trigger, action: action, fromCommit: from, toCommit: to, durationMs: nil)
    }
}

/// Checks of a write's path, made before any path is built from it.
enum WritePath {
    /// A plain path relative to the change folder: no absolute path, no `..`,
    /// `.` or empty components, no NUL, no backslash, nothing named `.git`.
    static func validate(_ file: String) throws {
        func fail(_ reason: InvalidPathReason) -> SyncError { .invalidWritePath(file, reason: reason) }
        if file.isEmpty { throw fail(.empty) }
        if file.utf8.contains(0) { throw fail(.nulByte) }
        if file.contains("\\") { throw fail(.backslash) }
        if file.hasPrefix("/") { throw fail(.absolute) }
        for component in file.split(separator: "/", omittingEmptySubsequences: false) {
            if component.isEmpty || component == "." { throw fail(.emptyComponent) }
            if component == ".." { throw fail(.leavesChangeFolder) }
            if component.lowercased() == ".git" { throw fail(.reachesIntoGit) }
            if component.utf8.count > 255 { throw fail(.nameTooLong) }
        }
    }

    /// Refuses when any existing component from the repository root down to
    /// the file (`relative` to the root) is a symbolic link, or not a folder
    /// where a folder must be. Components that do not exist yet are fine.
    static func refuseLinks(repo: String, relative: String, fileSystem: WriteFileSystem) throws {
        var path = repo
        let components = relative.split(separator: "/")
        for (index, component) in components.enumerated() {
            path += "/" + component
            guard let kind = fileSystem.kind(of: path) else { return }
            if kind == .symlink { throw SyncError.symlinkInPath(relative) }
            if index < components.count - 1 && kind != .directory {
                throw SyncError.invalidWritePath(relative, reason: .notAFolder(components[0...index].joined(separator: "/")))
            }
            if index == components.count - 1 && kind != .file {
                throw SyncError.invalidWritePath(relative, reason: .notARegularFile)
            }
        }
    }
}
