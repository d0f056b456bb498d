import Foundation

/// The rows of a first import (`bulkWrite`) held back and written many to a
/// statement: new changes, their file rows and history rows. They are
/// written, in that order (files and history refer to changes), before any
/// other statement of the transaction runs and before it commits, so every
/// read in the transaction still sees them. Rows that cannot meet a row
/// already stored (new changes, their files, history) go by `COPY`; the
/// files of changes stored before go by `INSERT ... ON CONFLICT`.
final class PostgresBulkRows {
    /// Rows to a statement: at most 20 arguments each, well under PostgreSQL's 65,535.
    static let batchSize = 500

    private var specs: [[PGValue]] = []
    private var files: [[PGValue]] = []
    private var history: [[PGValue]] = []
    /// Ids of the changes this transaction added: their files are new rows too.
    private var newSpecIds: Set<String> = []
    /// History ids drawn ahead from the table's sequence: writers take turns,
    /// so they come in the order of the commits, as ids drawn one at a time do.
    private var historyIds: [Int64] = []

    static let specColumns = """
        id, projectId, path, changeId, title, status, archivedOn, proposalContent, tasksContent, designContent, \
        completedTasks, totalTasks, taskStatus, schemaName, createdOn, issues, firstSeenAt, lastSyncedAt, \
        filesystemModifiedAt, syncError
        """
    static let historyColumns = """
        id, projectId, specId, runId, syncDirection, syncedAt, success, errorMessage, filesChanged, triggeredBy, action, \
        fromCommit, toCommit, durationMs
        """

    static let fileColumns = "specId, path, blobId, size, isUTF8, content, syncError"
    static let fileInsert = "INSERT INTO specFiles (\(fileColumns)) VALUES"
    static let fileUpsert = """
        ON CONFLICT (specId, path) DO UPDATE SET blobId = excluded.blobId, size = excluded.size, \
        isUTF8 = excluded.isUTF8, content = excluded.content, syncError = excluded.syncError
        """

    var isEmpty: Bool { specs.isEmpty && files.isEmpty && history.isEmpty }

    func addSpec(id: String, _ values: [PGValue]) {
        newSpecIds.insert(id)
        specs.append(values)
    }
    func addFile(_ values: [PGValue]) { files.append(values) }

    /// Holds a history row back; returns the id it will have.
    func addHistory(_ link: PostgresLink, _ values: [PGValue]) throws -> Int64 {
        if historyIds.isEmpty {
            historyIds = try link.query("""
                SELECT nextval(pg_get_serial_sequence('synchistory', 'id')) AS id FROM generate_series(1, \(Self.batchSize))
                """).map { try $0.int64("id") }.sorted(by: >)
        }
        let id = historyIds.removeLast()
        history.append([.int(Int(id))] + values)
        return id
    }

    /// Writes every row held back.
    func flush(_ link: PostgresLink) throws {
        guard !isEmpty else { return }
        let (specRows, fileRows, historyRows) = (specs, files, history)
        (specs, files, history) = ([], [], [])
        let isNew = { (row: [PGValue]) -> Bool in
            if case let .text(id?) = row.first { return self.newSpecIds.contains(id) }
            return false
        }
        try Self.copy(link, "openspecSpecs", Self.specColumns, specRows)
        try Self.copy(link, "specFiles", Self.fileColumns, fileRows.filter(isNew))
        try Self.insert(link, Self.fileInsert, fileRows.filter { !isNew($0) }, Self.fileUpsert)
        try Self.copy(link, "syncHistory", Self.historyColumns, historyRows)
    }

    /// `COPY table (columns) FROM STDIN` of rows, when there are any.
    static func copy(_ link: PostgresLink, _ table: String, _ columns: String, _ rows: [[PGValue]]) throws {
        guard !rows.isEmpty else { return }
        let names = columns.split(separator: ",").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
        try link.copy(into: table, columns: names, data: PostgresCopyText.encode(rows))
    }

    /// `prefix (?,...),(?,...) suffix` for every `batchSize` rows.
    static func insert(_ link: PostgresLink, _ prefix: String, _ rows: [[PGValue]], _ suffix: String) throws {
        var start = 0
        while start < rows.count {
            let batch = rows[start..<min(start + batchSize, rows.count)]
            let tuple = "(" + Array(repeating: "?", count: batch.first?.count ?? 0).joined(separator: ",") + ")"
            let sql = prefix + " " + Array(repeating: tuple, count: batch.count).joined(separator: ",") + " " + suffix
            try link.execute(sql, Array(batch.joined()))
            start += batchSize
        }
    }
}
