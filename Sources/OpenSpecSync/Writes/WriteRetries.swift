import Foundation
import OpenSpecStore

extension SyncEngine {
    // MARK: Retries

    /// Writes the project's pending edits whose retry time has come (a
    /// merge, rebase or `index.lock` held them back), in one commit; the
    /// scan loop calls it every round. All waiting edits of a file with a
    /// due one go together, in queue order.
    public func flushPendingWrites(project: ProjectRecord, now: Date = Date(),
                                   trigger: SyncTrigger = .periodic) throws -> [WriteOutcome] {
        guard try !store.duePendingWrites(projectId: project.id, now: now).isEmpty else { return [] }
        // Another host's edits to write: its owner writes them.
        let (role, project, _) = try ownership(of: project)
        guard role.isOwner else { return [] }
        return try underLock(project) {
            try attemptProject(project, including: nil, due: now, trigger: trigger).map(\.outcome)
        }
    }

    /// Runs `body` under the project's lock, so a write never interleaves with a reconcile.
    func underLock<T>(_ project: ProjectRecord, _ body: () throws -> T) throws -> T {
        try lock(for: project).exclusively(body, whenDirty: {
            // Triggers that came during the write: the run they asked for.
            _ = try reconciler.reconcile(projectId: project.id, options: ReconcileOptions(trigger: .manual, maxFileBytes: maxFileBytes))
        })
    }
}
