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
}

extension SyncEngine {
    // MARK: Edits

    /// Replaces the file `file` (relative to the change folder) of `spec` with
    /// `content`, exactly these bytes. The edit is stored first, then written
    /// and committed at once when the repository allows; otherwise it waits
    /// (see `flushPendingWrites`).
    public func edit(spec: SpecSummary, file: String, content: [UInt8],
                     trigger: String = SyncTrigger.userEdit.rawValue,
                     expecting expected: ExpectedVersion? = nil) throws -> WriteOutcome {
        // Nothing is queued for a path that could never be written.
        try WritePath.validate(file)
        let limit = Configuration.maxFileBytes()
        if content.count > limit { throw SyncError.contentTooLarge(path: file, size: content.count, limit: limit) }
        guard let project = try store.project(id: spec.projectId) else { throw SyncError.unknownProject(spec.projectId) }
        guard let current = try store.spec(id: spec.id), current.status != .removed else {
            throw SyncError.changeGone(spec.path)
        }
        try WritePath.refuseLinks(repo: project.repoPath,
                                  relative: project.openspecPath + "/" + current.path + "/" + file,
                                  fileSystem: writeFileSystem)
        let writeId = try store.write { w in
            // Read inside the write transaction, so no other edit can land between the check and the queueing.
            let base = try w.specFileBlobId(specId: spec.id, path: file)
            if let expected, expected.blobId != base {
                throw SyncError.staleVersion(path: file, expected: expected.blobId, current: base)
            }
            return try w.insertPendingWrite(projectId: project.id, specId: spec.id, path: file, content: Data(content),
                                     baseBlobId: base, at: Date())
        }
        Trace.mark("edit stored")
        return try underLock(project) { try attemptWrite(writeId, trigger: trigger) }
    }

    /// Ticks (`done`) or unticks one task of `tasks.md` by changing only its
    /// marker, in the bytes as last synced: every other byte (line endings,
    /// BOM, a missing final newline) stays. `task` is a written number such
    /// as `1.2`, or `#N` for the Nth checkbox.
    public func toggleTask(spec: SpecSummary, task: String, done: Bool,
                           trigger: String = SyncTrigger.userEdit.rawValue) throws -> WriteOutcome {
        // The edit is made against the bytes just read: when another edit of
        // tasks.md lands in between, read again rather than overwrite it.
        var attempt = 0
        while true {
            attempt += 1
            do {
                return try toggleTaskOnce(spec: spec, task: task, done: done, trigger: trigger)
            } catch SyncError.staleVersion where attempt < 5 {
                continue
            }
        }
    }

    private func toggleTaskOnce(spec: SpecSummary, task: String, done: Bool, trigger: String) throws -> WriteOutcome {
        guard let file = try store.specFile(specId: spec.id, path: "tasks.md"), let data = file.content else {
            throw SyncError.unknownTask(spec: spec.changeId, task: task)
        }
        let bytes = [UInt8](data)
        let list = TaskList.parse(bytes, path: "tasks.md")
        let item: TaskItem
        if task.hasPrefix("#"), let n = Int(task.dropFirst()), n >= 1, n <= list.tasks.count {
            item = list.tasks[n - 1]
        } else if let found = list.tasks.first(where: { $0.number == task }) {
            item = found
        } else {
            throw SyncError.unknownTask(spec: spec.changeId, task: task)
        }
        return try edit(spec: spec, file: "tasks.md", content: Self.toggled(bytes, item, done: done), trigger: trigger,
                        expecting: ExpectedVersion(blobId: file.blobId))
    }

    /// `bytes` with `item`'s checkbox set to done or not done, changing only the marker.
    static func toggled(_ bytes: [UInt8], _ item: TaskItem, done: Bool) -> [UInt8] {
        var out = bytes
        let x = UInt8(ascii: "x"), space = UInt8(ascii: " ")
        if let marker = item.markerOffset {
            // The marker character, whole (it may be more than one byte in UTF-8).
            let length = max(1, utf8Length(bytes[marker]))
            let replacement: UInt8 = done ? x : space
            if done && item.isDone { return out }
            out.replaceSubrange(marker..<min(marker + length, bytes.count), with: [replacement])
        } else if done {
            if item.closeBracketOffset > item.openBracketOffset + 1 {
                out[item.openBracketOffset + 1] = x  // the blank inside "[ ]"
            } else {
                out.insert(x, at: item.closeBracketOffset)  // "[]"
            }
        }
        return out
    }

    private static func utf8Length(_ lead: UInt8) -> Int {
        switch lead {
        case 0xF0...: return 4
        case 0xE0...: return 3
        case 0xC0...: return 2
        default: return 1
        }
    }

    // MARK: Retries

    /// Writes the project's pending edits whose retry time has come (a
    /// merge, rebase or `index.lock` held them back); the scan loop calls it
    /// every round.
    public func flushPendingWrites(project: ProjectRecord, now: Date = Date(),
                                   trigger: String = SyncTrigger.periodic.rawValue) throws -> [WriteOutcome] {
        let due = try store.duePendingWrites(projectId: project.id, now: now)
        guard !due.isEmpty else { return [] }
        return try underLock(project) {
            var outcomes: [WriteOutcome] = []
            for write in due {
                do {
                    outcomes.append(try attemptWrite(write.id, trigger: trigger))
                } catch let error as SyncError {
                    // A write that can never succeed (a link appeared in its path) is
                    // marked failed and logged; the others still go.
                    outcomes.append(.pending(reason: "\(error)"))
                }
            }
            return outcomes
        }
    }

    /// Runs `body` under the project's lock, so a write never interleaves with a reconcile.
    func underLock<T>(_ project: ProjectRecord, _ body: () throws -> T) throws -> T {
        try lock(for: project).exclusively(body, whenDirty: {
            // Triggers that came during the write: the run they asked for.
            _ = try reconciler.reconcile(projectId: project.id, options: ReconcileOptions(trigger: SyncTrigger.manual.rawValue, maxFileBytes: Configuration.maxFileBytes()))
        })
    }

    // MARK: One attempt

    /// One attempt at a pending write: refuse and wait, or find a conflict,
    /// or back up, replace atomically, commit and reconcile. Called under the project lock.
    func attemptWrite(_ writeId: Int64, trigger: String) throws -> WriteOutcome {
        guard let write = try store.pendingWrite(id: writeId) else { throw StoreError.notFound("pending write \(writeId)") }
        guard write.status == .pending else {
            return .pending(reason: "the write is \(write.status.rawValue): \(write.lastError ?? "no longer pending")")
        }
        guard let project = try store.project(id: write.projectId) else { throw SyncError.unknownProject(write.projectId) }
        // Seen by subscribers in any process as the write begins; the row the
        // attempt ends with carries the same run id.
        _ = try store.write { w in
            try w.insertHistory(.write(projectId: project.id, specId: write.specId, runId: Self.attemptRunId(write),
                                       trigger: trigger, action: HistoryRecord.startedAction, success: true,
                                       files: [write.path]))
        }
        Trace.mark("lock taken, start logged")
        let content = [UInt8](write.content)
        guard let spec = try store.spec(id: write.specId), spec.status != .removed else {
            return try keepAsConflict(write, project: project, fsBlobId: nil, trigger: trigger,
                                      reason: "the change was removed on disk")
        }
        let fs = writeFileSystem
        let openspecRelative = spec.path + "/" + write.path
        let repoRelative = project.openspecPath + "/" + openspecRelative
        let target = project.repoPath + "/" + repoRelative

        let repo: Repository
        do { repo = try Repository(path: project.repoPath) } catch {
            return try deferWrite(write, specId: spec.id, trigger: trigger,
                                  reason: "cannot open the repository \(project.repoPath) (\(error)); the write waits and retries")
        }
        Trace.mark("repository open")
        let state = repo.state
        if state.isMidOperation {
            return try deferWrite(write, specId: spec.id, trigger: trigger,
                                  reason: "the repository is \(state); the write waits and retries once it is finished or aborted")
        }
        if fs.kind(of: repo.gitDir + "/index.lock") != nil {
            return try deferWrite(write, specId: spec.id, trigger: trigger,
                                  reason: "commit pending: .git/index.lock exists (another git command is running, or one crashed and left it); the write waits and retries")
        }
        do {
            try WritePath.refuseLinks(repo: project.repoPath, relative: repoRelative, fileSystem: fs)
        } catch {
            try store.write { w in
                try w.setWriteStatus(id: write.id, .failed, error: "\(error)")
                try w.insertHistory(.write(projectId: project.id, specId: spec.id, runId: Self.attemptRunId(write),
                                           trigger: trigger, action: "failed", success: false, error: "\(error)"))
                try w.setSpecSyncError(specId: spec.id, "\(error)")
            }
            throw error
        }
        let changeFolder = project.repoPath + "/" + project.openspecPath + "/" + spec.path
        guard fs.kind(of: changeFolder) == .directory else {
            return try keepAsConflict(write, project: project, fsBlobId: nil, trigger: trigger,
                                      reason: "the change folder \(project.openspecPath)/\(spec.path) is gone")
        }

        // Conflict check: has the file changed since the last sync?
        let old: [UInt8]?
        do { old = try fs.readIfPresent(target) } catch {
            return try deferWrite(write, specId: spec.id, trigger: trigger, reason: ioReason(repoRelative, error))
        }
        let oldBlob = old.map { Repository.hashBlob($0).hex }
        // An earlier attempt wrote the file but could not commit it: commit it now, never write it twice.
        let alreadyOnDisk = oldBlob == Repository.hashBlob(content).hex
        if !alreadyOnDisk && oldBlob != write.baseBlobId {
            return try keepAsConflict(write, project: project, fsBlobId: oldBlob, trigger: trigger,
                                      reason: "\(repoRelative) changed on disk since the last sync")
        }

        Trace.mark("file checked")
        var replaced = false
        if !alreadyOnDisk {
            let folder = (target as NSString).deletingLastPathComponent
            let name = (target as NSString).lastPathComponent
            let temp = temporaryPath(beside: target)
            let mode = fs.permissions(of: target) ?? 0o644
            do {
                if let old {
                    try backUp(old, gitDir: repo.gitDir, openspecRelative: openspecRelative, mode: mode)
                }
                try createFolders(from: changeFolder, to: folder)
                removeStaleTemporaryFiles(in: folder, of: name)
                try fs.writeNewFile(temp, bytes: content, mode: mode)
                // Check before replace: the file must still be what was checked above.
                let now: [UInt8]?
                do { now = try fs.readIfPresent(target) } catch { try? fs.remove(temp); throw error }
                let nowBlob = now.map { Repository.hashBlob($0).hex }
                if nowBlob != oldBlob {
                    try? fs.remove(temp)
                    return try keepAsConflict(write, project: project, fsBlobId: nowBlob, trigger: trigger,
                                              reason: "\(repoRelative) changed on disk while it was being written")
                }
                do { try fs.rename(temp, to: target) } catch { try? fs.remove(temp); throw error }
                replaced = true
                try fs.syncDirectory(folder)
            } catch {
                let restored = replaced ? restore(target, to: old) : ""
                return try deferWrite(write, specId: spec.id, trigger: trigger, reason: ioReason(repoRelative, error) + restored)
            }
        }

        Trace.mark("backed up, written, synced to disk")
        let head: ObjectID?
        let commit: ObjectID
        do {
            head = try repo.headCommit()
            let summary = String(decoding: content.prefix(200), as: UTF8.self)
                .split(whereSeparator: \.isNewline).first.map { String($0).trimmingCharacters(in: .whitespaces) } ?? ""
            let message = "openspec-sync: update \(spec.changeId)/\(write.path)\n\n"
                + (summary.isEmpty ? "Written from the database." : "Now starts: \(summary.prefix(72))")
                + "\n\nOpenSpec-Sync: db_to_fs\nOpenSpec-Sync-Spec: \(spec.id)\n"
            commit = try repo.commitFiles([FileWrite(path: repoRelative, content: content, mode: nil)],
                                          message: message, author: SyncCommit.author, expectedHead: head)
        } catch {
            // Undo the file write: an uncommitted sync write would look like the user's own edit.
            let restored = replaced ? restore(target, to: old) : ""
            return try deferWrite(write, specId: spec.id, trigger: trigger,
                                  reason: "cannot commit \(repoRelative) (\(error)); the write waits and retries" + restored)
        }

        Trace.mark("committed")
        try store.write { w in
            try w.setWriteStatus(id: write.id, .written, error: nil)
            try w.insertHistory(.write(projectId: project.id, specId: spec.id, runId: Self.attemptRunId(write),
                                       trigger: trigger, action: "updated", success: true, files: [openspecRelative],
                                       from: head?.hex, to: commit.hex))
            try w.setSpecSyncError(specId: spec.id, nil)
        }
        // The row takes the file as written; its blob now equals the synced one, so nothing echoes back.
        // Only the commit just made needs reading: no walk of the working tree.
        var follow = ReconcileOptions(trigger: trigger, maxFileBytes: Configuration.maxFileBytes())
        follow.committedOnly = true
        Trace.mark("outcome logged")
        _ = try? reconciler.reconcile(projectId: project.id, options: follow)
        Trace.mark("database synced from the commit")
        return .written(commit: commit.hex)
    }

    /// The run id of one attempt at a write: its start mark and its outcome share it.
    static func attemptRunId(_ write: PendingWriteRecord) -> String {
        "write-\(write.id)-\(write.attempts + 1)"
    }

    /// Leaves the write pending: counts the attempt, schedules the next one
    /// (2^attempts seconds, at most ten minutes) and logs why.
    private func deferWrite(_ write: PendingWriteRecord, specId: String, trigger: String, reason: String) throws -> WriteOutcome {
        let attempts = write.attempts + 1
        let delay = min(pow(2, Double(min(attempts, 20))), 600)
        try store.write { w in
            try w.deferWrite(id: write.id, attempts: attempts, nextAttemptAt: Date().addingTimeInterval(delay), error: reason)
            try w.insertHistory(.write(projectId: write.projectId, specId: specId, runId: Self.attemptRunId(write),
                                       trigger: trigger, action: "pending", success: false, error: reason))
            try w.setSpecSyncError(specId: specId, reason)
        }
        return .pending(reason: reason)
    }

    /// The file wins: the edit is kept whole as a conflict, and the database takes the file.
    private func keepAsConflict(_ write: PendingWriteRecord, project: ProjectRecord, fsBlobId: String?,
                                trigger: String, reason: String) throws -> WriteOutcome {
        let message = "conflict: \(reason); the file was kept and the database edit saved (`openspec-sync conflicts`)"
        let id = try store.write { w in
            let id = try w.insertConflict(projectId: project.id, specId: write.specId, path: write.path,
                                          dbContent: write.content, baseBlobId: write.baseBlobId, fsBlobId: fsBlobId, at: Date())
            try w.setWriteStatus(id: write.id, .conflicted, error: message)
            try w.insertHistory(.write(projectId: project.id, specId: write.specId, runId: Self.attemptRunId(write),
                                       trigger: trigger, action: "conflict", success: false, error: message,
                                       files: [write.path]))
            return id
        }
        _ = try? reconciler.reconcile(projectId: project.id, options: ReconcileOptions(trigger: trigger, maxFileBytes: Configuration.maxFileBytes()))
        return .conflict(id: id)
    }

    /// Puts the file back as it was before this attempt (removes it if it was
    /// new); returns words for the error message.
    func restore(_ target: String, to old: [UInt8]?, mode: mode_t? = nil) -> String {
        let fs = writeFileSystem
        do {
            if let old {
                let temp = temporaryPath(beside: target)
                do {
                    try fs.writeNewFile(temp, bytes: old, mode: mode ?? fs.permissions(of: target) ?? 0o644)
                    try fs.rename(temp, to: target)
                } catch { try? fs.remove(temp); throw error }
            } else {
                try fs.remove(target)
            }
            return "; the file was restored"
        } catch {
            return "; the file could not be restored (\(error)) and holds the new content, which the retry commits"
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
        func fail(_ reason: String) -> SyncError { .invalidWritePath(file, reason: reason) }
        if file.isEmpty { throw fail("the path is empty") }
        if file.utf8.contains(0) { throw fail("the path contains a NUL byte") }
        if file.contains("\\") { throw fail("the path contains a backslash") }
        if file.hasPrefix("/") { throw fail("the path is absolute") }
        for component in file.split(separator: "/", omittingEmptySubsequences: false) {
            if component.isEmpty || component == "." { throw fail("the path has an empty or \".\" component") }
            if component == ".." { throw fail("the path leaves the change folder (\"..\")") }
            if component.lowercased() == ".git" { throw fail("the path reaches into .git") }
            if component.utf8.count > 255 { throw fail("a name is longer than 255 bytes") }
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
                throw SyncError.invalidWritePath(relative, reason: "\(components[0...index].joined(separator: "/")) is not a folder")
            }
            if index == components.count - 1 && kind != .file {
                throw SyncError.invalidWritePath(relative, reason: "it is not a regular file")
            }
        }
    }
}
