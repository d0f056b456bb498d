import Foundation
import OpenSpecGit
import OpenSpecStore

/// Step 4 of a write: what became of each edit goes into the database (its
/// status, a history row, the change's sync error). An edit that waits is
/// recorded here too; one given up is kept as a conflict (`WriteGiveUp.swift`).
extension SyncEngine {
    /// The start mark of each edit's attempt (the waiting edits of each
    /// file, all in one transaction), seen by subscribers in any process as
    /// the write begins; the row each attempt ends with carries the same run id.
    func recordStart(of files: [(key: WriteFileKey, writes: [PendingWriteRecord])], project: ProjectRecord,
                     trigger: SyncTrigger) throws {
        try store.write { w in
            for (key, writes) in files {
                for write in writes {
                    try w.insertHistory(.write(projectId: project.id, specId: write.specId, runId: Self.attemptRunId(write),
                                               trigger: trigger, action: .started, success: true, files: [key.path]))
                }
            }
        }
    }

    /// The edits of one commit, in every file it holds: each is written (or
    /// unchanged), with its history row. Under the database's write lock,
    /// which a take-over needs too: when another host took the project over
    /// while this one wrote (an owner stalled past its lease), nothing is
    /// marked done; the edits wait, due at once, for the new owner to write
    /// in its clone, and the delay saying so is returned.
    func recordWritten(_ files: [ReadyFile], head: ObjectID?, commit: ObjectID, trigger: SyncTrigger) throws -> WriteDelay? {
        try store.write { w -> WriteDelay? in
            if let project = files.first?.target.project, let owner = try w.ownerOtherThan(host, projectId: project.id) {
                let delay = WriteDelay.takenOver(owner: owner.ownerHost, commit: commit.hex)
                try leave(files.flatMap(\.writes), waiting: delay, trigger: trigger, in: w)
                return delay
            }
            for file in files {
                let target = file.target
                for (write, step) in file.plan.applying {
                    let changed = step == .applied
                    try w.setWriteStatus(id: write.id, changed ? .written : .unchanged, error: nil)
                    try w.insertHistory(.write(projectId: target.project.id, specId: target.spec.id,
                                               runId: Self.attemptRunId(write), trigger: trigger,
                                               action: changed ? .updated : .unchanged, success: true,
                                               files: changed ? [target.openspecRelative] : [],
                                               from: changed ? head?.hex : nil, to: changed ? commit.hex : nil))
                }
                try w.setSpecSyncError(specId: target.spec.id, nil)
            }
            return nil
        }
    }

    /// The run id of one attempt at a write: its start mark and its outcome share it.
    static func attemptRunId(_ write: PendingWriteRecord) -> String {
        "write-\(write.id)-\(write.attempts + 1)"
    }

    /// Edits of a project another host took over while this one wrote them:
    /// they wait, due at once, for that host to write them in its clone.
    private func leave(_ writes: [PendingWriteRecord], waiting delay: WriteDelay, trigger: SyncTrigger,
                       in w: any StoreTransaction) throws {
        for write in writes {
            try w.deferWrite(id: write.id, attempts: write.attempts + 1, failures: write.failures,
                             nextAttemptAt: Date(), error: delay.description)
            try w.insertHistory(.write(projectId: write.projectId, specId: write.specId, runId: Self.attemptRunId(write),
                                       trigger: trigger, action: .pending, success: false, error: delay.description))
        }
    }

    /// Edits that applied and changed nothing: done, with no commit (fenced
    /// as `recordWritten` is: the file is as the edits want it in this
    /// host's clone, which may no longer be the project's).
    func markUnchanged(_ writes: [PendingWriteRecord], specId: String, trigger: SyncTrigger) throws -> WriteDelay? {
        try store.write { w -> WriteDelay? in
            if let projectId = writes.first?.projectId, let owner = try w.ownerOtherThan(host, projectId: projectId) {
                let delay = WriteDelay.takenOver(owner: owner.ownerHost, commit: nil)
                try leave(writes, waiting: delay, trigger: trigger, in: w)
                return delay
            }
            for write in writes {
                try w.setWriteStatus(id: write.id, .unchanged, error: nil)
                try w.insertHistory(.write(projectId: write.projectId, specId: specId, runId: Self.attemptRunId(write),
                                           trigger: trigger, action: .unchanged, success: true))
            }
            try w.setSpecSyncError(specId: specId, nil)
            return nil
        }
    }

    /// Leaves the writes pending: counts the attempt, schedules the next one
    /// (2^attempts seconds, at most ten minutes) and logs why. A delay that
    /// is not transient (a merge, index.lock are) counts toward
    /// `SyncCommit.maxFailedAttempts`; an edit that reaches it is kept as a
    /// conflict (`reconcile` as for `keepAsConflicts`).
    func deferWrites(_ writes: [PendingWriteRecord], trigger: SyncTrigger, _ delay: WriteDelay,
                     reconcile: Bool = true) throws -> EditOutcomes {
        let reason = delay.description
        let failures = { (write: PendingWriteRecord) in write.failures + (delay.isTransient ? 0 : 1) }
        let givenUp = writes.filter { failures($0) >= SyncCommit.maxFailedAttempts }
        let waiting = writes.filter { failures($0) < SyncCommit.maxFailedAttempts }
        try store.write { w in
            for write in waiting {
                let attempts = write.attempts + 1
                let seconds = min(pow(2, Double(min(attempts, 20))), 600)
                try w.deferWrite(id: write.id, attempts: attempts, failures: failures(write),
                                 nextAttemptAt: Date().addingTimeInterval(seconds), error: reason)
                try w.insertHistory(.write(projectId: write.projectId, specId: write.specId, runId: Self.attemptRunId(write),
                                           trigger: trigger, action: .pending, success: false, error: reason))
                try w.setSpecSyncError(specId: write.specId, reason)
            }
        }
        var outcomes = waiting.map { ($0.id, WriteOutcome.pending(reason: reason)) }
        if let project = try givenUp.first.flatMap({ try store.project(id: $0.projectId) }) {
            outcomes += try keepAsConflicts(givenUp, project: project, file: nil, fsBlobId: nil, trigger: trigger,
                                            reason: .givenUp(attempts: SyncCommit.maxFailedAttempts, last: delay),
                                            reconcile: reconcile)
        }
        return outcomes.sorted { $0.0 < $1.0 }
    }

}

/// The action of a database-to-file history row (`syncHistory.action`), as stored.
enum WriteAction: String {
    /// The start mark of an attempt (`HistoryRecord.startedAction`).
    case started
    /// An edit written and committed.
    case updated
    /// An edit that left the file as it was.
    case unchanged
    /// An attempt that left the edit waiting.
    case pending
    /// An edit (or a rollback) kept as a conflict.
    case conflict
    /// A rollback committed.
    case rollback
    /// A rollback that failed and put the files back.
    case failed
}

extension HistoryValues {
    /// A history row of a database-to-file write (an edit, a retry, a rollback), stamped now.
    static func write(projectId: String, specId: String, runId: String, trigger: SyncTrigger, action: WriteAction,
                      success: Bool, error: String? = nil, files: [String] = [],
                      from: String? = nil, to: String? = nil) -> HistoryValues {
        HistoryValues(projectId: projectId, specId: specId, runId: runId, direction: .databaseToFilesystem,
                      syncedAt: Date(), success: success, errorMessage: error, filesChanged: files,
                      triggeredBy: trigger.rawValue, action: action.rawValue, fromCommit: from, toCommit: to, durationMs: nil)
    }
}
