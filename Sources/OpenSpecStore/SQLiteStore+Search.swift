import Foundation
import GRDB

/// A board column of the dashboard, from a change's status and tasks.
public enum BoardColumn: String, Sendable, CaseIterable, Codable {
    case noTasks = "no-tasks"
    case inProgress = "in-progress"
    case complete
    case archived

    /// archived status → archived; else no tasks → no-tasks; all done → complete; else in-progress.
    static let sql = """
        CASE WHEN s.status = 'archived' THEN 'archived' WHEN s.totalTasks = 0 THEN 'no-tasks' \
        WHEN s.completedTasks >= s.totalTasks THEN 'complete' ELSE 'in-progress' END
        """
}

/// What `specs.search` asks for: filters, an order and a page.
public struct ChangeQuery: Sendable {
    public enum Sort: String, Sendable, CaseIterable {
        case id, title, progress, changed, created
    }

    public var projectId: String?
    public var statuses: Set<SpecStatus>?
    public var column: BoardColumn?
    /// Matched against the change id, the title and the text of every UTF-8 file, ignoring ASCII case.
    public var text: String?
    public var hasErrors: Bool?
    public var hasConflicts: Bool?
    public var progress: ClosedRange<Int> = 0...100
    public var sort: Sort = .id
    public var descending = false
    public var offset = 0
    public var limit = 100
    /// For `.created`: the SQL order of the rows is left to the caller, who knows the dates (see `ChangeSearch`).
    public init() {}
}

/// One row of a search.
public struct ChangeSearchRow: Sendable, Equatable, Decodable {
    public var id: String
    public var projectId: String
    public var changeId: String
    public var path: String
    public var title: String
    public var status: SpecStatus
    public var column: String
    public var completedTasks: Int
    public var totalTasks: Int
    public var progress: Int
    public var issueCount: Int
    public var hasErrors: Bool
    public var openConflicts: Int
    public var changedAt: Date?

    public init(
        id: String, projectId: String, changeId: String, path: String, title: String, status: SpecStatus,
        column: String, completedTasks: Int, totalTasks: Int, progress: Int, issueCount: Int, hasErrors: Bool,
        openConflicts: Int, changedAt: Date?
    ) {
        self.id = id
        self.projectId = projectId
        self.changeId = changeId
        self.path = path
        self.title = title
        self.status = status
        self.column = column
        self.completedTasks = completedTasks
        self.totalTasks = totalTasks
        self.progress = progress
        self.issueCount = issueCount
        self.hasErrors = hasErrors
        self.openConflicts = openConflicts
        self.changedAt = changedAt
    }
}

/// The rows of one page, how many match in all, and how many per board column.
public struct ChangeSearch: Sendable {
    public var total: Int
    public var columns: [BoardColumn: Int]
    public var rows: [ChangeSearchRow]

    public init(
        total: Int, columns: [BoardColumn: Int], rows: [ChangeSearchRow]
    ) {
        self.total = total
        self.columns = columns
        self.rows = rows
    }
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
                let pattern = "%" + Self.likeEscaped(text) + "%"
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
            if query.sort != .created {
                let direction = query.descending ? "DESC" : "ASC"
                let key: String
                switch query.sort {
                case .id, .created: key = "changeId \(direction), path"
                case .title: key = "title COLLATE NOCASE \(direction), changeId, path"
                case .progress: key = "progress \(direction), changeId, path"
                case .changed: key = "changedAt \(direction), changeId, path"
                }
                pageSQL += " ORDER BY \(key) LIMIT ? OFFSET ?"
                pageArguments += [query.limit, query.offset]
            }
            let rows = try ChangeSearchRow.fetchAll(db, sql: pageSQL, arguments: pageArguments)
            return ChangeSearch(total: total, columns: columns, rows: rows)
        }
    }

    /// `%`, `_` and `\` matched as themselves in a LIKE pattern.
    static func likeEscaped(_ text: String) -> String {
        var result = ""
        for character in text {
            if character == "%" || character == "_" || character == "\\" { result.append("\\") }
            result.append(character)
        }
        return result
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
