import Foundation
import GRDB

/// The reads of `StoreReads` on one connection, each statement prepared once
/// per connection and kept (`cachedStatement`): the store runs each in a
/// read of its own, a snapshot runs them all in one.
extension SQLiteStore {
    // Plain SQL rather than GRDB's query builder: every command looks its
    // project up first, and the builder's first use in a process
    // instantiates generic metadata by mangled name (about a millisecond).
    static func projects(_ db: Database) throws -> [ProjectRecord] {
        try ProjectRecord.fetchAll(db.cachedStatement(sql: "SELECT * FROM projects ORDER BY name"))
    }

    static func project(_ db: Database, id: String) throws -> ProjectRecord? {
        try ProjectRecord.fetchOne(db.cachedStatement(sql: "SELECT * FROM projects WHERE id = ?"), arguments: [id])
    }

    static func project(_ db: Database, named name: String) throws -> ProjectRecord? {
        try ProjectRecord.fetchOne(db.cachedStatement(sql: "SELECT * FROM projects WHERE name = ?"), arguments: [name])
    }

    static func projectCounts(_ db: Database, projectId: String) throws -> ProjectCounts {
        var counts = ProjectCounts()
        // Two index-only counts (see the v8 migration): reading the rows
        // would page in every change's text columns.
        let rows = try Row.fetchAll(db.cachedStatement(sql: """
            SELECT status, COUNT(*) AS n FROM openspecSpecs WHERE projectId = ? GROUP BY status
            """), arguments: [projectId])
        for row in rows {
            let n: Int = row["n"]
            switch SpecStatus(rawValue: row["status"]) {
            case .active: counts.active = n
            case .archived: counts.archived = n
            case .removed: counts.removed = n
            case nil: break
            }
        }
        counts.withErrors = try Int.fetchOne(db.cachedStatement(sql: """
            SELECT COUNT(*) FROM openspecSpecs WHERE projectId = ? AND syncError IS NOT NULL AND status <> 'removed'
            """), arguments: [projectId]) ?? 0
        counts.mainSpecs = try Int.fetchOne(db.cachedStatement(sql: """
            SELECT COUNT(*) FROM mainSpecs WHERE projectId = ? AND status = 'present'
            """), arguments: [projectId]) ?? 0
        return counts
    }

    static func skippedPaths(_ db: Database, projectId: String) throws -> String {
        try String.fetchOne(db.cachedStatement(sql: "SELECT skippedPaths FROM projects WHERE id = ?"), arguments: [projectId]) ?? "{}"
    }

    static func spec(_ db: Database, id: String) throws -> SpecRecord? {
        try SpecRecord.fetchOne(db.cachedStatement(sql: "SELECT * FROM openspecSpecs WHERE id = ?"), arguments: [id])
    }

    static func specsMatching(_ db: Database, key: String, projectId: String?) throws -> [SpecSummary] {
        let sql = SpecLookup.sql(columns: SpecSummary.columns, scoped: projectId != nil)
        return try SpecSummary.fetchAll(db.cachedStatement(sql: sql),
                                        arguments: StatementArguments(SpecLookup.arguments(key: key, projectId: projectId)))
    }

    static func specFiles(_ db: Database, specId: String, withContent: Bool) throws -> [SpecFileRecord] {
        let content = withContent ? "content" : "NULL AS content"
        var files = try SpecFileRecord.fetchAll(db.cachedStatement(sql: """
            SELECT specId, path, blobId, size, isUTF8, \(content), syncError
            FROM specFiles WHERE specId = ? ORDER BY path
            """), arguments: [specId])
        guard withContent else { return files }
        for index in files.indices where files[index].content == nil {
            files[index].content = try textContent(db, specId: specId, path: files[index].path)
        }
        return files
    }

    static func fileContent(_ db: Database, specId: String, path: String) throws -> Data? {
        if let data = try Data.fetchOne(db.cachedStatement(sql: "SELECT content FROM specFiles WHERE specId = ? AND path = ?"),
                                        arguments: [specId, path]) {
            return data
        }
        return try textContent(db, specId: specId, path: path)
    }

    /// The content of a seed file kept in the spec row's text column, for a file row whose `content` is NULL.
    static func textContent(_ db: Database, specId: String, path: String) throws -> Data? {
        guard let column = textColumn(forFile: path) else { return nil }
        return try String.fetchOne(db.cachedStatement(sql: "SELECT \(column) FROM openspecSpecs WHERE id = ?"), arguments: [specId])
            .map { Data($0.utf8) }
    }

    /// History rows, newest first. `before` is a cursor: the id of the last row
    /// already seen; ids only grow, so pages stay stable under new inserts.
    /// The `started` marks written as a run begins are left out unless
    /// `includeStarted`: the history is what runs did, the marks are for live events.
    static func history(_ db: Database, projectId: String?, specId: String?, limit: Int, before: Int64?,
                        includeStarted: Bool) throws -> [HistoryRecord] {
        var clauses: [String] = []
        var arguments: StatementArguments = []
        if !includeStarted { clauses.append("action <> '\(HistoryRecord.startedAction)'") }
        if let projectId { clauses.append("projectId = ?"); arguments += [projectId] }
        if let specId { clauses.append("specId = ?"); arguments += [specId] }
        if let before { clauses.append("id < ?"); arguments += [before] }
        let whereClause = clauses.isEmpty ? "" : "WHERE " + clauses.joined(separator: " AND ")
        arguments += [limit]
        return try HistoryRecord.fetchAll(db.cachedStatement(sql: "SELECT * FROM syncHistory \(whereClause) ORDER BY id DESC LIMIT ?"),
                                          arguments: arguments)
    }

    /// The latest summary row of each reconcile run of a project.
    static func lastRun(_ db: Database, projectId: String) throws -> HistoryRecord? {
        try HistoryRecord.fetchOne(db.cachedStatement(sql: """
            SELECT * FROM syncHistory WHERE projectId = ? AND specId IS NULL AND action <> '\(HistoryRecord.startedAction)'
            ORDER BY id DESC LIMIT 1
            """), arguments: [projectId])
    }

    static func writeCounts(_ db: Database, projectId: String, specId: String?) throws -> (pendingWrites: Int, openConflicts: Int) {
        var arguments: StatementArguments = [projectId]
        var ofSpec = ""
        if let specId { ofSpec = " AND specId = ?"; arguments += [specId] }
        let pending = try Int.fetchOne(db.cachedStatement(sql: "SELECT COUNT(*) FROM pendingWrites WHERE projectId = ? AND status = 'pending'" + ofSpec),
                                       arguments: arguments) ?? 0
        let open = try Int.fetchOne(db.cachedStatement(sql: "SELECT COUNT(*) FROM conflicts WHERE projectId = ? AND resolvedAt IS NULL" + ofSpec),
                                    arguments: arguments) ?? 0
        return (pending, open)
    }

    static func changeCounter(_ db: Database) throws -> Int64 {
        try Int64.fetchOne(db.cachedStatement(sql: "SELECT value FROM changeCounter WHERE id = 1")) ?? 0
    }
}
