import Foundation
import OpenSpecStore

extension PostgresStore {
    /// archived status → archived; else no tasks → no-tasks; all done → complete; else in-progress.
    static let boardColumnSQL = """
        CASE WHEN s.status = 'archived' THEN 'archived' WHEN s.totalTasks = 0 THEN 'no-tasks' \
        WHEN s.completedTasks >= s.totalTasks THEN 'complete' ELSE 'in-progress' END
        """

    /// A file's content as text for a search, when it is UTF-8 without a NUL
    /// (PostgreSQL's text holds none); otherwise no match.
    static let fileTextSQL = """
        CASE WHEN f.isUTF8 AND position('\\x00'::BYTEA IN f.content) = 0 THEN convert_from(f.content, 'UTF8') END
        """

    /// As `SQLiteStore.searchChanges`: text matched as SQLite's LIKE does
    /// (ASCII letters in either case; `%`, `_` and `\` as themselves).
    public func searchChanges(_ query: ChangeQuery) throws -> ChangeSearch {
        var clauses: [String] = []
        var values: [PGValue] = []
        if let projectId = query.projectId { clauses.append("s.projectId = ?"); values.append(.text(projectId)) }
        if let statuses = query.statuses { clauses.append(PostgresSQL.statusIn(statuses, column: "s.status")) }
        if let text = query.text, !text.isEmpty {
            let pattern = "%" + ChangeQuery.likeEscaped(text) + "%"
            let like = "ILIKE ? ESCAPE '\\'"
            clauses.append("""
                (s.changeId \(like) OR s.title \(like) OR s.proposalContent \(like) OR s.tasksContent \(like) \
                OR s.designContent \(like) OR EXISTS (SELECT 1 FROM specFiles f WHERE f.specId = s.id \
                AND f.content IS NOT NULL AND \(Self.fileTextSQL) \(like)))
                """)
            values += Array(repeating: .text(pattern), count: 6)
        }
        var outer: [String] = []
        if let hasErrors = query.hasErrors { outer.append(hasErrors ? "hasErrors" : "NOT hasErrors") }
        if let hasConflicts = query.hasConflicts { outer.append(hasConflicts ? "openConflicts > 0" : "openConflicts = 0") }
        if query.progress != 0...100 {
            outer.append("progress BETWEEN ? AND ?")
            values += [.int(query.progress.lowerBound), .int(query.progress.upperBound)]
        }
        let matches = """
            SELECT s.id, s.projectId, s.changeId, s.path, s.title, s.status, \(Self.boardColumnSQL) AS "column",
                   s.completedTasks, s.totalTasks,
                   CASE WHEN s.totalTasks = 0 THEN 0 ELSE LEAST(100, s.completedTasks * 100 / s.totalTasks) END AS progress,
                   json_array_length(s.issues::JSON) AS issueCount,
                   (s.syncError IS NOT NULL OR EXISTS (SELECT 1 FROM json_array_elements(s.issues::JSON) e
                                                       WHERE e.value->>'level' = 'ERROR')) AS hasErrors,
                   COALESCE(c.n, 0) AS openConflicts,
                   COALESCE(s.filesystemModifiedAt, s.dbModifiedAt, s.lastSyncedAt, s.firstSeenAt) AS changedAt
            FROM openspecSpecs s
            LEFT JOIN (SELECT specId, COUNT(*) AS n FROM conflicts WHERE resolvedAt IS NULL AND specId IS NOT NULL GROUP BY specId) c
              ON c.specId = s.id
            """ + (clauses.isEmpty ? "" : " WHERE " + clauses.joined(separator: " AND "))
        let filtered = "SELECT * FROM (\(matches)) AS matches" + (outer.isEmpty ? "" : " WHERE " + outer.joined(separator: " AND "))
        var pageSQL = "SELECT * FROM (\(filtered)) AS filtered"
        var pageValues = values
        if let column = query.column {
            pageSQL += " WHERE \"column\" = ?"
            pageValues.append(.text(column.rawValue))
        }
        if let key = query.orderKey(titleKey: "lower(title)") {
            pageSQL += " ORDER BY \(key) LIMIT ? OFFSET ?"
            pageValues += [.int(query.limit), .int(query.offset)]
        }
        return try read { link in
            // The filters other than the column's apply to the per-column counts too.
            var columns: [BoardColumn: Int] = Dictionary(uniqueKeysWithValues: BoardColumn.allCases.map { ($0, 0) })
            for row in try link.query("SELECT \"column\", COUNT(*) AS n FROM (\(filtered)) AS counted GROUP BY \"column\"", values) {
                if let column = BoardColumn(rawValue: try row.string("column")) { columns[column] = try row.int("n") }
            }
            let total = query.column.map { columns[$0] ?? 0 } ?? columns.values.reduce(0, +)
            let rows = try link.query(pageSQL, pageValues).map { try $0.searchRow() }
            return ChangeSearch(total: total, columns: columns, rows: rows)
        }
    }

}
