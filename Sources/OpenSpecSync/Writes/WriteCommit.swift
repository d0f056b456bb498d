import Foundation
import OpenSpecGit
import OpenSpecStore

/// Step 3 of a write and of a rollback: exactly the paths written are
/// committed on top of HEAD, as `openspec-sync`, with trailers that name
/// the tool's commits (`SyncCommit.isOwn`).
extension SyncEngine {
    /// Commits the written file of an edit (or of several applied in order).
    func commitWrite(_ content: [UInt8], edits: Int, file: WriteTarget, in repo: Repository,
                     expectedHead head: ObjectID?) throws -> ObjectID {
        let summary = String(decoding: content.prefix(200), as: UTF8.self)
            .split(whereSeparator: \.isNewline).first.map { String($0).trimmingCharacters(in: .whitespaces) } ?? ""
        let message = "openspec-sync: update \(file.spec.changeId)/\(file.path)\n\n"
            + (summary.isEmpty ? "Written from the database." : "Now starts: \(summary.prefix(72))")
            + (edits > 1 ? "\n\n\(edits) edits made through the database, applied in order." : "")
            + "\n\nOpenSpec-Sync: db_to_fs\nOpenSpec-Sync-Spec: \(file.spec.id)\n"
        return try repo.commitFiles([FileWrite(path: file.repoRelative, content: content, mode: nil)],
                                    message: message, author: SyncCommit.author, expectedHead: head)
    }

    /// Commits a rollback's restored and deleted files of the change in `folder` (relative to the repository).
    func commitRollback(_ steps: [RollbackStep], of spec: SpecRecord, folder: String, to target: ObjectID,
                        in repo: Repository, expectedHead head: ObjectID?) throws -> ObjectID {
        let info = try? repo.commit(target)
        let restored = steps.filter { $0.content != nil }.count
        let deleted = steps.count - restored
        let message = "openspec-sync: roll back \(spec.changeId) to \(target.hex.prefix(12))\n\n"
            + "Restores \(folder) as of \(target.hex.prefix(12))" + (info.map { " (\"\($0.summary.prefix(60))\")" } ?? "")
            + ": \(restored) file(s) written, \(deleted) deleted.\n\n"
            + "OpenSpec-Sync: rollback\nOpenSpec-Sync-Spec: \(spec.id)\nOpenSpec-Sync-Rollback-To: \(target.hex)\n"
        return try repo.commitFiles(steps.map { FileWrite(path: folder + "/" + $0.path, content: $0.content, mode: $0.mode) },
                                    message: message, author: SyncCommit.author, expectedHead: head)
    }
}
