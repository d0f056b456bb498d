import Foundation
import OpenSpecGit
import OpenSpecStore

extension SyncEngine {
    /// The cross-process lock that keeps reconciles of `project` one at a time.
    public func lock(for project: ProjectRecord) -> ProjectLock {
        ProjectLock(databasePath: lockBase, projectId: project.id)
    }

    /// A reconcile behind the project's lock: `.wait` queues behind a running
    /// one and then runs; `.coalesce` hands off to it (see `ProjectLock`).
    /// Throws `SyncError.notOwner` for a project another host owns.
    public func reconcileExclusively(_ project: ProjectRecord, options: ReconcileOptions, mode: ProjectLock.Mode,
                                     progress: Reconciler.Progress? = nil) throws -> ProjectLock.Outcome {
        try reconcileOwned(requireOwner(project), options: options, mode: mode, progress: progress)
    }

    /// `reconcileExclusively` for a project this host was just found to own
    /// (`ownership(of:)`): the run itself checks again under the write lock.
    func reconcileOwned(_ project: ProjectRecord, options: ReconcileOptions, mode: ProjectLock.Mode,
                        progress: Reconciler.Progress? = nil) throws -> ProjectLock.Outcome {
        // Under the lock, HEAD from the files only: when they do not answer, a run is the safe side.
        func syncedAtHead(_ current: ProjectRecord) -> Bool {
            Self.isSyncedAtHead(current) { Repository.peekHead(workdir: current.repoPath) }
        }
        let commitsSynced = { [store] in (try? store.project(id: project.id)).map(syncedAtHead) ?? false }
        return try lock(for: project).run(mode, ownRunCoversAll: !options.committedOnly && options.workLimit == nil,
                                          commitsSynced: commitsSynced) { ownRun in
            // Re-read the project: the run before ours moved its cursor.
            Trace.mark("lock taken")
            let current = try store.project(id: project.id) ?? project
            // A hook that found the database behind HEAD before the lock may
            // find it current after: the run it waited for covered its commit.
            if ownRun, options.committedOnly, syncedAtHead(current) { return nil }
            Trace.mark("re-checked")
            var runOptions = options
            if !ownRun {
                // For triggers we know nothing about (an edit the watcher saw,
                // say): an ordinary run, walking the working tree.
                runOptions.committedOnly = false
                runOptions.workLimit = nil
                runOptions.recheck = []
            }
            return try reconcile(current, options: runOptions, progress: progress)
        }
    }

    /// What a git hook does (`openspec-sync hook NAME`), decided with one
    /// look at the repository: during a rebase only mark the project (git
    /// fires post-checkout and a post-commit per replayed commit, then
    /// post-rewrite once, which syncs); otherwise sync what the commits
    /// changed, in the foreground when that is at most `foregroundLimit`
    /// paths, else report `.background` for the caller to start a process.
    /// `standingBy`: another host owns the project; its owner syncs it.
    public enum HookOutcome: Sendable { case marked, upToDate, synced(ProjectLock.Outcome), background(String), standingBy(ProjectRole) }

    /// Synced at HEAD with nothing left over: all a git hook asks for.
    /// `head` reads HEAD's commit; nil (unborn, or unknown) is not synced.
    private static func isSyncedAtHead(_ project: ProjectRecord, head: () throws -> ObjectID?) rethrows -> Bool {
        guard project.pendingPathList.isEmpty, let synced = project.lastReconciledCommit else { return false }
        return try head()?.hex == synced
    }

    /// Whether a rebase (or `git am`) is under way: read from the git folder
    /// when it is a plain one, from libgit2 (`repo`) otherwise.
    private static func isRebasing(_ project: ProjectRecord, repo: () throws -> Repository) throws -> Bool {
        if let peeked = Repository.peekRebasing(workdir: project.repoPath) { return peeked }
        switch try repo().state {
        case .rebase, .rebaseInteractive, .rebaseMerge, .applyMailbox, .applyMailboxOrRebase: return true
        default: return false
        }
    }

    public func runHook(_ hook: SyncTrigger, project found: ProjectRecord, arguments: [String] = [], foregroundLimit: Int = 500,
                        maxFileBytes: Int) throws -> HookOutcome {
        let (role, project, _) = try ownership(of: found)
        guard role.isOwner else { return .standingBy(role) }
        // Read from the git folder when it is a plain one: libgit2 is started
        // by the sync itself, on another core, only if there is one to do.
        var opened: Repository?
        func repo() throws -> Repository {
            if let opened { return opened }
            let repository = try Repository(path: project.repoPath)
            opened = repository
            return repository
        }
        if try Self.isRebasing(project, repo: repo) && hook != .postRewrite {
            lock(for: project).markDirty()
            return .marked
        }
        // Already synced at this HEAD, with nothing left over: the hooks of a
        // storm that a sync already covered cost nothing. (`checkout -- path`,
        // post-checkout's flag 0, changes files without moving HEAD.)
        Trace.mark("hook: state read")
        let fileCheckout = hook == .postCheckout && arguments.count >= 3 && arguments[2] == "0"
        if !fileCheckout, let current = try store.project(id: project.id),
           try Self.isSyncedAtHead(current, head: { try Repository.peekHead(workdir: project.repoPath) ?? repo().headCommit() }) {
            return .upToDate
        }
        Trace.mark("hook: head compared")
        var options = ReconcileOptions(trigger: hook, maxFileBytes: maxFileBytes)
        options.committedOnly = !fileCheckout
        options.workLimit = foregroundLimit
        do {
            return .synced(try reconcileOwned(project, options: options, mode: .coalesce))
        } catch let SyncError.tooMuchWork(reason) {
            return .background("\(reason)")
        }
    }
}
