import Foundation
import GRDB

extension BoardColumn {
    /// archived status → archived; else no tasks → no-tasks; all done → complete; else in-progress.
    static let sql = """
        CASE WHEN s.status = 'archived' THEN 'archived' WHEN s.totalTasks = 0 THEN 'no-tasks' \
        WHEN s.completedTasks >= s.totalTasks THEN 'complete' ELSE 'in-progress' END
        """
}

extension SQLiteStore {
    /// Filters, counts, sorts and pages in SQL. With `.created` every match
    /// is returned, unordered, for the caller to sort by the dates from git.
    public func searchChanges(_ query: ChangeQuery) throws -> ChangeSearch {
        try pool.read { db in
            var clauses: [String] = []
            var arguments: StatementArguments = []
            if let projectId = query.projectId { clauses.append("s.projectId = ?"); arguments += [projectId] }
            if let statuses = query.statuses {
                clauses.append("s.status IN (" + statuses.map { "'\($0.rawValue)'" }.sorted().joined(separator: ",") + ")")
            }
            if let text = query.text, !text.isEmpty {
                let pattern = "%" + ChangeQuery.likeEscaped(text) + "%"
                clauses.append("""
                    (s.changeId LIKE ?1 ESCAPE '\\' OR s.title LIKE ?1 ESCAPE '\\' OR s.proposalContent LIKE ?1 ESCAPE '\\' \
                    OR s.tasksContent LIKE ?1 ESCAPE '\\' OR s.designContent LIKE ?1 ESCAPE '\\' \
                    OR EXISTS (SELECT 1 FROM specFiles f WHERE f.specId = s.id AND f.isUTF8 AND f.content IS NOT NULL \
                               AND CAST(f.content AS TEXT) LIKE ?1 ESCAPE '\\'))
                    """.replacingOccurrences(of: "?1", with: "?"))
                for _ in 0..<6 { arguments += [pattern] }
            }
            // On the computed columns, outside.
            var outer: [String] = []
            if let hasErrors = query.hasErrors { outer.append(hasErrors ? "hasErrors" : "NOT hasErrors") }
            if let hasConflicts = query.hasConflicts { outer.append(hasConflicts ? "openConflicts > 0" : "openConflicts = 0") }
            if query.progress != 0...100 {
                outer.append("progress BETWEEN ? AND ?")
                arguments += [query.progress.lowerBound, query.progress.upperBound]
            }
            let matches = """
                SELECT s.id, s.projectId, s.changeId, s.path, s.title, s.status, \(BoardColumn.sql) AS "column",
                       s.completedTasks, s.totalTasks,
                       CASE WHEN s.totalTasks = 0 THEN 0 ELSE MIN(100, s.completedTasks * 100 / s.totalTasks) END AS progress,
                       json_array_length(s.issues) AS issueCount,
                       (s.syncError IS NOT NULL OR EXISTS (SELECT 1 FROM json_each(s.issues) WHERE json_extract(value, '$.level') = 'ERROR')) AS hasErrors,
                       COALESCE(c.n, 0) AS openConflicts,
                       COALESCE(s.filesystemModifiedAt, s.dbModifiedAt, s.lastSyncedAt, s.firstSeenAt) AS changedAt
                FROM openspecSpecs s
                LEFT JOIN (SELECT specId, COUNT(*) AS n FROM conflicts WHERE resolvedAt IS NULL AND specId IS NOT NULL GROUP BY specId) c
                  ON c.specId = s.id
                """ + (clauses.isEmpty ? "" : " WHERE " + clauses.joined(separator: " AND "))
            // The filters other than the column's apply to the per-column counts too.
            let filtered = "SELECT * FROM (\(matches))" + (outer.isEmpty ? "" : " WHERE " + outer.joined(separator: " AND "))
            var columns: [BoardColumn: Int] = Dictionary(uniqueKeysWithValues: BoardColumn.allCases.map { ($0, 0) })
            for row in try Row.fetchAll(db, sql: "SELECT \"column\", COUNT(*) FROM (\(filtered)) GROUP BY \"column\"", arguments: arguments) {
                if let column = BoardColumn(rawValue: row[0]) { columns[column] = row[1] }
            }
            var pageSQL = "SELECT * FROM (\(filtered))"
            var pageArguments = arguments
            if let column = query.column {
                pageSQL += " WHERE \"column\" = ?"
                pageArguments += [column.rawValue]
            }
            let total = query.column.map { columns[$0] ?? 0 } ?? columns.values.reduce(0, +)
            if let key = query.orderKey(titleKey: "title COLLATE NOCASE") {
                pageSQL += " ORDER BY \(key) LIMIT ? OFFSET ?"
                pageArguments += [query.limit, query.offset]
            }
            let rows = try ChangeSearchRow.fetchAll(db, sql: pageSQL, arguments: pageArguments)
            return ChangeSearch(total: total, columns: columns, rows: rows)
        }
    }


    /// One main spec with its content, or nil.
    public func mainSpec(projectId: String, capability: String) throws -> MainSpecRecord? {
        try pool.read { db in
            try MainSpecRecord.fetchOne(db, sql: """
                SELECT id, projectId, capability, path, status, title, purpose, requirementCount, blobId,
                       size, isUTF8, content, issues, lastSyncedAt, syncError
                FROM mainSpecs WHERE projectId = ? AND capability = ?
                """, arguments: [projectId, capability])
        }
    }
}
