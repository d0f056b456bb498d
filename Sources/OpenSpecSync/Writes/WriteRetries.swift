import Foundation
import OpenSpecStore

extension SyncEngine {
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
}
