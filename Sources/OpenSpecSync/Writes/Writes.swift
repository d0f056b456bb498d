import Foundation
import OpenSpecFormat
import OpenSpecGit
import OpenSpecStore

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
    /// and committed at once when the repository allows (with the other
    /// edits of the project that came meanwhile, in one commit); otherwise
    /// it waits (see `flushPendingWrites`). With other edits of the file waiting, it
    /// is made on top of them (their result is its base) unless `expected`
    /// names the file as last synced.
    public func edit(spec: SpecSummary, file: String, content: [UInt8],
                     trigger: SyncTrigger = .userEdit,
                     expecting expected: ExpectedVersion? = nil) throws -> WriteOutcome {
        try waitingHere(startEdit(spec: spec, file: file, content: content, trigger: trigger, expecting: expected))
    }

    /// `edit`, but an edit of a project another host owns is returned
    /// queued, for the caller to wait for (`outcome(of:)`) as it likes.
    public func startEdit(spec: SpecSummary, file: String, content: [UInt8],
                          trigger: SyncTrigger = .userEdit,
                          expecting expected: ExpectedVersion? = nil) throws -> EditStart {
        // Nothing is queued for a path that could never be written.
        try WritePath.validate(file)
        let limit = maxFileBytes
        if content.count > limit { throw SyncError.contentTooLarge(path: file, size: content.count, limit: limit) }
        let (project, owned) = try writableProject(spec: spec, file: file)
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
        guard owned else { return queued(writeId, project: project) }
        return .finished(try written(writeId, file: WriteFileKey(specId: spec.id, path: file), project: project, trigger: trigger))
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
                           trigger: SyncTrigger = .userEdit) throws -> WriteOutcome {
        try waitingHere(startToggleTask(spec: spec, task: task, done: done, trigger: trigger))
    }

    /// `toggleTask`, with a queued edit returned as `startEdit` does.
    public func startToggleTask(spec: SpecSummary, task: String, done: Bool,
                                trigger: SyncTrigger = .userEdit) throws -> EditStart {
        let taskFiles = try self.taskFiles(of: spec)
        let (project, owned) = try writableProject(spec: spec, file: taskFiles[0])
        // The files are read only where they are: on the owner's clone.
        let folder = owned ? try store.specPlace(id: spec.id).map { project.repoPath + "/" + project.openspecPath + "/" + $0.path } : nil
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
        guard owned else { return queued(writeId, project: project) }
        return .finished(try written(writeId, file: WriteFileKey(specId: spec.id, path: file), project: project, trigger: trigger))
    }

    /// The project of `spec`, once the change is known to exist, and whether
    /// this host owns it (and writes the edit itself); for the owner, once no
    /// link is in the path to `file` (the owner checks that again as it writes).
    private func writableProject(spec: SpecSummary, file: String) throws -> (ProjectRecord, owned: Bool) {
        guard let found = try store.project(id: spec.projectId) else { throw SyncError.unknownProject(spec.projectId) }
        guard let current = try store.specPlace(id: spec.id), current.status != .removed else {
            throw SyncError.changeGone(spec.path)
        }
        let (role, project, _) = try ownership(of: found)
        guard role.isOwner else { return (found, false) }
        try WritePath.refuseLinks(repo: project.repoPath,
                                  relative: project.openspecPath + "/" + current.path + "/" + file,
                                  fileSystem: writeFileSystem)
        return (project, true)
    }

    /// Waits for the project lock, then the outcome of stored write `id`:
    /// carried by the commit of whoever held the lock meanwhile, or made now
    /// with every other due edit of the project (`WriteGroup.swift`).
    private func written(_ id: Int64, file: WriteFileKey, project: ProjectRecord, trigger: SyncTrigger) throws -> WriteOutcome {
        writeOutcomes.expect(id)
        defer { writeOutcomes.forget(id) }
        return try underLock(project) { try groupOutcome(of: id, file: file, project: project, trigger: trigger) }
    }
}
