import Foundation
import GRDB

extension SQLiteStore {
    static let statusRankSQL = "CASE status WHEN 'active' THEN 0 WHEN 'archived' THEN 1 ELSE 2 END"

    /// Up to `limit` changes after `key` in the list's order (status, path,
    /// id): a keyset page, so a row added before the key shifts nothing.
    public func specPage(projectId: String?, statuses: Set<SpecStatus>?, after key: SpecListKey?, limit: Int) throws -> [SpecSummary] {
        try pool.read { db in
            var (clauses, arguments) = Self.specFilter(projectId: projectId, statuses: statuses)
            if let key {
                clauses.append("(\(Self.statusRankSQL), path, id) > (?, ?, ?)")
                arguments += [key.statusRank, key.path, key.id]
            }
            let whereClause = clauses.isEmpty ? "" : "WHERE " + clauses.joined(separator: " AND ")
            return try SpecSummary.fetchAll(db, sql: """
                SELECT \(SpecSummary.columns) FROM openspecSpecs \(whereClause)
                ORDER BY \(Self.statusRankSQL), path, id LIMIT ?
                """, arguments: arguments + [limit])
        }
    }

    /// How many changes the list holds with these filters.
    public func specCount(projectId: String?, statuses: Set<SpecStatus>?) throws -> Int {
        try pool.read { db in
            let (clauses, arguments) = Self.specFilter(projectId: projectId, statuses: statuses)
            let whereClause = clauses.isEmpty ? "" : "WHERE " + clauses.joined(separator: " AND ")
            return try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM openspecSpecs \(whereClause)", arguments: arguments) ?? 0
        }
    }

    private static func specFilter(projectId: String?, statuses: Set<SpecStatus>?) -> ([String], StatementArguments) {
        var clauses: [String] = []
        var arguments: StatementArguments = []
        if let projectId { clauses.append("projectId = ?"); arguments += [projectId] }
        if let statuses {
            clauses.append("status IN (" + statuses.map { "'\($0.rawValue)'" }.sorted().joined(separator: ",") + ")")
        }
        return (clauses, arguments)
    }
}

extension SQLiteStore {
    /// A number that grows with every committed write to the projects,
    /// changes, their files, main specs, pending writes or conflicts (kept by
    /// triggers, see the schema): equal numbers mean those rows are as they were.
    public func changeCounter() throws -> Int64 {
        try pool.read { db in try Self.changeCounter(db) }
    }
}
