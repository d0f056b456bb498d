import Foundation
import GRDB
import GRDBSQLite

/// Reads and writes inside one write transaction (see `SQLiteStore.write`).
public struct SQLiteTransaction: StoreTransaction {
    let db: Database
    /// A run stamps every row with the same time: format it once.
    private let dates = DateCache()

    /// The last two dates formatted: a row's own file time comes between
    /// two uses of the run's time.
    private final class DateCache {
        private var recent: [(date: Date, text: String?)] = []
        func text(_ date: Date?) -> String? {
            guard let date else { return nil }
            if let hit = recent.first(where: { $0.date == date }) { return hit.text }
            let text = DateText.string(date)
            recent.insert((date, text), at: 0)
            if recent.count > 2 { recent.removeLast() }
            return text
        }
    }

    init(db: Database) { self.db = db }

    public func project(id: String) throws -> ProjectRecord? {
        try SQLiteStore.project(db, id: id)
    }

    public func spec(projectId: String, path: String) throws -> SpecSummary? {
        // A cached statement: a run after a commit asks this for each folder it touched.
        let statement = try db.cachedStatement(sql: "SELECT \(SpecSummary.columns) FROM openspecSpecs WHERE projectId = ? AND path = ?")
        return try SpecSummary.fetchOne(statement, arguments: [projectId, path])
    }

    public func specs(projectId: String, changeId: String) throws -> [SpecSummary] {
        try SpecSummary.fetchAll(db, sql: "SELECT \(SpecSummary.columns) FROM openspecSpecs WHERE projectId = ? AND changeId = ? ORDER BY path", arguments: [projectId, changeId])
    }

    public func allSpecs(projectId: String) throws -> [SpecSummary] {
        try SpecSummary.fetchAll(db, sql: "SELECT \(SpecSummary.columns) FROM openspecSpecs WHERE projectId = ? ORDER BY path", arguments: [projectId])
    }

    /// path -> blob id of every file of a spec as last synced.
    public func fileBlobIds(specId: String) throws -> [String: String] {
        var result: [String: String] = [:]
        let rows = try Row.fetchCursor(db.cachedStatement(sql: "SELECT path, blobId FROM specFiles WHERE specId = ?"), arguments: [specId])
        while let row = try rows.next() { result[row[0]] = row[1] }
        return result
    }

    /// specId -> (path -> blob id) for a whole project, in one query (full scans).
    public func allFileBlobIds(projectId: String) throws -> [String: [String: String]] {
        var result: [String: [String: String]] = [:]
        let rows = try Row.fetchCursor(db, sql: """
            SELECT f.specId, f.path, f.blobId FROM specFiles f JOIN openspecSpecs s ON s.id = f.specId
            WHERE s.projectId = ?
            """, arguments: [projectId])
        while let row = try rows.next() { result[row[0], default: [:]][row[1]] = row[2] }
        return result
    }

    /// The bytes of a file as last synced, wherever they are kept.
    public func fileContent(specId: String, path: String) throws -> Data? {
        try SQLiteStore.fileContent(db, specId: specId, path: path)
    }

    /// Inserts a new spec row; returns its id.
    public func insertSpec(projectId: String, _ v: SpecValues, at now: Date) throws -> String {
        let id = RowID.make()
        let statement = try db.cachedStatement(sql: """
            INSERT INTO openspecSpecs (id, projectId, path, changeId, title, status, archivedOn,
              proposalContent, tasksContent, designContent, completedTasks, totalTasks, taskStatus,
              schemaName, createdOn, issues, firstSeenAt, lastSyncedAt, filesystemModifiedAt, syncError)
            VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)
            """)
        try ColumnText.execute(statement, arguments: [
                id, projectId, v.path, v.changeId, v.title, v.status.rawValue, v.archivedOn,
                nil, nil, nil, v.completedTasks, v.totalTasks,
                v.taskStatus, v.schemaName, v.createdOn, v.issuesJSON, dates.text(now), dates.text(now),
                dates.text(v.filesystemModifiedAt), v.syncError,
            ], texts: [(8, v.proposalContent), (9, v.tasksContent), (10, v.designContent)])
        return id
    }

    /// Rewrites a spec row's content and lifecycle, keeping its id and history.
    /// The identity columns are set by a statement of their own that only
    /// matches when one of them moved: SQLite rewrites the index entries of
    /// every column a SET names, equal or not, and those are pages of the
    /// write-ahead log (and of the next checkpoint) at every commit.
    public func updateSpec(id: String, _ v: SpecValues, at now: Date) throws {
        try db.cachedStatement(sql: """
            UPDATE openspecSpecs SET path = ?1, changeId = ?2, status = ?3, archivedOn = ?4
            WHERE id = ?5 AND (path IS NOT ?1 OR changeId IS NOT ?2 OR status IS NOT ?3 OR archivedOn IS NOT ?4)
            """).execute(arguments: [v.path, v.changeId, v.status.rawValue, v.archivedOn, id])
        let statement = try db.cachedStatement(sql: """
            UPDATE openspecSpecs SET title = ?, proposalContent = ?, tasksContent = ?, designContent = ?,
              completedTasks = ?, totalTasks = ?, taskStatus = ?, schemaName = ?, createdOn = ?, issues = ?,
              lastSyncedAt = ?, filesystemModifiedAt = ?, syncError = ?
            WHERE id = ?
            """)
        try ColumnText.execute(statement, arguments: [
                v.title, nil, nil, nil, v.completedTasks,
                v.totalTasks, v.taskStatus, v.schemaName, v.createdOn, v.issuesJSON, dates.text(now),
                dates.text(v.filesystemModifiedAt), v.syncError, id,
            ], texts: [(2, v.proposalContent), (3, v.tasksContent), (4, v.designContent)])
    }

    /// Records that a spec was compared with its files and found in step.
    public func markVerified(specId: String, at now: Date) throws {
        try db.cachedStatement(sql: "UPDATE openspecSpecs SET lastSyncedAt = ? WHERE id = ?")
            .execute(arguments: [dates.text(now), specId])
    }

    /// A change folder that disappeared without being archived.
    public func markRemoved(specId: String, at now: Date) throws {
        try db.cachedStatement(sql: "UPDATE openspecSpecs SET status = 'removed', lastSyncedAt = ? WHERE id = ?")
            .execute(arguments: [dates.text(now), specId])
    }

    /// Makes the spec's file rows equal `files`: changed rows rewritten, missing rows deleted.
    public func replaceFiles(specId: String, files: [FileValues], previous: [String: String]) throws {
        let upsert = try db.cachedStatement(sql: """
            INSERT INTO specFiles (specId, path, blobId, size, isUTF8, content, syncError) VALUES (?,?,?,?,?,?,?)
            ON CONFLICT(specId, path) DO UPDATE SET blobId = excluded.blobId, size = excluded.size,
              isUTF8 = excluded.isUTF8, content = excluded.content, syncError = excluded.syncError
            """)
        var present = Set<String>()
        for file in files {
            present.insert(file.path)
            if previous[file.path] == file.blobId && file.syncError == nil { continue }
            try upsert.execute(arguments: [specId, file.path, file.blobId, file.size, file.isUTF8, file.content, file.syncError])
        }
        let delete = try db.cachedStatement(sql: "DELETE FROM specFiles WHERE specId = ? AND path = ?")
        for path in previous.keys where !present.contains(path) {
            try delete.execute(arguments: [specId, path])
        }
    }

    /// capability -> (id, blob id, status) of a project's main specs.
    public func mainSpecStates(projectId: String) throws -> [String: (id: String, blobId: String?, status: MainSpecStatus)] {
        var result: [String: (id: String, blobId: String?, status: MainSpecStatus)] = [:]
        let rows = try Row.fetchCursor(db, sql: "SELECT capability, id, blobId, status FROM mainSpecs WHERE projectId = ?", arguments: [projectId])
        while let row = try rows.next() {
            let (capability, text): (String, String) = (row[0], row[3])
            guard let status = MainSpecStatus(rawValue: text) else {
                throw DatabaseError(message: "mainSpecs.status of \(capability) is \"\(text)\", not present or removed")
            }
            result[capability] = (row[1], row[2], status)
        }
        return result
    }

    public func upsertMainSpec(projectId: String, _ v: MainSpecValues, at now: Date) throws {
        try db.cachedStatement(sql: """
            INSERT INTO mainSpecs (id, projectId, capability, path, status, title, purpose, requirementCount,
              blobId, size, isUTF8, content, issues, lastSyncedAt, syncError)
            VALUES (?,?,?,?,'present',?,?,?,?,?,?,?,?,?,?)
            ON CONFLICT(projectId, capability) DO UPDATE SET path = excluded.path, status = 'present',
              title = excluded.title, purpose = excluded.purpose, requirementCount = excluded.requirementCount,
              blobId = excluded.blobId, size = excluded.size, isUTF8 = excluded.isUTF8, content = excluded.content,
              issues = excluded.issues, lastSyncedAt = excluded.lastSyncedAt, syncError = excluded.syncError
            """).execute(arguments: [
                RowID.make(), projectId, v.capability, v.path, v.title, v.purpose,
                v.requirementCount, v.blobId, v.size, v.isUTF8, v.content, v.issuesJSON, dates.text(now), v.syncError,
            ])
    }

    public func markMainSpecRemoved(projectId: String, capability: String, at now: Date) throws {
        try db.cachedStatement(sql: "UPDATE mainSpecs SET status = 'removed', lastSyncedAt = ? WHERE projectId = ? AND capability = ?")
            .execute(arguments: [dates.text(now), projectId, capability])
    }

    @discardableResult
    public func insertHistory(_ h: HistoryValues) throws -> Int64 {
        let files = JSONArray.encode(h.filesChanged)
        try db.cachedStatement(sql: """
            INSERT INTO syncHistory (projectId, specId, runId, syncDirection, syncedAt, success, errorMessage,
              filesChanged, triggeredBy, action, fromCommit, toCommit, durationMs)
            VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)
            """).execute(arguments: [
                h.projectId, h.specId, h.runId, h.direction.rawValue, dates.text(h.syncedAt), h.success, h.errorMessage,
                files, h.triggeredBy, h.action, h.fromCommit, h.toCommit, h.durationMs,
            ])
        return db.lastInsertedRowID
    }

    /// Writes a run's summary row (`h.specId` nil). A run that only repeats
    /// the project's newest row (the same repeatable action, result and
    /// error: nothing changed, or the same failure again) takes its place:
    /// that row and this run's start mark are deleted and one row is
    /// written that counts the runs, keeps the first one's time and base
    /// commit, and gets a new id (so event subscribers see it). An idle
    /// project's history so stays the same size however often it is scanned.
    @discardableResult
    public func insertRunSummary(_ h: HistoryValues, startMark: Int64?) throws -> Int64 {
        var fromCommit = h.fromCommit
        var runs = 1
        var first: String?
        // Read as a row, not a record: a Codable decode's first use in a
        // process costs more than the query, and every idle run makes this one.
        if let action = HistoryAction(rawValue: h.action), HistoryRecord.repeatableActions.contains(action), let last = try Row.fetchOne(db.cachedStatement(sql: """
            SELECT id, specId, action, success, errorMessage, syncDirection, runs, firstSyncedAt, syncedAt, fromCommit
            FROM syncHistory WHERE projectId = ? AND action <> '\(HistoryRecord.startedAction)' ORDER BY id DESC LIMIT 1
            """), arguments: [h.projectId]),
            (last["specId"] as String?) == nil, last["action"] == h.action, last["success"] == h.success,
            (last["errorMessage"] as String?) == h.errorMessage, last["syncDirection"] == h.direction.rawValue {
            runs = (last["runs"] as Int) + 1
            first = (last["firstSyncedAt"] as String?) ?? (last["syncedAt"] as String)
            fromCommit = last["fromCommit"]
            try deleteHistory(id: last["id"])
            if let startMark { try deleteHistory(id: startMark) }
        }
        try db.cachedStatement(sql: """
            INSERT INTO syncHistory (projectId, specId, runId, syncDirection, syncedAt, success, errorMessage,
              filesChanged, triggeredBy, action, fromCommit, toCommit, durationMs, runs, firstSyncedAt)
            VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)
            """).execute(arguments: [
                h.projectId, h.specId, h.runId, h.direction.rawValue, dates.text(h.syncedAt), h.success, h.errorMessage,
                JSONArray.encode(h.filesChanged), h.triggeredBy, h.action, fromCommit, h.toCommit, h.durationMs, runs, first,
            ])
        return db.lastInsertedRowID
    }

    /// Deletes history rows older than `cutoff`, except the newest `keep`
    /// rows of each change and of each project's run rows (its summaries
    /// and start marks). Returns how many rows went.
    @discardableResult
    public func pruneHistory(before cutoff: Date, keep: Int) throws -> Int {
        try db.execute(sql: """
            DELETE FROM syncHistory WHERE syncedAt < ? AND id NOT IN (
              SELECT id FROM (
                SELECT id, ROW_NUMBER() OVER (PARTITION BY projectId, specId ORDER BY syncedAt DESC, id DESC) AS newer
                FROM syncHistory)
              WHERE newer <= ?)
            """, arguments: [dates.text(cutoff), keep])
        return db.changesCount
    }

    /// Removes one history row: the start mark of a run that handed its work to another process.
    public func deleteHistory(id: Int64) throws {
        try db.cachedStatement(sql: "DELETE FROM syncHistory WHERE id = ?").execute(arguments: [id])
    }

    /// Records where the project now stands: the commit matched and what to re-check next time.
    public func finishReconcile(projectId: String, commit: String?, pendingPaths: [String], at now: Date, error: String?) throws {
        let pending = JSONArray.encode(pendingPaths.sorted())
        try db.execute(sql: """
            UPDATE projects SET lastReconciledCommit = ?, lastReconciledAt = ?, reconciledOnce = 1,
              pendingPaths = ?, lastError = ? WHERE id = ?
            """, arguments: [commit, dates.text(now), pending, error, projectId])
    }

    /// The encoded stat cache of a project: bucket number -> bytes; with
    /// `headerOnly`, only the header row (bucket -1).
    public func statCacheRows(projectId: String, headerOnly: Bool) throws -> [Int: [UInt8]] {
        // Straight through SQLite's C API: GRDB's row decoding and the copy
        // through Data cost more than the read for hundreds of small blobs.
        let statement = try db.cachedStatement(
            sql: "SELECT bucket, entries FROM statCaches WHERE projectId = ?" + (headerOnly ? " AND bucket = -1" : ""))
        try statement.setArguments([projectId])
        let handle = statement.sqliteStatement
        defer { sqlite3_reset(handle) }
        var rows: [Int: [UInt8]] = [:]
        while true {
            let code = sqlite3_step(handle)
            if code == SQLITE_DONE { break }
            guard code == SQLITE_ROW else {
                throw DatabaseError(resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(db.sqliteConnection)))
            }
            let count = Int(sqlite3_column_bytes(handle, 1))
            let bytes = sqlite3_column_blob(handle, 1)
            rows[Int(sqlite3_column_int64(handle, 0))] = count == 0 || bytes == nil
                ? [] : [UInt8](UnsafeRawBufferPointer(start: bytes, count: count))
        }
        return rows
    }

    /// Writes the given buckets (nil bytes: delete the bucket).
    public func saveStatCacheRows(projectId: String, rows: [Int: [UInt8]?]) throws {
        // An upsert updates the row in place and leaves the (projectId, bucket)
        // index alone; REPLACE would delete and insert its entry, one more
        // page in the log per bucket.
        let upsert = try db.cachedStatement(sql: """
            INSERT INTO statCaches (projectId, bucket, entries) VALUES (?, ?, ?)
            ON CONFLICT (projectId, bucket) DO UPDATE SET entries = excluded.entries
            """)
        let delete = try db.cachedStatement(sql: "DELETE FROM statCaches WHERE projectId = ? AND bucket = ?")
        for (bucket, bytes) in rows {
            if let bytes { try upsert.execute(arguments: [projectId, bucket, Data(bytes)]) }
            else { try delete.execute(arguments: [projectId, bucket]) }
        }
    }

    /// The JSON of what the reconciler skips on purpose in a project ("{}": nothing).
    public func skippedPaths(projectId: String) throws -> String {
        try String.fetchOne(db, sql: "SELECT skippedPaths FROM projects WHERE id = ?", arguments: [projectId]) ?? "{}"
    }

    public func setSkippedPaths(projectId: String, _ json: String) throws {
        try db.execute(sql: "UPDATE projects SET skippedPaths = ? WHERE id = ?", arguments: [json, projectId])
    }

    /// Records a reconcile that could not run at all, leaving the cursor where it was.
    public func recordProjectError(projectId: String, error: String) throws {
        try db.execute(sql: "UPDATE projects SET lastError = ? WHERE id = ?", arguments: [error, projectId])
    }
}
