import Foundation
import OpenSpecGit
import OpenSpecStore

/// An edit that can never be written as made is given up: kept whole as a
/// conflict with the reason, and the database takes the file that won.
extension SyncEngine {
    /// Gives up every edit of `writes` for one reason, keeping each as a
    /// conflict; then the database takes the file that won, unless the
    /// caller does that itself (`reconcile` false: a group with other files still to commit).
    func keepAsConflicts(_ writes: [PendingWriteRecord], project: ProjectRecord, file: [UInt8]?,
                         fsBlobId: String?, trigger: SyncTrigger, reason: ConflictReason,
                         reconcile: Bool = true) throws -> EditOutcomes {
        defer { if reconcile { reconcileAfterConflict(project, trigger: trigger) } }
        return try writes.map { write in
            (write.id, .conflict(id: try keepAsConflict(write, project: project, file: file, fsBlobId: fsBlobId,
                                                        trigger: trigger, reason: reason)))
        }
    }

    /// The edit is given up and kept whole as a conflict, with its content and
    /// the reason; the caller lets the database take the file afterwards.
    func keepAsConflict(_ write: PendingWriteRecord, project: ProjectRecord, file: [UInt8]?,
                        fsBlobId: String?, trigger: SyncTrigger, reason: ConflictReason) throws -> Int64 {
        let message = "conflict: \(reason); the file was kept and the database edit saved (`openspec-sync conflicts`)"
        let kept = try keptContent(of: write, file: file)
        return try store.write { w in
            let id = try w.insertConflict(projectId: project.id, specId: write.specId, path: write.path,
                                          dbContent: kept, baseBlobId: write.baseBlobId, fsBlobId: fsBlobId,
                                          reason: "\(reason)", at: Date())
            try w.setWriteStatus(id: write.id, .conflicted, error: message)
            try w.insertHistory(.write(projectId: project.id, specId: write.specId, runId: Self.attemptRunId(write),
                                       trigger: trigger, action: .conflict, success: false, error: message,
                                       files: [write.path]))
            return id
        }
    }

    /// What a given-up edit keeps: a replace its content; a toggle the file
    /// (as found, else as last synced) with the toggle made where the task is found.
    func keptContent(of write: PendingWriteRecord, file: [UInt8]?) throws -> Data {
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
    func reconcileAfterConflict(_ project: ProjectRecord, trigger: SyncTrigger) {
        _ = try? reconciler.reconcile(projectId: project.id, options: ReconcileOptions(trigger: trigger, maxFileBytes: maxFileBytes))
    }
}
