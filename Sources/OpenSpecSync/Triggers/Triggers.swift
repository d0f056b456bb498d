import Foundation
import OpenSpecGit
import OpenSpecStore

extension SyncEngine {
    /// The cross-process lock that keeps reconciles of `project` one at a time.
    public func lock(for project: ProjectRecord) -> ProjectLock {
        ProjectLock(databasePath: store.path, projectId: project.id)
    }

    /// A reconcile behind the project's lock: `.wait` queues behind a running
    /// one and then runs; `.coalesce` hands off to it (see `ProjectLock`).
    public func reconcileExclusively(_ project: ProjectRecord, options: ReconcileOptions, mode: ProjectLock.Mode,
                                     progress: Reconciler.Progress? = nil) throws -> ProjectLock.Outcome {
        try lock(for: project).run(mode) {
            // Re-read the project: the run before ours moved its cursor.
            let current = try store.project(id: project.id) ?? project
            return try reconcile(current, options: options, progress: progress)
        }
    }

    /// How many paths under the OpenSpec folder the commits since the last
    /// sync touched, or nil when the next run must compare everything
    /// (never synced, or the last synced commit is gone). Cheap: a
    /// tree-to-tree diff. Hooks use it to decide whether to sync in the
    /// foreground or hand a long catch-up to the background.
    public func committedWork(for project: ProjectRecord) throws -> Int? {
        guard project.reconciledOnce else { return nil }
        let repo = try Repository(path: project.repoPath)
        let base = project.lastReconciledCommit.flatMap { ObjectID(hex: $0) }
        if let base, !repo.commitExists(base) { return nil }
        return try repo.diff(from: base, to: repo.headCommit(), under: project.openspecPath).count
    }

    /// True while git is replaying commits (a rebase or `git am`): each
    /// replayed commit fires post-commit, and post-rewrite fires at the end.
    public func isRebasing(_ project: ProjectRecord) -> Bool {
        guard let repo = try? Repository(path: project.repoPath) else { return false }
        switch repo.state {
        case .rebase, .rebaseInteractive, .rebaseMerge, .applyMailbox, .applyMailboxOrRebase: return true
        default: return false
        }
    }
}
