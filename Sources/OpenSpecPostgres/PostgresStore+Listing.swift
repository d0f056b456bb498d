import Foundation
import OpenSpecStore

/// Changes, their files and main specs, as the listings read them.
extension PostgresStore {
    static let statusRank = "CASE status WHEN 'active' THEN 0 WHEN 'archived' THEN 1 ELSE 2 END"

    static func specFilter(projectId: String?, statuses: Set<SpecStatus>?) -> (clauses: [String], values: [PGValue]) {
        var clauses: [String] = []
        var values: [PGValue] = []
        if let projectId { clauses.append("projectId = ?"); values.append(.text(projectId)) }
        if let statuses { clauses.append(PostgresSQL.statusIn(statuses)) }
        return (clauses, values)
    }

    static func whereClause(_ clauses: [String]) -> String {
        clauses.isEmpty ? "" : "WHERE " + clauses.joined(separator: " AND ")
    }

    public func specSummaries(projectId: String?, statuses: Set<SpecStatus>?) throws -> [SpecSummary] {
        let (clauses, values) = Self.specFilter(projectId: projectId, statuses: statuses)
        return try read { link in
            try link.query("SELECT \(PGColumns.spec) FROM openspecSpecs \(Self.whereClause(clauses)) ORDER BY path", values)
                .map { try $0.specSummary() }
        }
    }

    /// One statement, so one state of the database; the rows are handed
    /// over once read (the connection is back in the set before `body` runs).
    public func forEachSpecSummary(projectId: String?, statuses: Set<SpecStatus>?, _ body: (SpecSummary) throws -> Void) throws {
        let (clauses, values) = Self.specFilter(projectId: projectId, statuses: statuses)
        let rows = try read { link in
            try link.query("""
                SELECT \(PGColumns.spec) FROM openspecSpecs \(Self.whereClause(clauses)) ORDER BY \(Self.statusRank), path
                """, values)
        }
        for row in rows { try body(try row.specSummary()) }
    }

    public func specPage(projectId: String?, statuses: Set<SpecStatus>?, after key: SpecListKey?, limit: Int) throws -> [SpecSummary] {
        var (clauses, values) = Self.specFilter(projectId: projectId, statuses: statuses)
        if let key {
            clauses.append("(\(Self.statusRank), path, id) > (?, ?, ?)")
            values += [.int(key.statusRank), .text(key.path), .text(key.id)]
        }
        return try read { link in
            try link.query("""
                SELECT \(PGColumns.spec) FROM openspecSpecs \(Self.whereClause(clauses))
                ORDER BY \(Self.statusRank), path, id LIMIT ?
                """, values + [.int(limit)]).map { try $0.specSummary() }
        }
    }

    public func specCount(projectId: String?, statuses: Set<SpecStatus>?) throws -> Int {
        let (clauses, values) = Self.specFilter(projectId: projectId, statuses: statuses)
        return try read { link in
            try link.query("SELECT COUNT(*) AS n FROM openspecSpecs \(Self.whereClause(clauses))", values).first?.int("n") ?? 0
        }
    }

    public func staleSpecs(projectId: String, before: Date, limit: Int) throws -> [SpecSummary] {
        try read { link in
            try link.query("""
                SELECT \(PGColumns.spec) FROM openspecSpecs
                WHERE projectId = ? AND status <> 'removed' AND (lastSyncedAt IS NULL OR lastSyncedAt < ?)
                ORDER BY lastSyncedAt IS NOT NULL, lastSyncedAt LIMIT ?
                """, [.text(projectId), .date(before), .int(limit)]).map { try $0.specSummary() }
        }
    }

    public func spec(id: String) throws -> SpecRecord? {
        try read { try $0.query("SELECT * FROM openspecSpecs WHERE id = ?", [.text(id)]).first?.spec() }
    }

    public func specsMatching(_ key: String, projectId: String?) throws -> [SpecSummary] {
        let sql = SpecLookup.sql(columns: PGColumns.spec, scoped: projectId != nil)
        let values = SpecLookup.arguments(key: key, projectId: projectId).map { PGValue.text($0) }
        return try read { try $0.query(sql, values).map { try $0.specSummary() } }
    }

    public func specPlace(id: String) throws -> SpecPlace? {
        try read { link in
            guard let row = try link.query("SELECT id, projectId, path, changeId, status FROM openspecSpecs WHERE id = ?",
                                           [.text(id)]).first else { return nil }
            return SpecPlace(id: try row.string("id"), projectId: try row.string("projectId"), path: try row.string("path"),
                             changeId: try row.string("changeId"), status: SpecStatus(rawValue: try row.string("status")) ?? .removed)
        }
    }

    public func schemaName(specId: String) throws -> String? {
        try read { try $0.query("SELECT schemaName FROM openspecSpecs WHERE id = ?", [.text(specId)]).first?.optionalString("schemaName") }
    }

    public func specFiles(specId: String, withContent: Bool) throws -> [SpecFileRecord] {
        try read { link in
            let content = withContent ? "content" : "NULL::BYTEA AS content"
            var files = try link.query("""
                SELECT specId, path, blobId, size, isUTF8, \(content), syncError FROM specFiles WHERE specId = ? ORDER BY path
                """, [.text(specId)]).map { try $0.specFile() }
            guard withContent else { return files }
            for index in files.indices where files[index].content == nil {
                files[index].content = try Self.textContent(link, specId: specId, path: files[index].path)
            }
            return files
        }
    }

    public func specFile(specId: String, path: String) throws -> SpecFileRecord? {
        try read { link in
            guard var file = try link.query("SELECT \(PGColumns.file) FROM specFiles WHERE specId = ? AND path = ?",
                                            [.text(specId), .text(path)]).first?.specFile() else { return nil }
            if file.content == nil { file.content = try Self.textContent(link, specId: specId, path: path) }
            return file
        }
    }

    public func fileContent(specId: String, path: String) throws -> Data? {
        try read { try Self.fileContent($0, specId: specId, path: path) }
    }

    static func fileContent(_ link: PostgresLink, specId: String, path: String) throws -> Data? {
        if let data = try link.query("SELECT content FROM specFiles WHERE specId = ? AND path = ?",
                                     [.text(specId), .text(path)]).first?.data("content") {
            return data
        }
        return try textContent(link, specId: specId, path: path)
    }

    /// proposal.md, tasks.md and design.md in UTF-8 keep their bytes in the
    /// change row's text columns (`content` NULL), as in the SQLite store.
    static func textContent(_ link: PostgresLink, specId: String, path: String) throws -> Data? {
        let column: String
        switch path {
        case "proposal.md": column = "proposalContent"
        case "tasks.md": column = "tasksContent"
        case "design.md": column = "designContent"
        default: return nil
        }
        return try link.query("SELECT \(column) AS text FROM openspecSpecs WHERE id = ?", [.text(specId)])
            .first?.optionalString("text").map { Data($0.utf8) }
    }

    public func mainSpecs(projectId: String) throws -> [MainSpecRecord] {
        try read { link in
            try link.query("""
                SELECT id, projectId, capability, path, status, title, purpose, requirementCount, blobId,
                       size, isUTF8, NULL::BYTEA AS content, issues, lastSyncedAt, syncError
                FROM mainSpecs WHERE projectId = ? ORDER BY capability
                """, [.text(projectId)]).map { try $0.mainSpec() }
        }
    }

    public func mainSpec(projectId: String, capability: String) throws -> MainSpecRecord? {
        try read { link in
            try link.query("SELECT \(PGColumns.mainSpec) FROM mainSpecs WHERE projectId = ? AND capability = ?",
                           [.text(projectId), .text(capability)]).first?.mainSpec()
        }
    }
}
