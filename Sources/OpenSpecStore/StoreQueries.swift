import Foundation

// What the store's queries take and give, besides the records: plain values.

/// A board column of the dashboard, from a change's status and tasks.
public enum BoardColumn: String, Sendable, CaseIterable, Codable {
    case noTasks = "no-tasks"
    case inProgress = "in-progress"
    case complete
    case archived
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

/// Where a page of the change list starts: the sort key of the last row of
/// the page before. The list is ordered by status (active, archived,
/// removed), then path, then id, so a key names one place in that order
/// whatever rows are added or removed around it.
public struct SpecListKey: Sendable, Equatable {
    public var statusRank: Int
    public var path: String
    public var id: String

    public init(statusRank: Int, path: String, id: String) {
        self.statusRank = statusRank
        self.path = path
        self.id = id
    }

    public init(_ spec: SpecSummary) {
        self.init(statusRank: Self.rank(of: spec.status), path: spec.path, id: spec.id)
    }

    /// The list's order of statuses.
    public static func rank(of status: SpecStatus) -> Int {
        switch status {
        case .active: return 0
        case .archived: return 1
        case .removed: return 2
        }
    }
}

/// Where a change is, as a write needs it.
public struct SpecPlace: Sendable, Equatable {
    public var id: String
    public var projectId: String
    public var path: String
    public var changeId: String
    public var status: SpecStatus

    public init(
        id: String, projectId: String, path: String, changeId: String, status: SpecStatus
    ) {
        self.id = id
        self.projectId = projectId
        self.path = path
        self.changeId = changeId
        self.status = status
    }
}

/// The columns of a change's row that its workflow schema decides.
public struct SchemaDependentColumns: Sendable, Equatable {
    public var completedTasks: Int
    public var totalTasks: Int
    public var taskStatus: String
    public var schemaName: String?
    public var issues: String

    public init(completedTasks: Int, totalTasks: Int, taskStatus: String, schemaName: String?, issues: String) {
        self.completedTasks = completedTasks; self.totalTasks = totalTasks; self.taskStatus = taskStatus
        self.schemaName = schemaName; self.issues = issues
    }
}

/// The SQL both stores build for a search, from the same query.
extension ChangeQuery {
    /// `%`, `_` and `\` matched as themselves in a LIKE pattern (`ESCAPE '\'`).
    package static func likeEscaped(_ text: String) -> String {
        var result = ""
        for character in text {
            if character == "%" || character == "_" || character == "\\" { result.append("\\") }
            result.append(character)
        }
        return result
    }

    /// The page's ORDER BY key, or nil for `.created` (sorted after the page
    /// is read); `titleKey` is the store's expression for a title ignoring case.
    package func orderKey(titleKey: String) -> String? {
        let direction = descending ? "DESC" : "ASC"
        switch sort {
        case .created: return nil
        case .id: return "changeId \(direction), path"
        case .title: return "\(titleKey) \(direction), changeId, path"
        case .progress: return "progress \(direction), changeId, path"
        case .changed: return "changedAt \(direction), changeId, path"
        }
    }
}

/// The query of `StoreReads.specsMatching`, the same on every store: one
/// indexed lookup per way of naming a change (row id, change id, folder
/// path), since an OR of the three would scan every row, content included.
public enum SpecLookup {
    /// Selects `columns` of the matches, by status then path.
    public static func sql(columns: String, scoped: Bool) -> String {
        let projects = scoped ? "?" : "SELECT id FROM projects"
        return """
            SELECT * FROM (
              SELECT \(columns) FROM openspecSpecs WHERE id = ? AND projectId IN (\(projects))
              UNION SELECT \(columns) FROM openspecSpecs WHERE projectId IN (\(projects)) AND changeId = ?
              UNION SELECT \(columns) FROM openspecSpecs WHERE projectId IN (\(projects)) AND path IN (?, ?)
            ) AS matches ORDER BY status, path
            """
    }

    /// The values for `sql(columns:scoped:)`'s placeholders, in order.
    public static func arguments(key: String, projectId: String?) -> [String] {
        projectId.map { [key, $0, $0, key, $0, key, "changes/" + key] } ?? [key, key, key, "changes/" + key]
    }
}
