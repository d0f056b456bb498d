import GRDB

extension SQLiteTransaction {
    /// A change's schema-dependent columns as stored, to tell whether a new
    /// schema changed anything in a row whose files did not change.
    public func schemaDependentColumns(specId: String) throws -> SchemaDependentColumns? {
        let statement = try db.cachedStatement(
            sql: "SELECT completedTasks, totalTasks, taskStatus, schemaName, issues FROM openspecSpecs WHERE id = ?")
        guard let row = try Row.fetchOne(statement, arguments: [specId]) else { return nil }
        return SchemaDependentColumns(completedTasks: row[0], totalTasks: row[1], taskStatus: row[2],
                                      schemaName: row[3], issues: row[4])
    }
}

extension SQLiteStore {
    /// The schema name a change's row records, without reading its text columns.
    public func schemaName(specId: String) throws -> String? {
        try pool.read { db in
            try String.fetchOne(db, sql: "SELECT schemaName FROM openspecSpecs WHERE id = ?", arguments: [specId])
        }
    }
}
