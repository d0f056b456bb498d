import Foundation
import GRDB

/// Reads of database-to-file writes and conflicts.
extension SQLiteStore {
    public func pendingWrite(id: Int64) throws -> PendingWriteRecord? {
        try pool.read { db in try PendingWriteRecord.fetchOne(db, sql: "SELECT * FROM pendingWrites WHERE id = ?", arguments: [id]) }
    }

    /// Where a change is and whether it still exists, for a write. Only
    /// columns stored before the file contents are read, so a large
    /// tasks.md in the row is not read along.
    public func specPlace(id: String) throws -> SpecPlace? {
        try pool.read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT id, projectId, path, changeId, status FROM openspecSpecs WHERE id = ?",
                                             arguments: [id]) else { return nil }
            return SpecPlace(id: row["id"], projectId: row["projectId"], path: row["path"], changeId: row["changeId"],
                             status: SpecStatus(rawValue: row["status"]) ?? .removed)
        }
    }

    /// The waiting edits of one file, in queue order.
    public func pendingWrites(specId: String, path: String) throws -> [PendingWriteRecord] {
        try pool.read { db in try Self.pendingWrites(db, specId: specId, path: path) }
    }

    static func pendingWrites(_ db: Database, specId: String, path: String) throws -> [PendingWriteRecord] {
        try PendingWriteRecord.fetchAll(db, sql: """
            SELECT * FROM pendingWrites WHERE specId = ? AND path = ? AND status = 'pending' ORDER BY id
            """, arguments: [specId, path])
    }

    /// Pending writes of a project whose next attempt is due, oldest first.
    public func duePendingWrites(projectId: String, now: Date) throws -> [PendingWriteRecord] {
        try pool.read { db in
            try PendingWriteRecord.fetchAll(db, sql: """
                SELECT * FROM pendingWrites WHERE projectId = ? AND status = 'pending' AND nextAttemptAt <= ?
                ORDER BY id
                """, arguments: [projectId, DateText.string(now)])
        }
    }

    public func conflict(id: Int64) throws -> ConflictRecord? {
        try pool.read { db in try ConflictRecord.fetchOne(db, sql: "SELECT * FROM conflicts WHERE id = ?", arguments: [id]) }
    }

    /// Conflicts of a project (or all), newest first; only unresolved ones unless `includeResolved`.
    public func conflicts(projectId: String?, specId: String?, includeResolved: Bool) throws -> [ConflictRecord] {
        try pool.read { db in
            var clauses: [String] = []
            var arguments: StatementArguments = []
            if let projectId { clauses.append("projectId = ?"); arguments += [projectId] }
            if let specId { clauses.append("specId = ?"); arguments += [specId] }
            if !includeResolved { clauses.append("resolvedAt IS NULL") }
            let whereClause = clauses.isEmpty ? "" : "WHERE " + clauses.joined(separator: " AND ")
            return try ConflictRecord.fetchAll(db, sql: "SELECT * FROM conflicts \(whereClause) ORDER BY id DESC", arguments: arguments)
        }
    }

    /// Pending writes and unresolved conflicts of a project (for `status`), or
    /// of one change of it (through the project's indexes: only the open ones are looked at).
    public func writeCounts(projectId: String, specId: String?) throws -> (pendingWrites: Int, openConflicts: Int) {
        try pool.read { db in try Self.writeCounts(db, projectId: projectId, specId: specId) }
    }
}

/// Writes of database-to-file edits and conflicts, inside one transaction.
extension SQLiteTransaction {
    /// Queues an edit and stamps the spec's `dbModifiedAt`. Earlier waiting
    /// edits of the same file stay queued: edits are applied in queue order.
    public func insertPendingWrite(projectId: String, specId: String, path: String, operation: WriteOperation,
                                   content: Data, baseBlobId: String?, task: String?, done: Bool?,
                                   at now: Date) throws -> Int64 {
        try db.execute(sql: """
            INSERT INTO pendingWrites (projectId, specId, path, content, baseBlobId, createdAt, attempts, nextAttemptAt,
              status, operation, task, done)
            VALUES (?,?,?,?,?,?,0,?,'pending',?,?,?)
            """, arguments: [projectId, specId, path, content, baseBlobId, DateText.string(now), DateText.string(now),
                             operation.rawValue, task, done])
        let id = db.lastInsertedRowID
        try db.execute(sql: "UPDATE openspecSpecs SET dbModifiedAt = ? WHERE id = ?", arguments: [DateText.string(now), specId])
        return id
    }

    /// The waiting edits of one file, in queue order.
    public func pendingWrites(specId: String, path: String) throws -> [PendingWriteRecord] {
        try SQLiteStore.pendingWrites(db, specId: specId, path: path)
    }

    /// The blob id of one file of a change as last synced; nil when the change has no such file.
    public func specFileBlobId(specId: String, path: String) throws -> String? {
        try String.fetchOne(db, sql: "SELECT blobId FROM specFiles WHERE specId = ? AND path = ?", arguments: [specId, path])
    }

    /// A write that must wait: counts the attempt and sets when to try again.
    public func deferWrite(id: Int64, attempts: Int, failures: Int, nextAttemptAt: Date, error: String) throws {
        try db.execute(sql: "UPDATE pendingWrites SET attempts = ?, failures = ?, nextAttemptAt = ?, lastError = ? WHERE id = ?",
                       arguments: [attempts, failures, DateText.string(nextAttemptAt), error, id])
    }

    /// Records, before the file is replaced, the blob the writes put in place.
    public func setWrittenBlob(ids: [Int64], blobId: String) throws {
        for id in ids {
            try db.execute(sql: "UPDATE pendingWrites SET writtenBlobId = ? WHERE id = ?", arguments: [blobId, id])
        }
    }

    public func setWriteStatus(id: Int64, _ status: WriteStatus, error: String?) throws {
        try db.execute(sql: "UPDATE pendingWrites SET status = ?, lastError = ? WHERE id = ?",
                       arguments: [status.rawValue, error, id])
    }

    public func setSpecSyncError(specId: String, _ error: String?) throws {
        // Only when it changes: rewriting the row rewrites its file contents too.
        try db.execute(sql: "UPDATE openspecSpecs SET syncError = ? WHERE id = ? AND syncError IS NOT ?",
                       arguments: [error, specId, error])
    }

    /// Keeps a losing edit whole; returns the conflict's id.
    public func insertConflict(projectId: String, specId: String, path: String, dbContent: Data, baseBlobId: String?,
                               fsBlobId: String?, reason: String?, at now: Date) throws -> Int64 {
        try db.execute(sql: """
            INSERT INTO conflicts (projectId, specId, path, dbContent, baseBlobId, fsBlobId, dbModifiedAt,
              filesystemModifiedAt, lastSyncedAt, detectedAt, reason)
            SELECT ?, id, ?, ?, ?, ?, dbModifiedAt, filesystemModifiedAt, lastSyncedAt, ?, ? FROM openspecSpecs WHERE id = ?
            """, arguments: [projectId, path, dbContent, baseBlobId, fsBlobId, DateText.string(now), reason, specId])
        return db.lastInsertedRowID
    }

    /// Closes a conflict; false when it was already closed.
    public func resolveConflict(id: Int64, resolution: String, at now: Date) throws -> Bool {
        try db.execute(sql: "UPDATE conflicts SET resolvedAt = ?, resolution = ? WHERE id = ? AND resolvedAt IS NULL",
                       arguments: [DateText.string(now), resolution, id])
        return db.changesCount > 0
    }
}
