import Foundation
import OpenSpecStore

/// The run's bookkeeping: history rows, skipped paths, the stat cache and the project's cursor.
extension ReconcileRun {
    mutating func record(_ change: ReconcileChange) throws {
        // A 20,000-change import must not hold every change in memory.
        if summary.changes.count < ReconcileSummary.listLimit { summary.changes.append(change) } else { summary.changesOmitted += 1 }
        if changedPaths.count < ReconcileSummary.listLimit { changedPaths.append(contentsOf: change.files) }
        try writer.insertHistory(HistoryValues(
            projectId: project.id, specId: change.specId, runId: runId, direction: .filesystemToDatabase,
            syncedAt: now, success: change.error == nil, errorMessage: change.error, filesChanged: change.files,
            triggeredBy: options.trigger.rawValue, action: change.action.rawValue, fromCommit: fromCommit, toCommit: toCommit,
            durationMs: nil))
    }

    /// Merges what this run found skipped into the project's list.
    private func saveSkipped() throws {
        guard skippedComplete || !skipped.isEmpty else { return }
        let before = SkippedPaths.decode(try writer.skippedPaths(projectId: project.id))
        var after = skippedComplete ? SkippedPaths() : before
        for (scope, paths) in skipped { after.groups[scope] = paths.isEmpty ? nil : paths }
        if after != before { try writer.setSkippedPaths(projectId: project.id, after.encoded()) }
    }

    mutating func finish() throws {
        // A file that failed keeps no stamp, so it is read again next time.
        var save = walked ? changedBuckets ?? previousBuckets.union(newStatCache.buckets.keys) : []
        for path in pending {
            let bucket = Array(path.utf8).withUnsafeBufferPointer { StatCache.bucket(of: $0) }
            if walked, let records = newStatCache.buckets[bucket]?.records {
                newStatCache.buckets[bucket]?.records = records.removing([path])
                save.insert(bucket)
            }
        }
        var rows: [Int: [UInt8]?] = [:]
        for bucket in save {
            rows[bucket] = newStatCache.buckets[bucket].map { StatCache.encode($0) }
        }
        // Also after a re-read of a racy index: the new walk time makes it trustworthy next run,
        // which otherwise re-reads it (and starts libgit2) on every run.
        if walked && (indexMoved || indexReread || changedBuckets == nil) { rows[-1] = newStatCache.encodedHeader() }
        if !rows.isEmpty {
            try timer.measure("save stat cache") { try writer.saveStatCacheRows(projectId: project.id, rows: rows) }
        }
        try saveSkipped()
        summary.durationMs = Int(Date().timeIntervalSince(started) * 1000)
        let error = summary.problems.isEmpty ? nil
            : "\(summary.problems.count) file(s) could not be synced: " + summary.problems.prefix(3).map(\.message).joined(separator: "; ")
        // The run's own row: "no changes" when nothing moved, so every run is
        // logged; a run of such runs shares one row that counts them.
        let action = summary.changedCount + summary.mainSpecsChanged + summary.failed == 0 ? HistoryAction.unchanged : .run
        try writer.insertRunSummary(HistoryValues(
            projectId: project.id, specId: nil, runId: runId, direction: .filesystemToDatabase, syncedAt: now,
            success: error == nil, errorMessage: error, filesChanged: Array(changedPaths.prefix(ReconcileSummary.listLimit)),
            triggeredBy: options.trigger.rawValue, action: action.rawValue, fromCommit: fromCommit, toCommit: toCommit,
            durationMs: summary.durationMs), startMark: startMark)
        try writer.finishReconcile(projectId: project.id, commit: toCommit, pendingPaths: Array(pending),
                                   at: now, error: error)
    }
}
