import Foundation
import OpenSpecGit
import OpenSpecStore

/// Step 3 of a write (a group's files) and of a rollback: exactly the paths written are
/// committed on top of HEAD, as `openspec-sync`, with trailers that name
/// the tool's commits (`SyncCommit.isOwn`).
extension SyncEngine {
    /// Commits the written files of a group's edits, one commit for them
    /// all; the message names the file (or counts the files and changes)
    /// and lists the edits, one line each.
    func commitWrites(_ files: [ReadyFile], in repo: Repository, expectedHead head: ObjectID?) throws -> ObjectID {
        let specs = files.reduce(into: [String]()) { ids, file in
            if !ids.contains(file.target.spec.id) { ids.append(file.target.spec.id) }
        }
        let message = Self.subject(of: files, changes: specs.count) + "\n\n"
            + files.flatMap { file in file.plan.applying.map { Self.line(for: $0.write, step: $0.step, in: file.target) } }
                .joined(separator: "\n")
            + "\n\nOpenSpec-Sync: db_to_fs\n" + specs.map { "OpenSpec-Sync-Spec: \($0)\n" }.joined()
        return try repo.commitFiles(files.map { FileWrite(path: $0.target.repoRelative, content: $0.content, mode: nil) },
                                    message: message, author: SyncCommit.author, expectedHead: head)
    }

    /// The first line: the one file written, or how many files of how many changes.
    private static func subject(of files: [ReadyFile], changes: Int) -> String {
        guard files.count > 1 else {
            return "openspec-sync: update \(files[0].target.spec.changeId)/\(files[0].target.path)"
        }
        let changesPart = changes == 1 ? "of \(files[0].target.spec.changeId)" : "of \(changes) changes"
        return "openspec-sync: update \(files.count) files \(changesPart)"
    }

    /// One edit of the commit: its change, its file and what it did.
    private static func line(for write: PendingWriteRecord, step: EditStep, in file: WriteTarget) -> String {
        let operation: String
        switch write.operation {
        case .replace: operation = "replaced"
        case .toggleTask: operation = (write.done ?? true ? "task \(write.task ?? "") ticked" : "task \(write.task ?? "") unticked")
        }
        return "- \(file.spec.changeId)/\(file.path): \(operation)" + (step == .applied ? "" : " (no change)")
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
