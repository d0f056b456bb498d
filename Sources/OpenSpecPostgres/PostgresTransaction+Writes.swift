import Foundation
import OpenSpecStore

/// History, project state, queued edits and conflicts, inside one write transaction.
extension PostgresTransaction {
    private static let historyColumns = """
        projectId, specId, runId, syncDirection, syncedAt, success, errorMessage, filesChanged, triggeredBy, action, \
        fromCommit, toCommit, durationMs
        """

    private func historyValues(_ h: HistoryValues, fromCommit: String?) -> [PGValue] {
        [.text(h.projectId), .text(h.specId), .text(h.runId), .text(h.direction.rawValue), .date(h.syncedAt), .bool(h.success),
         .text(h.errorMessage), .text(JSONArray.encode(h.filesChanged)), .text(h.triggeredBy), .text(h.action),
         .text(fromCommit), .text(h.toCommit), .int(h.durationMs)]
    }

    @discardableResult
    public func insertHistory(_ h: HistoryValues) throws -> Int64 {
        if let held { return added.note(try held.addHistory(connection, historyValues(h, fromCommit: h.fromCommit))) }
        return added.note(try link.query("INSERT INTO syncHistory (\(Self.historyColumns)) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?) RETURNING id",
                                         historyValues(h, fromCommit: h.fromCommit)).first?.int64("id") ?? 0)
    }

    /// As `SQLiteTransaction.insertRunSummary`: a run that repeats the
    /// project's newest row takes its place and counts the runs.
    @discardableResult
    public func insertRunSummary(_ h: HistoryValues, startMark: Int64?) throws -> Int64 {
        var fromCommit = h.fromCommit
        var runs = 1
        var first: String?
        if let action = HistoryAction(rawValue: h.action), HistoryRecord.repeatableActions.contains(action),
           let last = try link.query("""
               SELECT id, specId, action, success, errorMessage, syncDirection, runs, firstSyncedAt, syncedAt, fromCommit
               FROM syncHistory WHERE projectId = ? AND action <> '\(HistoryRecord.startedAction)' ORDER BY id DESC LIMIT 1
               """, [.text(h.projectId)]).first,
           try last.optionalString("specId") == nil, try last.string("action") == h.action, try last.bool("success") == h.success,
           try last.optionalString("errorMessage") == h.errorMessage, try last.string("syncDirection") == h.direction.rawValue {
            runs = try last.int("runs") + 1
            first = try last.optionalString("firstSyncedAt") ?? last.string("syncedAt")
            fromCommit = try last.optionalString("fromCommit")
            try deleteHistory(id: try last.int64("id"))
            if let startMark { try deleteHistory(id: startMark) }
        }
        return added.note(try link.query("""
            INSERT INTO syncHistory (\(Self.historyColumns), runs, firstSyncedAt) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) RETURNING id
            """, historyValues(h, fromCommit: fromCommit) + [.int(runs), .text(first)]).first?.int64("id") ?? 0)
    }

    @discardableResult
    public func pruneHistory(before cutoff: Date, keep: Int) throws -> Int {
        try link.execute("""
            DELETE FROM syncHistory WHERE syncedAt < ? AND id NOT IN (
              SELECT id FROM (
                SELECT id, ROW_NUMBER() OVER (PARTITION BY projectId, specId ORDER BY syncedAt DESC, id DESC) AS newer
                FROM syncHistory) AS ranked
              WHERE newer <= ?)
            """, [.date(cutoff), .int(keep)])
    }

    public func deleteHistory(id: Int64) throws {
        try link.execute("DELETE FROM syncHistory WHERE id = ?", [.int(Int(id))])
    }

    // MARK: Projects

    public func finishReconcile(projectId: String, commit: String?, pendingPaths: [String], at now: Date, error: String?) throws {
        try link.execute("""
            UPDATE projects SET lastReconciledCommit = ?, lastReconciledAt = ?, reconciledOnce = TRUE,
              pendingPaths = ?, lastError = ? WHERE id = ?
            """, [.text(commit), .date(now), .text(JSONArray.encode(pendingPaths.sorted())), .text(error), .text(projectId)])
    }

    public func recordProjectError(projectId: String, error: String) throws {
        try link.execute("UPDATE projects SET lastError = ? WHERE id = ?", [.text(error), .text(projectId)])
    }

    public func setSkippedPaths(projectId: String, _ json: String) throws {
        try link.execute("UPDATE projects SET skippedPaths = ? WHERE id = ?", [.text(json), .text(projectId)])
    }

    /// The buckets to keep in one statement (a full import writes hundreds), then the deletions.
    public func saveStatCacheRows(projectId: String, rows: [Int: [UInt8]?]) throws {
        let sorted = rows.sorted { $0.key < $1.key }
        let kept = sorted.compactMap { bucket, bytes in bytes.map { [PGValue.text(projectId), .int(bucket), .bytes(Data($0))] } }
        try PostgresBulkRows.insert(link, "INSERT INTO statCaches (projectId, bucket, entries) VALUES", kept,
                                    "ON CONFLICT (projectId, bucket) DO UPDATE SET entries = excluded.entries")
        for (bucket, bytes) in sorted where bytes == nil {
            try link.execute("DELETE FROM statCaches WHERE projectId = ? AND bucket = ?", [.text(projectId), .int(bucket)])
        }
    }

    // MARK: Writes to files and conflicts

    public func insertPendingWrite(projectId: String, specId: String, path: String, operation: WriteOperation,
                                   content: Data, baseBlobId: String?, task: String?, done: Bool?, at now: Date) throws -> Int64 {
        let id = try link.query("""
            INSERT INTO pendingWrites (projectId, specId, path, content, baseBlobId, createdAt, attempts, nextAttemptAt,
              status, operation, task, done)
            VALUES (?,?,?,?,?,?,0,?,'pending',?,?,?) RETURNING id
            """, [.text(projectId), .text(specId), .text(path), .bytes(content), .text(baseBlobId), .date(now), .date(now),
                  .text(operation.rawValue), .text(task), .bool(done)]).first?.int64("id") ?? 0
        try link.execute("UPDATE openspecSpecs SET dbModifiedAt = ? WHERE id = ?", [.date(now), .text(specId)])
        return id
    }

    public func deferWrite(id: Int64, attempts: Int, failures: Int, nextAttemptAt: Date, error: String) throws {
        try link.execute("UPDATE pendingWrites SET attempts = ?, failures = ?, nextAttemptAt = ?, lastError = ? WHERE id = ?",
                         [.int(attempts), .int(failures), .date(nextAttemptAt), .text(error), .int(Int(id))])
    }

    public func setWrittenBlob(ids: [Int64], blobId: String) throws {
        for id in ids {
            try link.execute("UPDATE pendingWrites SET writtenBlobId = ? WHERE id = ?", [.text(blobId), .int(Int(id))])
        }
    }

    public func setWriteStatus(id: Int64, _ status: WriteStatus, error: String?) throws {
        try link.execute("UPDATE pendingWrites SET status = ?, lastError = ? WHERE id = ?",
                         [.text(status.rawValue), .text(error), .int(Int(id))])
    }

    public func insertConflict(projectId: String, specId: String, path: String, dbContent: Data, baseBlobId: String?,
                               fsBlobId: String?, reason: String?, at now: Date) throws -> Int64 {
        try link.query("""
            INSERT INTO conflicts (projectId, specId, path, dbContent, baseBlobId, fsBlobId, dbModifiedAt,
              filesystemModifiedAt, lastSyncedAt, detectedAt, reason)
            SELECT ?, id, ?, ?, ?, ?, dbModifiedAt, filesystemModifiedAt, lastSyncedAt, ?, ? FROM openspecSpecs WHERE id = ?
            RETURNING id
            """, [.text(projectId), .text(path), .bytes(dbContent), .text(baseBlobId), .text(fsBlobId), .date(now),
                  .text(reason), .text(specId)]).first?.int64("id") ?? 0
    }

    public func resolveConflict(id: Int64, resolution: String, at now: Date) throws -> Bool {
        try link.execute("UPDATE conflicts SET resolvedAt = ?, resolution = ? WHERE id = ? AND resolvedAt IS NULL",
                         [.date(now), .text(resolution), .int(Int(id))]) > 0
    }
}
