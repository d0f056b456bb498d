import Foundation
import OpenSpecStore

/// Reads and writes inside one write transaction of a `PostgresStore`, on
/// its write connection (see `PostgresStore.write`).
public struct PostgresTransaction: StoreTransaction {
    let connection: PostgresLink
    /// A first import's rows held back (`bulkWrite`); nil for other transactions.
    let held: PostgresBulkRows?
    /// The newest history row this transaction added, which its commit announces.
    let added = AddedHistory()

    init(link: PostgresLink, bulk: Bool) {
        connection = link
        held = bulk ? PostgresBulkRows() : nil
    }

    /// The newest history id a transaction added (nil: none).
    final class AddedHistory {
        private(set) var newest: Int64?

        /// Notes `id` and returns it.
        func note(_ id: Int64) -> Int64 {
            newest = max(newest ?? id, id)
            return id
        }
    }

    /// The connection, once every row held back is written.
    var link: PostgresLink {
        get throws {
            try held?.flush(connection)
            return connection
        }
    }

    /// Writes the rows held back (before the commit).
    func flush() throws { try held?.flush(connection) }

    public func project(id: String) throws -> ProjectRecord? {
        try link.query("SELECT * FROM projects WHERE id = ?", [.text(id)]).first?.project()
    }

    public func spec(projectId: String, path: String) throws -> SpecSummary? {
        try link.query("SELECT \(PGColumns.spec) FROM openspecSpecs WHERE projectId = ? AND path = ?",
                       [.text(projectId), .text(path)]).first?.specSummary()
    }

    public func specs(projectId: String, changeId: String) throws -> [SpecSummary] {
        try link.query("SELECT \(PGColumns.spec) FROM openspecSpecs WHERE projectId = ? AND changeId = ? ORDER BY path",
                       [.text(projectId), .text(changeId)]).map { try $0.specSummary() }
    }

    public func allSpecs(projectId: String) throws -> [SpecSummary] {
        try link.query("SELECT \(PGColumns.spec) FROM openspecSpecs WHERE projectId = ? ORDER BY path", [.text(projectId)])
            .map { try $0.specSummary() }
    }

    public func fileBlobIds(specId: String) throws -> [String: String] {
        var result: [String: String] = [:]
        for row in try link.query("SELECT path, blobId FROM specFiles WHERE specId = ?", [.text(specId)]) {
            result[try row.string("path")] = try row.string("blobId")
        }
        return result
    }

    public func allFileBlobIds(projectId: String) throws -> [String: [String: String]] {
        var result: [String: [String: String]] = [:]
        for row in try link.query("""
            SELECT f.specId, f.path, f.blobId FROM specFiles f JOIN openspecSpecs s ON s.id = f.specId WHERE s.projectId = ?
            """, [.text(projectId)]) {
            result[try row.string("specId"), default: [:]][try row.string("path")] = try row.string("blobId")
        }
        return result
    }

    public func fileContent(specId: String, path: String) throws -> Data? {
        try PostgresStore.fileContent(link, specId: specId, path: path)
    }

    public func specFileBlobId(specId: String, path: String) throws -> String? {
        try link.query("SELECT blobId FROM specFiles WHERE specId = ? AND path = ?", [.text(specId), .text(path)])
            .first?.string("blobId")
    }

    public func schemaDependentColumns(specId: String) throws -> SchemaDependentColumns? {
        guard let row = try link.query("""
            SELECT completedTasks, totalTasks, taskStatus, schemaName, issues FROM openspecSpecs WHERE id = ?
            """, [.text(specId)]).first else { return nil }
        return SchemaDependentColumns(completedTasks: try row.int("completedTasks"), totalTasks: try row.int("totalTasks"),
                                      taskStatus: try row.string("taskStatus"), schemaName: try row.optionalString("schemaName"),
                                      issues: try row.string("issues"))
    }

    public func mainSpecStates(projectId: String) throws -> [String: (id: String, blobId: String?, status: MainSpecStatus)] {
        var result: [String: (id: String, blobId: String?, status: MainSpecStatus)] = [:]
        for row in try link.query("SELECT capability, id, blobId, status FROM mainSpecs WHERE projectId = ?", [.text(projectId)]) {
            let capability = try row.string("capability"), text = try row.string("status")
            guard let status = MainSpecStatus(rawValue: text) else {
                throw PostgresRecordError.unknownValue(column: "mainSpecs.status of \(capability)", text: text)
            }
            result[capability] = (try row.string("id"), try row.optionalString("blobId"), status)
        }
        return result
    }

    public func statCacheRows(projectId: String, headerOnly: Bool) throws -> [Int: [UInt8]] {
        var rows: [Int: [UInt8]] = [:]
        for row in try link.query("SELECT bucket, entries FROM statCaches WHERE projectId = ?" + (headerOnly ? " AND bucket = -1" : ""),
                                  [.text(projectId)]) {
            rows[try row.int("bucket")] = try row.data("entries").map { [UInt8]($0) } ?? []
        }
        return rows
    }

    public func skippedPaths(projectId: String) throws -> String {
        try Self.skippedPaths(link, projectId: projectId)
    }

    static func skippedPaths(_ link: PostgresLink, projectId: String) throws -> String {
        try link.query("SELECT skippedPaths FROM projects WHERE id = ?", [.text(projectId)]).first?.string("skippedPaths") ?? "{}"
    }

    public func pendingWrites(specId: String, path: String) throws -> [PendingWriteRecord] {
        try Self.pendingWrites(link, specId: specId, path: path)
    }

    static func pendingWrites(_ link: PostgresLink, specId: String, path: String) throws -> [PendingWriteRecord] {
        try link.query("SELECT * FROM pendingWrites WHERE specId = ? AND path = ? AND status = 'pending' ORDER BY id",
                       [.text(specId), .text(path)]).map { try $0.pendingWrite() }
    }

    // MARK: Changes and main specs

    public func insertSpec(projectId: String, _ v: SpecValues, at now: Date) throws -> String {
        let id = RowID.make()
        let values: [PGValue] = [
            .text(id), .text(projectId), .text(v.path), .text(v.changeId), .text(v.title), .text(v.status.rawValue),
            .text(v.archivedOn), .columnText(v.proposalContent), .columnText(v.tasksContent), .columnText(v.designContent),
            .int(v.completedTasks), .int(v.totalTasks), .text(v.taskStatus), .text(v.schemaName), .text(v.createdOn),
            .text(v.issuesJSON), .date(now), .date(now), .date(v.filesystemModifiedAt), .text(v.syncError),
        ]
        if let held { held.addSpec(id: id, values) } else {
            try PostgresBulkRows.insert(connection, "INSERT INTO openspecSpecs (\(PostgresBulkRows.specColumns)) VALUES", [values], "")
        }
        return id
    }

    public func updateSpec(id: String, _ v: SpecValues, at now: Date) throws {
        try link.execute("""
            UPDATE openspecSpecs SET path = ?, changeId = ?, status = ?, archivedOn = ?, title = ?, proposalContent = ?,
              tasksContent = ?, designContent = ?, completedTasks = ?, totalTasks = ?, taskStatus = ?, schemaName = ?,
              createdOn = ?, issues = ?, lastSyncedAt = ?, filesystemModifiedAt = ?, syncError = ?
            WHERE id = ?
            """, [.text(v.path), .text(v.changeId), .text(v.status.rawValue), .text(v.archivedOn), .text(v.title),
                  .columnText(v.proposalContent), .columnText(v.tasksContent), .columnText(v.designContent),
                  .int(v.completedTasks), .int(v.totalTasks), .text(v.taskStatus), .text(v.schemaName), .text(v.createdOn),
                  .text(v.issuesJSON), .date(now), .date(v.filesystemModifiedAt), .text(v.syncError), .text(id)])
    }

    public func markVerified(specId: String, at now: Date) throws {
        try link.execute("UPDATE openspecSpecs SET lastSyncedAt = ? WHERE id = ?", [.date(now), .text(specId)])
    }

    public func markRemoved(specId: String, at now: Date) throws {
        try link.execute("UPDATE openspecSpecs SET status = 'removed', lastSyncedAt = ? WHERE id = ?", [.date(now), .text(specId)])
    }

    public func replaceFiles(specId: String, files: [FileValues], previous: [String: String]) throws {
        for file in files where previous[file.path] != file.blobId || file.syncError != nil {
            let values: [PGValue] = [.text(specId), .text(file.path), .text(file.blobId), .int(file.size), .bool(file.isUTF8),
                                     .bytes(file.content), .text(file.syncError)]
            if let held { held.addFile(values) } else {
                try PostgresBulkRows.insert(link, PostgresBulkRows.fileInsert, [values], PostgresBulkRows.fileUpsert)
            }
        }
        let present = Set(files.map(\.path))
        let gone = previous.keys.filter { !present.contains($0) }.sorted()
        for path in gone {
            try link.execute("DELETE FROM specFiles WHERE specId = ? AND path = ?", [.text(specId), .text(path)])
        }
    }

    public func setSpecSyncError(specId: String, _ error: String?) throws {
        try link.execute("UPDATE openspecSpecs SET syncError = ? WHERE id = ? AND syncError IS DISTINCT FROM ?",
                         [.text(error), .text(specId), .text(error)])
    }

    public func upsertMainSpec(projectId: String, _ v: MainSpecValues, at now: Date) throws {
        try link.execute("""
            INSERT INTO mainSpecs (id, projectId, capability, path, status, title, purpose, requirementCount,
              blobId, size, isUTF8, content, issues, lastSyncedAt, syncError)
            VALUES (?,?,?,?,'present',?,?,?,?,?,?,?,?,?,?)
            ON CONFLICT (projectId, capability) DO UPDATE SET path = excluded.path, status = 'present',
              title = excluded.title, purpose = excluded.purpose, requirementCount = excluded.requirementCount,
              blobId = excluded.blobId, size = excluded.size, isUTF8 = excluded.isUTF8, content = excluded.content,
              issues = excluded.issues, lastSyncedAt = excluded.lastSyncedAt, syncError = excluded.syncError
            """, [.text(RowID.make()), .text(projectId), .text(v.capability), .text(v.path), .text(v.title), .text(v.purpose),
                  .int(v.requirementCount), .text(v.blobId), .int(v.size), .bool(v.isUTF8), .bytes(v.content),
                  .text(v.issuesJSON), .date(now), .text(v.syncError)])
    }

    public func markMainSpecRemoved(projectId: String, capability: String, at now: Date) throws {
        try link.execute("UPDATE mainSpecs SET status = 'removed', lastSyncedAt = ? WHERE projectId = ? AND capability = ?",
                         [.date(now), .text(projectId), .text(capability)])
    }
}
