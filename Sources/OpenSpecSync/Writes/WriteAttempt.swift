import Foundation
import OpenSpecGit
import OpenSpecStore

/// The file a write goes to, in the forms its steps need.
struct WriteTarget {
    let project: ProjectRecord
    let spec: SpecPlace
    /// Relative to the change folder.
    let path: String

    /// Relative to the OpenSpec folder (as backups are laid out).
    var openspecRelative: String { spec.path + "/" + path }
    var repoRelative: String { project.openspecPath + "/" + openspecRelative }
    var absolute: String { project.repoPath + "/" + repoRelative }
    var changeFolder: String { project.repoPath + "/" + project.openspecPath + "/" + spec.path }
}

/// Each edit's outcome, by the id of its pending write.
typealias EditOutcomes = [(id: Int64, outcome: WriteOutcome)]

/// A write is four steps, one file each: precheck (`WritePrecheck.swift`),
/// replace (`FileReplacement.swift`), commit (`WriteCommit.swift`) and
/// record (`WriteRecord.swift`). This file runs them for one file.
extension SyncEngine {
    /// One attempt at the waiting edits of one file: refuse and wait, or
    /// apply them in queue order to the file as it is (those that cannot
    /// apply become conflicts), back up, replace atomically, commit once and
    /// reconcile. Returns each edit's outcome, in queue order. Called under the project lock.
    func attemptFile(specId: String, path: String, trigger: String) throws -> EditOutcomes {
        let attempt = try writeFile(specId: specId, path: path, trigger: trigger)
        if let projectId = attempt.committedIn {
            // The row takes the file as written; its blob now equals the synced one, so nothing echoes back.
            // Only the commit just made needs reading: no walk of the working tree. It runs once the
            // write's copies of the file are released, so a large file is not held by both at once.
            var follow = ReconcileOptions(trigger: trigger, maxFileBytes: maxFileBytes)
            follow.committedOnly = true
            _ = try? reconciler.reconcile(projectId: projectId, options: follow)
            Trace.mark("database synced from the commit")
        }
        return attempt.outcomes
    }

    /// The outcomes of one attempt, and the project whose commit it made (nil when it made none).
    typealias FileAttempt = (outcomes: EditOutcomes, committedIn: String?)

    /// `attemptFile` up to the commit: the database is not yet synced from it.
    private func writeFile(specId: String, path: String, trigger: String) throws -> FileAttempt {
        let writes = try store.pendingWrites(specId: specId, path: path)
        guard let first = writes.first else { return ([], nil) }
        guard let project = try store.project(id: first.projectId) else { throw SyncError.unknownProject(first.projectId) }
        try recordStart(of: writes, project: project, path: path, trigger: trigger)
        Trace.mark("lock taken, start logged")
        guard let spec = try store.specPlace(id: specId), spec.status != .removed else {
            return (try keepAsConflicts(writes, project: project, file: nil, fsBlobId: nil, trigger: trigger,
                                        reason: .changeRemoved), nil)
        }
        let file = WriteTarget(project: project, spec: spec, path: path)
        let repo: Repository
        do { repo = try Repository(path: project.repoPath) } catch {
            return (try deferWrites(writes, trigger: trigger, .cannotOpenRepository(path: project.repoPath, error: error)), nil)
        }
        Trace.mark("repository open")
        // A write killed after its commit left the index at the pre-commit state: finish it first.
        repairIndexAfterOwnCommit(in: repo)
        switch precheck(in: repo, file: file) {
        case let .wait(delay):
            return (try deferWrites(writes, trigger: trigger, delay), nil)
        case let .giveUp(reason):
            return (try keepAsConflicts(writes, project: project, file: nil, fsBlobId: nil, trigger: trigger, reason: reason), nil)
        case nil:
            break
        }
        let plan: WritePlan
        do { plan = try self.plan(writes, file: file) } catch {
            return (try deferWrites(writes, trigger: trigger, .cannotWrite(path: file.repoRelative, error: error, restore: nil)), nil)
        }
        Trace.mark("file read, edits applied")
        return try write(plan, in: repo, file: file, trigger: trigger)
    }

    /// Keeps the edits that cannot apply as conflicts, then writes and commits the result of the others.
    private func write(_ plan: WritePlan, in repo: Repository, file: WriteTarget, trigger: String) throws -> FileAttempt {
        var outcomes: EditOutcomes = []
        for (write, reason) in plan.conflicting {
            let id = try keepAsConflict(write, project: file.project, file: plan.old, fsBlobId: plan.oldBlob,
                                        trigger: trigger, reason: reason)
            outcomes.append((write.id, .conflict(id: id)))
        }
        defer { if !outcomes.isEmpty { reconcileAfterConflict(file.project, trigger: trigger) } }
        guard !plan.applying.isEmpty else { return (outcomes, nil) }
        guard let content = plan.content else {
            // Every edit that applied left the file as it is: nothing to write or commit.
            try markUnchanged(plan.applying.map(\.write), specId: file.spec.id, trigger: trigger)
            return (outcomes + plan.applying.map { ($0.write.id, .unchanged) }, nil)
        }
        let written = try replaceAndCommit(plan, content: content, in: repo, file: file, trigger: trigger)
        return ((outcomes + written.outcomes).sorted { $0.id < $1.id }, written.committedIn)
    }

    /// Steps 2 to 4 for the edits that apply: replace the file, commit it
    /// once, record each edit's outcome. A failed commit puts the file back.
    private func replaceAndCommit(_ plan: WritePlan, content: [UInt8], in repo: Repository, file: WriteTarget,
                                  trigger: String) throws -> FileAttempt {
        let writes = plan.applying.map(\.write)
        let mode = writeFileSystem.permissions(of: file.absolute) ?? 0o644
        var replacement = FileReplacement(fs: writeFileSystem, target: file.absolute, old: plan.old, oldMode: mode,
                                          content: content, mode: mode)
        if !plan.alreadyInPlace,
           let stopped = try replace(&replacement, writes: writes, in: repo, file: file, trigger: trigger) {
            return (stopped, nil)
        }
        Trace.mark("backed up, written, synced to disk")
        let head: ObjectID?
        let commit: ObjectID
        do {
            head = try repo.headCommit()
            commit = try commitWrite(content, edits: writes.count, file: file, in: repo, expectedHead: head)
        } catch {
            // Undo the file write: an uncommitted sync write would look like the user's own edit.
            let restore = replacement.undo()
            return (try deferWrites(writes, trigger: trigger,
                                    .cannotCommit(path: file.repoRelative, error: error, restore: restore)), nil)
        }
        Trace.mark("committed")
        try recordWritten(plan.applying, file: file, head: head, commit: commit, trigger: trigger)
        Trace.mark("write done, outcome logged")
        return (plan.applying.map { ($0.write.id, $0.step == .applied ? .written(commit: commit.hex) : .unchanged) },
                file.project.id)
    }

    /// Step 2: backs up the file and swaps the new content in. nil once in
    /// place; otherwise the edits' outcomes: conflicts when the file changed
    /// while it was being written, waiting when the disk failed (the file is put back).
    private func replace(_ replacement: inout FileReplacement, writes: [PendingWriteRecord], in repo: Repository,
                         file: WriteTarget, trigger: String) throws -> EditOutcomes? {
        do {
            if let old = replacement.old {
                try backUp(old, gitDir: repo.gitDir, openspecRelative: file.openspecRelative, mode: replacement.mode)
            }
            try replacement.stage(changeFolder: file.changeFolder)
            // Check before replace: the file must still be what the edits were applied to.
            guard try replacement.isUnchanged() else {
                replacement.discard()
                let now = (try? writeFileSystem.readIfPresent(file.absolute)) ?? nil
                return try keepAsConflicts(writes, project: file.project, file: now,
                                           fsBlobId: now.map { Repository.hashBlob($0).hex }, trigger: trigger,
                                           reason: .changedWhileWriting(path: file.repoRelative))
            }
            // Recorded before the swap: an attempt stopped after it finds this blob in place and only commits.
            let blobId = Repository.hashBlob(replacement.content ?? []).hex
            try store.write { w in try w.setWrittenBlob(ids: writes.map(\.id), blobId: blobId) }
            try replacement.swap(changeFolder: file.changeFolder)
        } catch {
            let restore = replacement.undo()
            return try deferWrites(writes, trigger: trigger, .cannotWrite(path: file.repoRelative, error: error, restore: restore))
        }
        return nil
    }
}
