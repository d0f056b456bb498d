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

/// One rollback under way: the change it restores, and the run id its
/// history rows share (the start mark and the row it ends with).
struct RollbackRun {
    var project: ProjectRecord
    var spec: SpecRecord
    /// The change folder, relative to the repository.
    var folder: String
    var target: ObjectID
    var trigger: SyncTrigger
    var runId = UUID().uuidString.lowercased()
    /// The files the history rows name (relative to the OpenSpec folder).
    var files: [String] = []
}

/// A rollback is the four steps of a write for several files at once:
/// precheck (`RollbackPlan.swift`), replace (`FileReplacement`, every file
/// staged before any is swapped in), commit (`WriteCommit.swift`), record.
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
                         trigger: SyncTrigger = .userEdit) throws -> RollbackResult {
        guard let found = try store.project(id: spec.projectId) else { throw SyncError.unknownProject(spec.projectId) }
        guard let current = try store.spec(id: spec.id), current.status != .removed else {
            throw SyncError.changeGone(spec.path)
        }
        let project = try requireOwner(found)
        let repo: Repository
        do { repo = try Repository(path: project.repoPath) } catch {
            throw SyncError.notARepository(path: project.repoPath, cause: error as? GitError)
        }
        let target: ObjectID
        do { target = try repo.resolveCommit(revision) } catch { throw SyncError.unknownRevision(revision) }
        var run = RollbackRun(project: project, spec: current, folder: project.openspecPath + "/" + current.path,
                              target: target, trigger: trigger)
        return try underLock(project) {
            // The database must know what is committed, so only work not yet synced counts as a conflict.
            _ = try reconciler.reconcile(projectId: project.id, options: committedOnly(trigger))
            try precheckRollback(in: repo)
            // A rollback killed after its commit left the index at the pre-rollback state: finish it first.
            repairIndexAfterOwnCommit(in: repo)
            let head = try repo.headCommit()
            let plan = try planRollback(current, project: project, folder: run.folder, to: target, revision: revision,
                                        head: head, in: repo)
            if plan.steps.isEmpty && plan.conflicting.isEmpty {
                return RollbackResult(outcome: .unchanged, target: target.hex, commit: nil, restored: [], deleted: [],
                                      conflictIds: [], conflictPaths: [])
            }
            run.files = (plan.conflicting.isEmpty ? plan.steps : plan.conflicting).map { current.path + "/" + $0.path }
            // Seen by subscribers as the rollback begins.
            try log(run, .started, success: true)
            if !plan.conflicting.isEmpty {
                return try keepRollbackAsConflict(plan.conflicting, spec: current, project: project, target: target,
                                                  synced: plan.synced, trigger: trigger, runId: run.runId)
            }
            return try restore(plan.steps, run: run, head: head, in: repo)
        }
    }

    /// Steps 2 to 4: replaces the files, commits them once (a failed commit
    /// puts them back) and records the rollback.
    private func restore(_ steps: [RollbackStep], run: RollbackRun, head: ObjectID?,
                         in repo: Repository) throws -> RollbackResult {
        var replacements = try replaceFiles(steps, run: run, in: repo)
        let commit: ObjectID
        do {
            commit = try commitRollback(steps, of: run.spec, folder: run.folder, to: run.target, in: repo, expectedHead: head)
        } catch {
            let restore = FileReplacement.undo(&replacements)
            let refused = SyncError.rollbackRefused(.cannotCommit(cause: error as? GitError, restored: restore.putBack))
            try? log(run, .failed, success: false, error: "\(refused)")
            throw refused
        }
        let newOwner = try store.write { w -> ProjectOwnerRecord? in
            // Fenced: an owner that stalled past its lease does not count its rollback done (OwnerFence.swift).
            if let owner = try w.ownerOtherThan(host, projectId: run.project.id) { return owner }
            try w.insertHistory(.write(projectId: run.project.id, specId: run.spec.id, runId: run.runId, trigger: run.trigger,
                                       action: .rollback, success: true, files: run.files, from: head?.hex, to: commit.hex))
            try w.setSpecSyncError(specId: run.spec.id, nil)
            return nil
        }
        if let newOwner {
            let who = newOwner.ownerHost.map { "host \($0) took the project over" } ?? "this host let the project go"
            try? log(run, .failed, success: false,
                     error: "\(who) while this host rolled back; only this host's clone has the rollback, as commit \(commit.hex.prefix(10))")
            throw newOwner.refusal(project: run.project.name)
        }
        _ = try? reconciler.reconcile(projectId: run.project.id, options: committedOnly(run.trigger))
        return RollbackResult(outcome: .written, target: run.target.hex, commit: commit.hex,
                              restored: steps.filter { $0.content != nil }.map(\.path),
                              deleted: steps.filter { $0.content == nil }.map(\.path), conflictIds: [], conflictPaths: [])
    }

    /// Step 2: backs up and stages every new file beside its target first,
    /// then swaps them all in: a crash leaves at most a moment's mix, never a
    /// half-written file, and any failure puts back what was swapped.
    private func replaceFiles(_ steps: [RollbackStep], run: RollbackRun, in repo: Repository) throws -> [FileReplacement] {
        let changeFolder = run.project.repoPath + "/" + run.folder
        var replacements = steps.map { step in
            FileReplacement(fs: writeFileSystem, target: changeFolder + "/" + step.path, old: step.old, oldMode: step.oldMode,
                            content: step.content, mode: Self.permissions(step.mode, existing: step.oldMode))
        }
        do {
            for (index, step) in steps.enumerated() {
                if let old = step.old {
                    try backUp(old, gitDir: repo.gitDir, openspecRelative: run.spec.path + "/" + step.path,
                               mode: step.oldMode ?? 0o644)
                }
                try replacements[index].stage(changeFolder: changeFolder)
            }
            for (index, step) in steps.enumerated() {
                // Check before replace: the file must still be what was checked when planned.
                guard try replacements[index].isUnchanged() else {
                    throw SyncError.rollbackRefused(.changedDuringRollback(path: run.folder + "/" + step.path))
                }
                try replacements[index].swap(changeFolder: changeFolder)
            }
        } catch let error as SyncError {
            _ = FileReplacement.undo(&replacements)
            try? log(run, .failed, success: false, error: "\(error)")
            throw error
        } catch {
            let restore = FileReplacement.undo(&replacements)
            let refused = SyncError.rollbackRefused(.cannotWrite(folder: run.folder, cause: error as? FileSystemError,
                                                                 restored: restore.putBack))
            try? log(run, .failed, success: false, error: "\(refused)")
            throw refused
        }
        return replacements
    }

    /// One history row of the rollback `run`.
    private func log(_ run: RollbackRun, _ action: WriteAction, success: Bool, error: String? = nil) throws {
        _ = try store.write { w in
            try w.insertHistory(.write(projectId: run.project.id, specId: run.spec.id, runId: run.runId, trigger: run.trigger,
                                       action: action, success: success, error: error, files: run.files))
        }
    }

    /// Options of a reconcile that reads only what was committed.
    private func committedOnly(_ trigger: SyncTrigger) -> ReconcileOptions {
        var options = ReconcileOptions(trigger: trigger, maxFileBytes: maxFileBytes)
        options.committedOnly = true
        return options
    }

    /// The files won: nothing is written; each file the target has is kept as a
    /// conflict holding the target's content, and the database takes the files.
    private func keepRollbackAsConflict(_ steps: [RollbackStep], spec: SpecRecord, project: ProjectRecord,
                                        target: ObjectID, synced: [String: String], trigger: SyncTrigger,
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
                                       action: .conflict, success: false, error: message,
                                       files: paths.map { spec.path + "/" + $0 }))
            return ids
        }
        // The files won: the database takes them as they are.
        _ = try? reconciler.reconcile(projectId: project.id, options: ReconcileOptions(trigger: trigger, maxFileBytes: maxFileBytes))
        return RollbackResult(outcome: .conflict, target: target.hex, commit: nil, restored: [], deleted: [],
                              conflictIds: ids, conflictPaths: paths)
    }
}
