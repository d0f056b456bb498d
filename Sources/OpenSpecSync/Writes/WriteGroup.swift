import Foundation
import OpenSpecGit
import OpenSpecStore

/// Group commit: whoever holds a project's lock writes every due waiting
/// edit of the project, whatever its file, and commits them all at once. An
/// edit that arrives while a commit is under way waits for the lock and is
/// carried by the next holder's commit, with the others that came meanwhile;
/// its caller then finds its outcome instead of attempting it again. Each
/// edit keeps its own history row and outcome, and a file whose edits wait
/// or conflict never holds back the others.
extension SyncEngine {
    /// Under the project lock: the outcome of write `id` (of file `own`),
    /// carried by an earlier holder's commit or by an attempt made now at it
    /// and at every other due waiting edit of the project.
    func groupOutcome(of id: Int64, file own: WriteFileKey, project: ProjectRecord, trigger: SyncTrigger) throws -> WriteOutcome {
        if let carried = writeOutcomes.outcome(of: id) { return carried }
        guard let write = try store.pendingWrite(id: id) else { throw StoreError.notFound("pending write \(id)") }
        // Carried by another process's commit.
        if write.status != .pending { return try recordedOutcome(of: write) }
        let outcomes = try attemptProject(project, including: own, trigger: trigger)
        if let found = outcomes.first(where: { $0.id == id }) { return found.outcome }
        return try recordedOutcome(of: try store.pendingWrite(id: id) ?? write)
    }

    /// What the database says became of a write another process attempted:
    /// the commit of its history row, its conflict, or why it is not done.
    func recordedOutcome(of write: PendingWriteRecord) throws -> WriteOutcome {
        switch write.status {
        case .written:
            let run = "write-\(write.id)-"
            let rows = try store.history(projectId: write.projectId, specId: write.specId, limit: 100)
            if let commit = rows.first(where: { $0.runId.hasPrefix(run) && $0.toCommit != nil })?.toCommit {
                return .written(commit: commit)
            }
        case .unchanged:
            return .unchanged
        case .conflicted:
            // The newest open conflict of the file is the one this edit became.
            if let kept = try store.conflicts(projectId: write.projectId, specId: write.specId, includeResolved: false).first(where: { $0.path == write.path }) {
                return .conflict(id: kept.id)
            }
        case .pending, .failed:
            break
        }
        return .pending(reason: "the write is \(write.status.rawValue): \(write.lastError ?? "no longer pending")")
    }

    /// One attempt at every due waiting edit of the project, and at every
    /// waiting edit of `own` (due or not), in one commit. Returns each edit's
    /// outcome, by write id; callers of this process waiting for one of them
    /// find it on the board. Called under the project lock.
    func attemptProject(_ project: ProjectRecord, including own: WriteFileKey?, due now: Date = Date(),
                        trigger: SyncTrigger) throws -> EditOutcomes {
        var files = own.map { [$0] } ?? []
        for write in try store.duePendingWrites(projectId: project.id, now: now) {
            let key = WriteFileKey(specId: write.specId, path: write.path)
            if !files.contains(key) { files.append(key) }
        }
        guard !files.isEmpty else { return [] }
        let outcomes = try attemptFiles(files, project: project, trigger: trigger)
        writeOutcomes.post(outcomes)
        return outcomes
    }

    /// Steps 1 and 2 for each file, one commit for all that were replaced,
    /// their record, then one reconcile (of the commit alone, or whole when
    /// an edit was kept as a conflict).
    private func attemptFiles(_ files: [WriteFileKey], project: ProjectRecord, trigger: SyncTrigger) throws -> EditOutcomes {
        let repo: Repository
        do { repo = try repositories.repository(for: project) } catch {
            var outcomes: EditOutcomes = []
            for key in files {
                outcomes += try deferWrites(try store.pendingWrites(specId: key.specId, path: key.path), trigger: trigger,
                                            .cannotOpenRepository(path: project.repoPath, error: error))
            }
            return outcomes
        }
        Trace.mark("repository open")
        // The files' bytes are released when this returns, before the reconcile reads them again.
        let outcomes = try writeAndCommit(files, project: project, repo: repo, trigger: trigger)
        let committed = outcomes.contains(where: { if case .written = $0.outcome { true } else { false } })
        if outcomes.contains(where: { if case .conflict = $0.outcome { true } else { false } }) {
            // The database takes the files that won (and the commit just made).
            reconcileAfterConflict(project, trigger: trigger)
        } else if committed {
            // The rows take the files as written; only the commit just made needs reading.
            var follow = ReconcileOptions(trigger: trigger, maxFileBytes: maxFileBytes)
            follow.committedOnly = true
            _ = try? reconciler.reconcile(projectId: project.id, options: follow)
            Trace.mark("database synced from the commit")
        }
        return outcomes.sorted { $0.id < $1.id }
    }

    /// Steps 1 and 2 for each file, then one commit for all that were replaced and their record.
    private func writeAndCommit(_ files: [WriteFileKey], project: ProjectRecord, repo: Repository,
                                trigger: SyncTrigger) throws -> EditOutcomes {
        // A write killed after its commit left the index at the pre-commit state: finish it first.
        repairIndexAfterOwnCommit(in: repo)
        var queued: [(key: WriteFileKey, writes: [PendingWriteRecord])] = []
        for key in files {
            let writes = try store.pendingWrites(specId: key.specId, path: key.path)
            if !writes.isEmpty { queued.append((key, writes)) }
        }
        try recordStart(of: queued, project: project, trigger: trigger)
        Trace.mark("lock taken, start logged")
        var outcomes: EditOutcomes = []
        var ready: [ReadyFile] = []
        for (key, writes) in queued {
            let step = try fileStep(key, writes: writes, project: project, repo: repo, trigger: trigger)
            outcomes += step.outcomes
            if let file = step.ready { ready.append(file) }
        }
        Trace.mark("files read, edits applied")
        var replaced: [ReadyFile] = []
        for var file in ready {
            if let stopped = try replace(&file, gitDir: repo.gitDir, trigger: trigger) {
                outcomes += stopped
            } else {
                replaced.append(file)
            }
        }
        if !ready.isEmpty { Self.rotateBackups(Self.backupsRoot(gitDir: repo.gitDir)) }
        Trace.mark("backed up, written, synced to disk")
        outcomes += try commitGroup(&replaced, project: project, in: repo, trigger: trigger)
        return outcomes
    }

    /// Step 1 for one file; a file whose trouble is an error of its own waits, and does not hold back the others.
    private func fileStep(_ key: WriteFileKey, writes: [PendingWriteRecord], project: ProjectRecord, repo: Repository,
                          trigger: SyncTrigger) throws -> FileStep {
        do {
            return try prepareFile(key, writes: writes, project: project, repo: repo, trigger: trigger)
        } catch let error as SyncError {
            return FileStep(outcomes: writes.map { ($0.id, .pending(reason: "\(error)")) })
        }
    }

    /// Steps 3 and 4 for the replaced files: one commit of them all, then
    /// each edit's outcome recorded. A failed commit puts every file back and the edits wait.
    private func commitGroup(_ files: inout [ReadyFile], project: ProjectRecord, in repo: Repository,
                             trigger: SyncTrigger) throws -> EditOutcomes {
        guard !files.isEmpty else { return [] }
        let head: ObjectID?
        let commit: ObjectID
        do {
            head = try repo.headCommit()
            commit = try commitWrites(files, in: repo, expectedHead: head)
        } catch {
            // Undo the file writes: an uncommitted sync write would look like the user's own edit.
            repositories.forget(project)
            var outcomes: EditOutcomes = []
            for index in files.indices.reversed() {
                let restore = files[index].replacement.undo()
                outcomes += try deferWrites(files[index].writes, trigger: trigger,
                                            .cannotCommit(path: files[index].target.repoRelative, error: error, restore: restore),
                                            reconcile: false)
            }
            return outcomes
        }
        Trace.mark("committed")
        if let delay = try recordWritten(files, head: head, commit: commit, trigger: trigger) {
            return files.flatMap(\.writes).map { ($0.id, WriteOutcome.pending(reason: delay.description)) }
        }
        Trace.mark("write done, outcome logged")
        return files.flatMap { file in
            file.plan.applying.map { ($0.write.id, $0.step == .applied ? WriteOutcome.written(commit: commit.hex) : .unchanged) }
        }
    }
}
