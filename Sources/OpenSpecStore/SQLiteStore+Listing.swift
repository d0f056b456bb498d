import Foundation
import GRDB

extension SQLiteStore {
    /// Summaries of specs in listing order (active, archived, removed; then
    /// path), handed to `body` one at a time from a cursor: a listing's
    /// memory does not grow with the number of changes. One read, so the
    /// rows are one state of the database.
    ///
    /// The read goes through SQLite's page cache, not the memory map: every
    /// row's columns after the content ones (`syncError`) lie past its
    /// overflow pages, so a listing touches the whole table, and through the
    /// map each touched page would stay in the process's memory until exit.
    public func forEachSpecSummary(projectId: String?, statuses: Set<SpecStatus>?,
                                   _ body: (SpecSummary) throws -> Void) throws {
        try pool.read { db in
            try db.execute(sql: "PRAGMA mmap_size = 0")
            defer { try? db.execute(sql: "PRAGMA mmap_size = \(Self.mmapBytes)") }
            var clauses: [String] = []
            var arguments: StatementArguments = []
            if let projectId { clauses.append("projectId = ?"); arguments += [projectId] }
            if let statuses {
                clauses.append("status IN (" + statuses.map { "'\($0.rawValue)'" }.sorted().joined(separator: ",") + ")")
            }
            let whereClause = clauses.isEmpty ? "" : "WHERE " + clauses.joined(separator: " AND ")
            let rank = "CASE status WHEN '\(SpecStatus.active.rawValue)' THEN 0 WHEN '\(SpecStatus.archived.rawValue)' THEN 1 ELSE 2 END"
            let rows = try SpecSummary.fetchCursor(db, sql: """
                SELECT \(SpecSummary.columns) FROM openspecSpecs \(whereClause) ORDER BY \(rank), path
                """, arguments: arguments)
            while let summary = try rows.next() { try body(summary) }
        }
    }
}
