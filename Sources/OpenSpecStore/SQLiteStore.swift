import Foundation
import GRDB
internal import CSQLiteSupport

/// Errors the store reports in words a user can act on.
public enum StoreError: Error, CustomStringConvertible, Sendable {
    case cannotOpen(path: String, reason: String)
    /// The file is not a SQLite database, or a damaged one.
    case damaged(path: String, reason: String)
    case projectNameTaken(name: String, repoPath: String)
    case notFound(String)
    /// The database path names a folder, not a file.
    case isAFolder(path: String)
    /// The database's folder is missing and cannot be made.
    case cannotCreateFolder(path: String, reason: String)
    /// The database file, or its folder, cannot be written.
    case readOnly(path: String, isFolder: Bool, reason: String)
    /// The database holds migrations this version does not know.
    case newerSchema(path: String, unknownMigrations: [String])

    public var description: String {
        switch self {
        case let .cannotOpen(path, reason):
            return "cannot open the database \(path): \(reason)"
        case let .damaged(path, reason):
            return """
                the database \(path) is damaged (\(reason)). Nothing in it is needed to rebuild it: \
                move it aside (with its -wal and -shm files), then run `openspec-sync init` and \
                `openspec-sync reconcile` for each repository; only the sync history starts over.
                """
        case let .projectNameTaken(name, repoPath):
            return "a project named \"\(name)\" is already registered for \(repoPath); choose another --name"
        case let .notFound(what):
            return "\(what) not found"
        case let .isAFolder(path):
            return "the database path \(path) is a folder; give the path of a database file with --db or OPENSPEC_SYNC_DB, such as \(path)/openspec-sync.sqlite"
        case let .cannotCreateFolder(path, reason):
            return "cannot create the folder \(path) for the database (\(reason)); create it yourself, or give another path with --db or OPENSPEC_SYNC_DB"
        case let .readOnly(path, isFolder, reason):
            let what = isFolder ? "the database folder" : "the database"
            return """
                \(what) \(path) is read-only (\(reason)). openspec-sync writes its database and \
                the log files beside it at every start, even to read: make it writable, or copy \
                the database to a writable folder and give that path with --db or OPENSPEC_SYNC_DB
                """
        case let .newerSchema(path, unknown):
            return """
                the database \(path) was written by a newer openspec-sync (it has schema changes this \
                version does not know: \(unknown.joined(separator: ", "))); use that newer version, or give \
                this one another database with --db (it is rebuilt by `init` and `reconcile`)
                """
        }
    }
}

/// The SQLite database: one file, WAL mode, shared by the CLI, hooks and the
/// daemon on one machine. The default `SyncStore`; its SQL lives in this
/// type and `SQLiteTransaction`.
public final class SQLiteStore: SyncStore {
    public let path: String
    /// One connection (a queue) for a command-line process, where opening a
    /// second connection costs more than it saves; a pool of readers for a
    /// long-lived server. Both run in WAL mode, so other processes read while
    /// one writes.
    let pool: any DatabaseWriter

    static let busyTimeoutMilliseconds: Int32 = 60_000
    /// How much of the file SQLite reads through a memory map.
    static let mmapBytes = 268_435_456

    /// Opens (creating if needed) the database at `path` and migrates it.
    public init(path: String, concurrentReads: Bool = false) throws {
        self.path = path
        try StoreLocation.prepare(path)
        var config = Configuration()
        // WAL is set below, once per file (SQLite keeps it in the file): GRDB's
        // own set-up for a queue also checks the log's size through Foundation
        // and writes a table to create it, at every start of every command.
        // A pool (the server) always sets WAL up itself.
        // Hooks, the daemon and the CLI write concurrently: wait for the lock
        // rather than surface "database is locked".
        config.busyMode = .timeout(Double(Self.busyTimeoutMilliseconds) / 1000)
        config.prepareDatabase { db in
            if !db.configuration.readonly, try String.fetchOne(db, sql: "PRAGMA journal_mode") != "wal" {
                guard try Self.switchToWAL(db) == "wal" else {
                    throw StoreError.cannotOpen(path: path, reason: "SQLite could not switch the database to WAL mode")
                }
            }
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            // A command-line process is often the last connection to close,
            // and SQLite would then checkpoint and delete the log: two fsyncs
            // at every exit, and the next process creates it all again. So a
            // connection keeps the log at close (below), and a big run calls
            // `checkpointAndTruncateLog()` itself. But the first connection of
            // a process cannot trust the shared index another process left,
            // and rebuilds it by reading every frame in the log: 4 ms for the
            // 1,000 pages SQLite lets the log grow to by default. Checkpointing
            // at 256 pages (a megabyte) bounds that to about a millisecond, for
            // two fsyncs (2-50 ms on a busy disk) every five or six runs after
            // a commit (about 45 pages each); at 128 every third run paid them.
            try db.execute(sql: "PRAGMA wal_autocheckpoint = 256")
            // Pages are read through a memory map: a run after a commit read
            // 400 pages with a pread each. (Writes still go through write().)
            try db.execute(sql: "PRAGMA mmap_size = \(Self.mmapBytes)")
            _ = openspec_sqlite_skip_checkpoint_on_close(UnsafeMutableRawPointer(db.sqliteConnection))
            // A long-lived server's readers keep what they read (32 MiB each
            // at most) instead of reading it again from the file every call.
            if concurrentReads { try db.execute(sql: "PRAGMA cache_size = -32768") }
        }
        do {
            pool = concurrentReads
                ? try DatabasePool(path: path, configuration: config)
                : try DatabaseQueue(path: path, configuration: config)
            let migrator = Schema.migrator
            // A newer version's migrations may have changed what this one
            // would read or write: refuse rather than guess.
            let unknown = try pool.read { db in
                try migrator.hasBeenSuperseded(db) ? try migrator.appliedIdentifiers(db).subtracting(migrator.migrations) : []
            }
            if !unknown.isEmpty { throw StoreError.newerSchema(path: path, unknownMigrations: unknown.sorted()) }
            try migrator.migrate(pool)
        } catch let error as StoreError {
            throw error
        } catch let error as DatabaseError where [.SQLITE_NOTADB, .SQLITE_CORRUPT].contains(error.resultCode.primaryResultCode) {
            throw StoreError.damaged(path: path, reason: error.message ?? "\(error.resultCode)")
        } catch {
            throw StoreError.cannotOpen(path: path, reason: "\(error)")
        }
    }

    /// Runs `body` inside one IMMEDIATE write transaction: all or nothing.
    public func write<T>(_ body: (any StoreTransaction) throws -> T) throws -> T {
        try writeSQLite { try body($0) }
    }

    /// `write`, for this type's own SQL.
    func writeSQLite<T>(_ body: (SQLiteTransaction) throws -> T) throws -> T {
        try pool.writeWithoutTransaction { db in try Self.transaction(db, body) }
    }

    /// `body` inside one IMMEDIATE transaction on `db`.
    private static func transaction<T>(_ db: Database, _ body: (SQLiteTransaction) throws -> T) throws -> T {
        var result: T?
        try db.inTransaction(.immediate) {
            result = try body(SQLiteTransaction(db: db))
            try db.execute(sql: "UPDATE changeCounter SET value = \(Schema.nextCounterValue) WHERE id = 1")
            return .commit
        }
        return result!
    }

    /// Like `write`, for a transaction that writes most of its pages anew (a
    /// project's first import). Through the write-ahead log every page is
    /// written twice, to the log and then to the database, and synced twice;
    /// with a rollback journal, new pages go to the database once. So when
    /// no other connection has the database open, this one leaves WAL mode
    /// for the transaction and returns to it after. Otherwise (a server or
    /// daemon is running) the transaction goes through the log as usual.
    /// Another process that opens the database meanwhile waits for the lock,
    /// then finds WAL mode again (see `init`). A server's store, whose
    /// readers run beside its writer, always writes through the log.
    public func bulkWrite<T>(_ body: (any StoreTransaction) throws -> T) throws -> T {
        // A pool (the server) has readers that expect the log; it writes as usual.
        guard pool is DatabaseQueue else { return try write(body) }
        return try pool.writeWithoutTransaction { db in
            let connection = UnsafeMutableRawPointer(db.sqliteConnection)
            // Leaving WAL needs every other connection gone: ask once, never wait.
            _ = openspec_sqlite_busy_timeout(connection, 0)
            let journal = (try? String.fetchOne(db, sql: "PRAGMA journal_mode = DELETE")) ?? nil
            _ = openspec_sqlite_busy_timeout(connection, Self.busyTimeoutMilliseconds)
            let leftLog = journal == "delete"
            if leftLog { try db.execute(sql: "PRAGMA synchronous = FULL") }
            defer {
                if leftLog {
                    try? db.execute(sql: "PRAGMA synchronous = NORMAL")
                    // Should this fail, the next process to open the database switches it.
                    _ = try? Self.switchToWAL(db)
                }
            }
            // The commit's fsync waits for every page of the import to reach
            // the disk: have the kernel start on them while the body works.
            let writeback = leftLog ? Writeback(path: path) : nil
            defer { writeback?.stop() }
            return try Self.transaction(db) { try body($0) }
        }
    }

    /// `PRAGMA journal_mode = WAL`, tried again while another connection
    /// holds the database in a rollback-journal transaction (a first import,
    /// `bulkWrite`). SQLite answers that case with SQLITE_BUSY at once
    /// instead of waiting, since both sides could end up waiting for each
    /// other; each try ends this connection's read lock, so the import can
    /// finish. Gives up after the busy timeout.
    static func switchToWAL(_ db: Database) throws -> String? {
        let deadline = Date().addingTimeInterval(Double(busyTimeoutMilliseconds) / 1000)
        while true {
            do {
                return try String.fetchOne(db, sql: "PRAGMA journal_mode = WAL")
            } catch let error as DatabaseError where error.resultCode.primaryResultCode == .SQLITE_BUSY && Date() < deadline {
                usleep(5_000)
            }
        }
    }

    /// Copies the write-ahead log into the database and empties it. Closing a
    /// connection does not (see `init`), so a run that wrote a lot (a full
    /// import: tens of megabytes of log) calls this rather than leave the
    /// copying to whichever command opens the database next.
    public func checkpointAndTruncateLog() throws {
        try pool.writeWithoutTransaction { db in _ = try db.checkpoint(.truncate) }
    }

    /// `PRAGMA integrity_check`, for tests and `status --check`.
    public func integrityCheck() throws -> String {
        try pool.read { db in try String.fetchOne(db, sql: "PRAGMA integrity_check") ?? "" }
    }

    // MARK: Projects

    /// Registers a repository, or returns it unchanged when already registered.
    public func registerProject(name: String, repoPath: String, openspecPath: String) throws -> ProjectRecord {
        try writeSQLite { w in
            if let existing = try ProjectRecord.filter(sql: "repoPath = ?", arguments: [repoPath]).fetchOne(w.db) {
                return try w.updateProject(existing, name: name, openspecPath: openspecPath)
            }
            return try w.insertProject(name: name, repoPath: repoPath, openspecPath: openspecPath, at: Date())
        }
    }

    public func projects() throws -> [ProjectRecord] {
        try pool.read { db in try Self.projects(db) }
    }

    public func project(id: String) throws -> ProjectRecord? {
        try pool.read { db in try Self.project(db, id: id) }
    }

    public func project(repoPath: String) throws -> ProjectRecord? {
        try pool.read { db in try ProjectRecord.fetchOne(db, sql: "SELECT * FROM projects WHERE repoPath = ?", arguments: [repoPath]) }
    }

    public func project(named name: String) throws -> ProjectRecord? {
        try pool.read { db in try Self.project(db, named: name) }
    }

    public func projectCounts(projectId: String) throws -> ProjectCounts {
        try pool.read { db in try Self.projectCounts(db, projectId: projectId) }
    }

    // MARK: Specs

    /// Summaries of a project's specs, optionally limited to some statuses.
    public func specSummaries(projectId: String?, statuses: Set<SpecStatus>?) throws -> [SpecSummary] {
        try pool.read { db in
            var clauses: [String] = []
            var arguments: StatementArguments = []
            if let projectId { clauses.append("projectId = ?"); arguments += [projectId] }
            if let statuses {
                clauses.append("status IN (" + statuses.map { "'\($0.rawValue)'" }.sorted().joined(separator: ",") + ")")
            }
            let whereClause = clauses.isEmpty ? "" : "WHERE " + clauses.joined(separator: " AND ")
            return try SpecSummary.fetchAll(db, sql: "SELECT \(SpecSummary.columns) FROM openspecSpecs \(whereClause) ORDER BY path", arguments: arguments)
        }
    }

    /// Up to `limit` present specs of a project not verified since `before`,
    /// oldest first: what the scan loop re-checks each round.
    public func staleSpecs(projectId: String, before: Date, limit: Int) throws -> [SpecSummary] {
        try pool.read { db in
            try SpecSummary.fetchAll(db, sql: """
                SELECT \(SpecSummary.columns) FROM openspecSpecs
                WHERE projectId = ? AND status <> 'removed' AND (lastSyncedAt IS NULL OR lastSyncedAt < ?)
                ORDER BY lastSyncedAt IS NOT NULL, lastSyncedAt LIMIT ?
                """, arguments: [projectId, DateText.string(before), limit])
        }
    }

    public func spec(id: String) throws -> SpecRecord? {
        try pool.read { db in try Self.spec(db, id: id) }
    }

    /// Specs whose change id, folder path or row id equals `key`.
    public func specsMatching(_ key: String, projectId: String?) throws -> [SpecSummary] {
        try pool.read { db in try Self.specsMatching(db, key: key, projectId: projectId) }
    }

    /// `proposal.md`, `tasks.md` and `design.md`, when valid UTF-8, keep their
    /// bytes only in the spec row's text columns (`content` is NULL in
    /// specFiles): the one place that knows it is here.
    static func textColumn(forFile path: String) -> String? {
        switch path {
        case "proposal.md": return "proposalContent"
        case "tasks.md": return "tasksContent"
        case "design.md": return "designContent"
        default: return nil
        }
    }

    public func specFiles(specId: String, withContent: Bool) throws -> [SpecFileRecord] {
        try pool.read { db in try Self.specFiles(db, specId: specId, withContent: withContent) }
    }

    /// One file of a change as last synced, content included (one row read, not the whole change).
    public func specFile(specId: String, path: String) throws -> SpecFileRecord? {
        try pool.read { db in
            guard var file = try SpecFileRecord.fetchOne(db, sql: """
                SELECT specId, path, blobId, size, isUTF8, content, syncError
                FROM specFiles WHERE specId = ? AND path = ?
                """, arguments: [specId, path]) else { return nil }
            if file.content == nil { file.content = try Self.textContent(db, specId: specId, path: path) }
            return file
        }
    }

    /// The bytes of one file of a spec as last synced, wherever they are kept.
    public func fileContent(specId: String, path: String) throws -> Data? {
        try pool.read { db in try Self.fileContent(db, specId: specId, path: path) }
    }

    public func mainSpecs(projectId: String) throws -> [MainSpecRecord] {
        try pool.read { db in
            try MainSpecRecord.fetchAll(db, sql: """
                SELECT id, projectId, capability, path, status, title, purpose, requirementCount, blobId,
                       size, isUTF8, NULL AS content, issues, lastSyncedAt, syncError
                FROM mainSpecs WHERE projectId = ? ORDER BY capability
                """, arguments: [projectId])
        }
    }

    /// The JSON of what the reconciler skips on purpose in a project (see `SQLiteTransaction.skippedPaths`).
    public func skippedPaths(projectId: String) throws -> String {
        try pool.read { db in try Self.skippedPaths(db, projectId: projectId) }
    }

    // MARK: History

    public func history(projectId: String?, specId: String?, limit: Int, before: Int64?,
                        includeStarted: Bool) throws -> [HistoryRecord] {
        try pool.read { db in
            try Self.history(db, projectId: projectId, specId: specId, limit: limit, before: before, includeStarted: includeStarted)
        }
    }

    public func lastRun(projectId: String) throws -> HistoryRecord? {
        try pool.read { db in try Self.lastRun(db, projectId: projectId) }
    }

    /// History rows after `id`, oldest first, `started` marks included: the
    /// event log. A single writer assigns ids in commit order, so once row N
    /// is visible every row below N is too, and "after the last id seen"
    /// neither skips nor repeats a row.
    public func history(after id: Int64, projectId: String?, limit: Int) throws -> [HistoryRecord] {
        try pool.read { db in
            if let projectId {
                return try HistoryRecord.fetchAll(db, sql: """
                    SELECT * FROM syncHistory WHERE projectId = ? AND id > ? ORDER BY id LIMIT ?
                    """, arguments: [projectId, id, limit])
            }
            return try HistoryRecord.fetchAll(db, sql: "SELECT * FROM syncHistory WHERE id > ? ORDER BY id LIMIT ?",
                                              arguments: [id, limit])
        }
    }

    /// The newest history row id (0 when there is none): where a new event subscriber starts.
    public func lastHistoryId() throws -> Int64 {
        try pool.read { db in try Int64.fetchOne(db, sql: "SELECT MAX(id) FROM syncHistory") ?? 0 }
    }
}

/// While a big transaction runs, asks the kernel every few milliseconds to
/// start writing the database file's dirty pages (SQLite writes them out as
/// its cache fills), so the disk works beside the CPU and the commit's fsync
/// finds little left. Only a hint: nothing depends on it for durability.
final class Writeback: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)
    let fd: Int32
    /// How many times the kernel was asked; read after `stop()`.
    private(set) var requests = 0

    static let interval = DispatchTimeInterval.milliseconds(20)

    init?(path: String) {
        fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        let thread = Thread { [self] in
            while done.wait(timeout: .now() + Self.interval) == .timedOut {
                if openspec_start_writeback(fd) == 0 { requests += 1 }
            }
            close(fd)
            finished.signal()
        }
        thread.start()
    }

    /// Ends the requests; returns once the thread has closed its descriptor.
    func stop() {
        done.signal()
        finished.wait()
    }
}
