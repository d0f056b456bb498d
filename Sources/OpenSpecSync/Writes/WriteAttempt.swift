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

/// One file of a project whose waiting edits are attempted together.
struct WriteFileKey: Equatable {
    var specId: String
    var path: String
}

/// A file whose edits apply and change it: what the group's commit takes.
struct ReadyFile {
    let target: WriteTarget
    let plan: WritePlan
    let content: [UInt8]
    var replacement: FileReplacement

    var writes: [PendingWriteRecord] { plan.applying.map(\.write) }
}

/// What steps 1 and 2 made of one file's waiting edits: the outcomes
/// settled so far (conflicts, waits, unchanged) and, when the rest change
/// the file, the file ready for the commit.
struct FileStep {
    var outcomes: EditOutcomes = []
    var ready: ReadyFile?
}

/// A write is four steps: precheck (`WritePrecheck.swift`), replace
/// (`FileReplacement.swift`), commit (`WriteCommit.swift`) and record
/// (`WriteRecord.swift`). This file runs the first two for one file; the
/// group (`WriteGroup.swift`) runs them for every file it carries, then
/// commits them together.
extension SyncEngine {
    /// Step 1 for one file: refuse and wait, or apply its waiting edits in
    /// queue order to the file as it is (those that cannot apply become
    /// conflicts). Conflicts are recorded without the reconcile that follows
    /// them: the group runs it once its files are committed.
    func prepareFile(_ key: WriteFileKey, writes: [PendingWriteRecord], project: ProjectRecord, repo: Repository,
                     trigger: SyncTrigger) throws -> FileStep {
        guard !writes.isEmpty else { return FileStep() }
        guard let spec = try store.specPlace(id: key.specId), spec.status != .removed else {
            return FileStep(outcomes: try keepAsConflicts(writes, project: project, file: nil, fsBlobId: nil, trigger: trigger,
                                                          reason: .changeRemoved, reconcile: false))
        }
        let file = WriteTarget(project: project, spec: spec, path: key.path)
        switch precheck(in: repo, file: file) {
        case let .wait(delay):
            return FileStep(outcomes: try deferWrites(writes, trigger: trigger, delay, reconcile: false))
        case let .giveUp(reason):
            return FileStep(outcomes: try keepAsConflicts(writes, project: project, file: nil, fsBlobId: nil, trigger: trigger,
                                                          reason: reason, reconcile: false))
        case nil:
            break
        }
        let plan: WritePlan
        do { plan = try self.plan(writes, file: file) } catch {
            return FileStep(outcomes: try deferWrites(writes, trigger: trigger,
                                          .cannotWrite(path: file.repoRelative, error: error, restore: nil), reconcile: false))
        }
        return try settle(plan, file: file, trigger: trigger)
    }

    /// Keeps the edits that cannot apply as conflicts, records those that
    /// leave the file as it is, and readies the file for the others.
    private func settle(_ plan: WritePlan, file: WriteTarget, trigger: SyncTrigger) throws -> FileStep {
        var step = FileStep()
        for (write, reason) in plan.conflicting {
            let id = try keepAsConflict(write, project: file.project, file: plan.old, fsBlobId: plan.oldBlob,
                                        trigger: trigger, reason: reason)
            step.outcomes.append((write.id, .conflict(id: id)))
        }
        guard !plan.applying.isEmpty else { return step }
        guard let content = plan.content else {
            // Every edit that applied left the file as it is: nothing to write or commit.
            let delay = try markUnchanged(plan.applying.map(\.write), specId: file.spec.id, trigger: trigger)
            step.outcomes += plan.applying.map { ($0.write.id, delay.map { .pending(reason: $0.description) } ?? .unchanged) }
            return step
        }
        let mode = writeFileSystem.permissions(of: file.absolute) ?? 0o644
        step.ready = ReadyFile(target: file, plan: plan, content: content,
                               replacement: FileReplacement(fs: writeFileSystem, target: file.absolute, old: plan.old,
                                                            oldMode: mode, content: content, mode: mode))
        return step
    }

    /// Step 2: backs up the file and swaps the new content in. nil once in
    /// place (or already in place from an attempt stopped before its
    /// commit); otherwise the edits' outcomes: conflicts when the file changed
    /// while it was being written, waiting when the disk failed (the file is put back).
    func replace(_ ready: inout ReadyFile, gitDir: String, trigger: SyncTrigger) throws -> EditOutcomes? {
        guard !ready.plan.alreadyInPlace else { return nil }
        let file = ready.target
        let writes = ready.writes
        do {
            if let old = ready.replacement.old {
                // The group rotates the backup folders once for all its files.
                try backUp(old, gitDir: gitDir, openspecRelative: file.openspecRelative, mode: ready.replacement.mode,
                           rotate: false)
            }
            try ready.replacement.stage(changeFolder: file.changeFolder)
            // Check before replace: the file must still be what the edits were applied to.
            guard try ready.replacement.isUnchanged() else {
                ready.replacement.discard()
                let now = (try? writeFileSystem.readIfPresent(file.absolute)) ?? nil
                return try keepAsConflicts(writes, project: file.project, file: now,
                                           fsBlobId: now.map { Repository.hashBlob($0).hex }, trigger: trigger,
                                           reason: .changedWhileWriting(path: file.repoRelative), reconcile: false)
            }
            // Recorded before the swap: an attempt stopped after it finds this blob in place and only commits.
            let blobId = Repository.hashBlob(ready.content).hex
            try store.write { w in try w.setWrittenBlob(ids: writes.map(\.id), blobId: blobId) }
            try ready.replacement.swap(changeFolder: file.changeFolder)
        } catch {
            let restore = ready.replacement.undo()
            return try deferWrites(writes, trigger: trigger,
                                   .cannotWrite(path: file.repoRelative, error: error, restore: restore), reconcile: false)
        }
        return nil
    }
}
