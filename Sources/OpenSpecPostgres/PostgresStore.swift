import Foundation
import OpenSpecStore
import PostgresNIO

/// The `SyncStore` kept in a PostgreSQL database (`OPENSPEC_SYNC_DATABASE_URL`),
/// which several hosts can share. The same schema and rules as `SQLiteStore`:
/// one writer at a time (an advisory lock every write transaction takes),
/// paths and ids sorted as bytes, dates to the millisecond.
///
/// The API is synchronous, as the engine's: a caller's thread waits for the
/// reply. The store runs its connections on event loops of its own (two
/// threads), which never wait for anything.
public final class PostgresStore: SyncStore {
    public let url: DatabaseURL
    let group: MultiThreadedEventLoopGroup
    let connections: PostgresConnectionSet
    let listener: PostgresHistoryListener

    /// How long any one wait lasts (a connection, the write turn, a reply)
    /// before it fails rather than hang.
    public static let defaultTimeout: TimeInterval = 120

    /// Connects to `url` and migrates the database. `concurrentReads` (a
    /// long-lived server) keeps more readers open between calls.
    public init(url: DatabaseURL, concurrentReads: Bool = false, timeout: TimeInterval = defaultTimeout) throws {
        self.url = url
        group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        connections = PostgresConnectionSet(url: url, group: group, timeout: timeout, keptReaders: concurrentReads ? 4 : 1)
        listener = PostgresHistoryListener(url: url, group: group)
        do {
            try connections.withWriter { try PostgresSchema.migrate($0) }
        } catch {
            close()
            throw error
        }
    }

    deinit { close() }

    /// Closes the connections and stops the event loops; the store is not used after.
    public func close() {
        listener.stopAll()
        connections.closeAll()
        group.shutdownGracefully { _ in }
    }

    // MARK: Transactions

    /// Runs `body` in one transaction on the write connection, after taking
    /// the write lock (which every host's writers take), and moves the
    /// change counter before the commit. All or nothing.
    public func write<T>(_ body: (any StoreTransaction) throws -> T) throws -> T {
        try writePostgres { try body($0) }
    }

    func writePostgres<T>(bulk: Bool = false, countsAsChange: Bool = true, _ body: (PostgresTransaction) throws -> T) throws -> T {
        try connections.withWriter { link in
            try link.execute("BEGIN")
            do {
                try link.query("SELECT pg_advisory_xact_lock(\(PostgresSchema.writeLock))")
                let transaction = PostgresTransaction(link: link, bulk: bulk)
                let result = try body(transaction)
                try transaction.flush()
                if let newest = transaction.added.newest {
                    // Delivered on commit only: a rolled-back transaction announces nothing.
                    try link.execute("NOTIFY \(PostgresHistoryListener.channel), '\(newest)'")
                }
                if countsAsChange {
                    try link.execute("UPDATE changeCounter SET value = \(PostgresSchema.nextCounterValue) WHERE id = 1")
                }
                try link.execute("COMMIT")
                return result
            } catch {
                if link.isUsable { _ = try? link.execute("ROLLBACK") }
                throw error
            }
        }
    }

    /// As `write`; a first import's new changes, file rows and history rows
    /// go in many to a statement (see `PostgresBulkRows`).
    public func bulkWrite<T>(_ body: (any StoreTransaction) throws -> T) throws -> T {
        try writePostgres(bulk: true) { try body($0) }
    }

    /// Signals from a connection of their own that listens to what every
    /// host's write transactions announce (see `PostgresHistoryListener`).
    public func historySignals() -> AsyncStream<Int64>? {
        listener.signals()
    }

    /// `body` with a read connection.
    func read<T>(_ body: (PostgresLink) throws -> T) throws -> T {
        try connections.withReader(body)
    }

    // MARK: Projects

    public func registerProject(name: String, repoPath: String, openspecPath: String) throws -> ProjectRecord {
        try writePostgres { w in
            if let existing = try w.connection.query("SELECT * FROM projects WHERE repoPath = ? ORDER BY createdAt LIMIT 1",
                                                     [.text(repoPath)]).first?.project() {
                return try w.updateProject(existing, name: name, openspecPath: openspecPath)
            }
            return try w.insertProject(name: name, repoPath: repoPath, openspecPath: openspecPath, at: Date())
        }
    }

    public func projects() throws -> [ProjectRecord] {
        try read { try $0.query("SELECT * FROM projects ORDER BY name").map { try $0.project() } }
    }

    public func project(id: String) throws -> ProjectRecord? {
        try read { try $0.query("SELECT * FROM projects WHERE id = ?", [.text(id)]).first?.project() }
    }

    public func project(repoPath: String) throws -> ProjectRecord? {
        try read { try $0.query("SELECT * FROM projects WHERE repoPath = ?", [.text(repoPath)]).first?.project() }
    }

    public func project(named name: String) throws -> ProjectRecord? {
        try read { try $0.query("SELECT * FROM projects WHERE name = ?", [.text(name)]).first?.project() }
    }

    public func projectCounts(projectId: String) throws -> ProjectCounts {
        try read { link in
            var counts = ProjectCounts()
            // One statement: one state of the database.
            let rows = try link.query("""
                SELECT 'status' AS kind, status AS key, COUNT(*) AS n FROM openspecSpecs WHERE projectId = ? GROUP BY status
                UNION ALL SELECT 'errors', '', COUNT(*) FROM openspecSpecs
                  WHERE projectId = ? AND syncError IS NOT NULL AND status <> 'removed'
                UNION ALL SELECT 'main', '', COUNT(*) FROM mainSpecs WHERE projectId = ? AND status = 'present'
                """, [.text(projectId), .text(projectId), .text(projectId)])
            for row in rows {
                let n = try row.int("n")
                switch try row.string("kind") {
                case "errors": counts.withErrors = n
                case "main": counts.mainSpecs = n
                default:
                    switch SpecStatus(rawValue: try row.string("key")) {
                    case .active: counts.active = n
                    case .archived: counts.archived = n
                    case .removed: counts.removed = n
                    case nil: break
                    }
                }
            }
            return counts
        }
    }

    public func skippedPaths(projectId: String) throws -> String {
        try read { try PostgresTransaction.skippedPaths($0, projectId: projectId) }
    }

    public func changeCounter() throws -> Int64 {
        try read { try $0.query("SELECT value FROM changeCounter WHERE id = 1").first?.int64("value") ?? 0 }
    }
}
