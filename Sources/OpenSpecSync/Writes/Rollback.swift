import Foundation
import OpenSpecGit
import OpenSpecStore
#if canImport(Glibc)
import Glibc
#endif

/// What `rollback` did.
public struct RollbackResult: Codable, Sendable, Equatable {
    public enum Outcome: String, Codable, Sendable {
        /// The files were restored and committed.
        case written
        /// The files already had their content at the target: nothing to commit.
        case unchanged
        /// Files to restore had changed on disk since the last sync (or were
        /// not committed): the files won and nothing was written.
        case conflict
    }

    public var outcome: Outcome
    /// The commit the files were restored from (full id).
    public var target: String
    /// The new commit, when written.
    public var commit: String?
    /// Files written with their content at the target (relative to the change folder).
    public var restored: [String]
    /// Files deleted because the target did not have them.
    public var deleted: [String]
    /// The conflicts kept (one per conflicting file the target has; `resolve --reapply` writes it).
    public var conflictIds: [Int64]
    /// The files that changed on disk since the last sync and blocked the rollback.
    public var conflictPaths: [String]
}

/// One file a rollback changes: the target's content (nil deletes it) and what the disk holds now.
struct RollbackStep {
    var path: String
    var content: [UInt8]?
    var mode: FileMode?
    var old: [UInt8]?
    var oldMode: mode_t?
}

extension SyncEngine {
    /// Restores the change's files to their content at `revision` as one new
    /// commit on top of HEAD (history is never rewritten): files the target
    /// had are written back, files it lacked are deleted. A rollback is an
    /// edit like any other, so the same rules hold: a file that changed on
    /// disk since the last sync, or has uncommitted changes, wins; then
    /// nothing is written and the target's content is kept as a conflict.
    /// An archived change's target may predate the archive, when it lived at
    /// `changes/<id>`. The repository mid-merge or locked refuses, changing nothing.
    public func rollback(spec: SpecSummary, to revision: String,
                         trigger: String = SyncTrigger.userEdit.rawValue) throws -> RollbackResult {
        guard let project = try store.project(id: spec.projectId) else { throw SyncError.unknownProject(spec.projectId) }
        guard let current = try store.spec(id: spec.id), current.status != .removed else {
            throw SyncError.changeGone(spec.path)
        }
        let repo: Repository
        do { repo = try Repository(path: project.repoPath) } catch {
            throw SyncError.notARepository(path: project.repoPath, cause: error as? GitError)
        }
        let target: ObjectID
        do { target = try repo.resolveCommit(revision) } catch { throw SyncError.unknownRevision(revision) }
        let folder = project.openspecPath + "/" + current.path
        var sources = [folder]
        if current.status == .archived { sources.append(project.openspecPath + "/changes/" + current.changeId) }

        return try underLock(project) {
            // The database must know what is committed, so only work not yet synced counts as a conflict.
            var committed = ReconcileOptions(trigger: trigger, maxFileBytes: maxFileBytes)
            committed.committedOnly = true
            _ = try reconciler.reconcile(projectId: project.id, options: committed)

            let state = repo.state
            if state.isMidOperation {
                throw SyncError.rollbackRefused(.midOperation(state))
            }
            if writeFileSystem.kind(of: repo.gitDir + "/index.lock") != nil {
                throw SyncError.rollbackRefused(.indexLocked)
            }
            // A rollback killed after its commit left the index at the pre-rollback state: finish it first.
            repairIndexAfterOwnCommit(in: repo)
            let head = try repo.headCommit()

            // The target's files, relative to the change folder (from its old place for an archived change).
            var wanted: [String: TreeFile] = [:]
            for source in sources {
                let files = try repo.files(at: target, under: source)
                guard !files.isEmpty else { continue }
                for file in files { wanted[String(file.path.dropFirst(source.count + 1))] = file }
                break
            }
            if wanted.isEmpty { throw SyncError.notAtRevision(change: current.changeId, revision: revision) }
            var present: [String: TreeFile] = [:]
            if let head {
                for file in try repo.files(at: head, under: folder) { present[String(file.path.dropFirst(folder.count + 1))] = file }
            }
            if let link = (Array(wanted.values) + Array(present.values)).first(where: { $0.mode == .symlink }) {
                throw SyncError.symlinkInPath(link.path)
            }
            let synced = Dictionary(try store.specFiles(specId: current.id, withContent: false).map { ($0.path, $0.blobId) },
                                    uniquingKeysWith: { a, _ in a })

            // What must change, and whether the disk allows it.
            var steps: [RollbackStep] = []
            var conflicting: [RollbackStep] = []
            for path in Set(wanted.keys).union(present.keys).sorted() {
                try WritePath.validate(path)
                let repoRelative = folder + "/" + path
                try WritePath.refuseLinks(repo: project.repoPath, relative: repoRelative, fileSystem: writeFileSystem)
                let disk = try writeFileSystem.readIfPresent(project.repoPath + "/" + repoRelative)
                let diskBlob = disk.map { Repository.hashBlob($0).hex }
                let want = wanted[path]
                let step = RollbackStep(path: path, content: try want.map { try repo.blob($0.id) }, mode: want?.mode, old: disk,
                                oldMode: writeFileSystem.permissions(of: project.repoPath + "/" + repoRelative))
                let headBlob = present[path]?.id.hex
                // Already as wanted on disk and in HEAD, mode included: nothing to do.
                if diskBlob == want?.id.hex && headBlob == want?.id.hex && present[path]?.mode == want?.mode { continue }
                // On disk as wanted but not committed: committing it loses nothing.
                if diskBlob == want?.id.hex { steps.append(step); continue }
                if diskBlob != headBlob || diskBlob != synced[path] { conflicting.append(step) } else { steps.append(step) }
            }

            if steps.isEmpty && conflicting.isEmpty {
                return RollbackResult(outcome: .unchanged, target: target.hex, commit: nil, restored: [], deleted: [],
                                      conflictIds: [], conflictPaths: [])
            }
            // Seen by subscribers as the rollback begins; the row it ends with has the same run id.
            let runId = UUID().uuidString.lowercased()
            let files = (conflicting.isEmpty ? steps : conflicting).map { current.path + "/" + $0.path }
            func logRow(_ action: String, success: Bool, error: String?) throws {
                _ = try store.write { w in
                    try w.insertHistory(.write(projectId: project.id, specId: current.id, runId: runId, trigger: trigger,
                                               action: action, success: success, error: error, files: files))
                }
            }
            try logRow(HistoryRecord.startedAction, success: true, error: nil)
            if !conflicting.isEmpty {
                return try keepRollbackAsConflict(conflicting, spec: current, project: project, target: target,
                                                  synced: synced, trigger: trigger, runId: runId)
            }

            // Back up and write every new file beside its target first, then
            // swap them all in: a crash leaves at most a moment's mix, never a
            // half-written file, and any failure puts back what was swapped.
            let changeFolder = project.repoPath + "/" + folder
            var temps: [String: String] = [:]
            var done: [RollbackStep] = []
            // Puts back every file swapped so far; true when all of them were.
            func undo() -> Bool {
                for temp in temps.values { try? writeFileSystem.remove(temp) }
                return done.reversed().map { (try? restoreFile(changeFolder + "/" + $0.path, to: $0.old, mode: $0.oldMode)) != nil }
                    .allSatisfy { $0 }
            }
            do {
                for step in steps {
                    let file = changeFolder + "/" + step.path
                    if let old = step.old {
                        try backUp(old, gitDir: repo.gitDir, openspecRelative: current.path + "/" + step.path,
                                   mode: step.oldMode ?? 0o644)
                    }
                    guard let content = step.content else { continue }
                    let parent = (file as NSString).deletingLastPathComponent
                    try createFolders(from: changeFolder, to: parent)
                    removeStaleTemporaryFiles(in: parent, of: (file as NSString).lastPathComponent)
                    let temp = temporaryPath(beside: file)
                    temps[step.path] = temp
                    try writeFileSystem.writeNewFile(temp, bytes: content, mode: Self.permissions(step.mode, existing: step.oldMode))
                }
                for step in steps {
                    let file = changeFolder + "/" + step.path
                    // Check before replace: the file must still be what was checked above.
                    if try writeFileSystem.readIfPresent(file) != step.old {
                        throw SyncError.rollbackRefused(.changedDuringRollback(path: folder + "/" + step.path))
                    }
                    if let temp = temps[step.path] {
                        try writeFileSystem.rename(temp, to: file)
                        temps[step.path] = nil
                        done.append(step)
                        try writeFileSystem.syncDirectory((file as NSString).deletingLastPathComponent)
                    } else if step.old != nil {
                        try writeFileSystem.remove(file)
                        done.append(step)
                        removeEmptyFolders(from: (file as NSString).deletingLastPathComponent, upTo: changeFolder)
                    }
                }
            } catch let error as SyncError {
                _ = undo()
                try? logRow("failed", success: false, error: "\(error)")
                throw error
            } catch {
                let refused = SyncError.rollbackRefused(.cannotWrite(folder: folder, cause: error as? FileSystemError, restored: undo()))
                try? logRow("failed", success: false, error: "\(refused)")
                throw refused
            }

            let info = try? repo.commit(target)
            let restored = steps.filter { $0.content != nil }.map(\.path)
            let deleted = steps.filter { $0.content == nil }.map(\.path)
            let message = "openspec-sync: roll back \(current.changeId) to \(target.hex.prefix(12))\n\n"
                + "Restores \(folder) as of \(target.hex.prefix(12))" + (info.map { " (\"\($0.summary.prefix(60))\")" } ?? "")
                + ": \(restored.count) file(s) written, \(deleted.count) deleted.\n\n"
                + "OpenSpec-Sync: rollback\nOpenSpec-Sync-Spec: \(current.id)\nOpenSpec-Sync-Rollback-To: \(target.hex)\n"
            let commit: ObjectID
            do {
                commit = try repo.commitFiles(
                    steps.map { FileWrite(path: folder + "/" + $0.path, content: $0.content, mode: $0.mode) },
                    message: message, author: SyncCommit.author, expectedHead: head)
            } catch {
                let refused = SyncError.rollbackRefused(.cannotCommit(cause: error as? GitError, restored: undo()))
                try? logRow("failed", success: false, error: "\(refused)")
                throw refused
            }

            try store.write { w in
                try w.insertHistory(.write(projectId: project.id, specId: current.id, runId: runId, trigger: trigger,
                                           action: "rollback", success: true, files: files, from: head?.hex, to: commit.hex))
                try w.setSpecSyncError(specId: current.id, nil)
            }
            _ = try? reconciler.reconcile(projectId: project.id, options: committed)
            return RollbackResult(outcome: .written, target: target.hex, commit: commit.hex, restored: restored,
                                  deleted: deleted, conflictIds: [], conflictPaths: [])
        }
    }

    /// The files won: nothing is written; each file the target has is kept as a
    /// conflict holding the target's content, and the database takes the files.
    private func keepRollbackAsConflict(_ steps: [RollbackStep], spec: SpecRecord, project: ProjectRecord,
                                        target: ObjectID, synced: [String: String], trigger: String,
                                        runId: String) throws -> RollbackResult {
        let paths = steps.map(\.path)
        let message = "conflict: rolling back to \(target.hex.prefix(12)) would overwrite "
            + paths.map { "\(project.openspecPath)/\(spec.path)/\($0)" }.joined(separator: ", ")
            + ", changed on disk since the last sync or not committed; nothing was written (commit or discard those changes and roll back again)"
        let ids = try store.write { w in
            var ids: [Int64] = []
            for step in steps {
                guard let content = step.content else { continue }  // a deletion has no content to keep
                ids.append(try w.insertConflict(
                    projectId: project.id, specId: spec.id, path: step.path, dbContent: Data(content),
                    baseBlobId: synced[step.path], fsBlobId: step.old.map { Repository.hashBlob($0).hex }, at: Date()))
            }
            try w.insertHistory(.write(projectId: project.id, specId: spec.id, runId: runId, trigger: trigger,
                                       action: "conflict", success: false, error: message,
                                       files: paths.map { spec.path + "/" + $0 }))
            return ids
        }
        // The files won: the database takes them as they are.
        _ = try? reconciler.reconcile(projectId: project.id, options: ReconcileOptions(trigger: trigger, maxFileBytes: maxFileBytes))
        return RollbackResult(outcome: .conflict, target: target.hex, commit: nil, restored: [], deleted: [],
                              conflictIds: ids, conflictPaths: paths)
    }

    /// Disk permissions for a file restored with git mode `mode`: the existing
    /// file's, with the executable bits as the target says.
    static func permissions(_ mode: FileMode?, existing: mode_t?) -> mode_t {
        let base = existing ?? 0o644
        return mode == .executable ? base | ((base & 0o444) >> 2) | 0o100 : base & ~0o111
    }

    /// Removes folders left empty by a deletion, up to (not including) the change folder.
    private func removeEmptyFolders(from folder: String, upTo changeFolder: String) {
        var path = folder
        while path != changeFolder, path.hasPrefix(changeFolder + "/") {
            guard rmdir(path) == 0 else { return }
            path = (path as NSString).deletingLastPathComponent
        }
    }
}
