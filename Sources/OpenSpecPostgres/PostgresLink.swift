import Foundation
import Logging
import OpenSpecStore
import PostgresNIO

/// One connection, used by one thread at a time (the holder of its turn in
/// `PostgresConnectionSet`). The store's API is synchronous: a caller's
/// thread waits for the reply on a semaphore, never an event loop's thread,
/// and never for longer than `timeout`; a connection that timed out or
/// failed is not used again.
final class PostgresLink: @unchecked Sendable {
    // @unchecked: `broken` is only touched by the one thread that holds the link.
    let connection: PostgresConnection
    let database: String
    let timeout: TimeInterval
    private var broken = false

    private init(connection: PostgresConnection, database: String, timeout: TimeInterval) {
        self.connection = connection
        self.database = database
        self.timeout = timeout
    }

    var isUsable: Bool { !broken && !connection.isClosed }

    /// Opens a connection to `url` on one of `group`'s event loops.
    static func open(_ url: DatabaseURL, group: any EventLoopGroup, timeout: TimeInterval) throws -> PostgresLink {
        // A transaction left idle for longer than a statement may take is a host that froze.
        let configuration = try PostgresConfiguration.make(url, idleInTransaction: timeout)
        let future = PostgresConnection.connect(on: group.next(), configuration: configuration, id: 1, logger: quietLogger)
        let database = url.redacted
        do {
            let connection = try wait(future, seconds: timeout + 1, database: database, for: .connection)
            return PostgresLink(connection: connection, database: database, timeout: timeout)
        } catch let error as PSQLError where error.code == .sslUnsupported {
            throw PostgresFailure.tlsUnavailable(database: database, sslMode: (url.sslMode ?? .prefer).rawValue,
                                                 reason: "the server does not offer TLS")
        } catch {
            throw PostgresFailure.from(error, database: database, connecting: true)
        }
    }

    /// PostgresNIO logs its own events; the store reports through what it throws.
    static let quietLogger = Logger(label: "openspec-sync.postgres", factory: { _ in SwiftLogNoOpLogHandler() })

    /// Runs one statement (`?` placeholders, see `PostgresSQL`) and returns its rows.
    @discardableResult
    func query(_ sql: String, _ values: [PGValue] = []) throws -> [PGRow] {
        try run(sql, values).rows.map { PGRow($0.makeRandomAccess()) }
    }

    /// Runs one statement and returns how many rows it wrote.
    @discardableResult
    func execute(_ sql: String, _ values: [PGValue] = []) throws -> Int {
        try run(sql, values).metadata.rows ?? 0
    }

    private func run(_ sql: String, _ values: [PGValue]) throws -> PostgresQueryResult {
        guard isUsable else { throw PostgresFailure.connectionLost(database: database, reason: "the connection is closed") }
        let query = PostgresQuery(unsafeSQL: PostgresSQL.numbered(sql), binds: PGValue.bindings(values))
        do {
            return try Self.wait(connection.query(query, logger: Self.quietLogger), seconds: timeout, database: database, for: .reply)
        } catch {
            let failure = PostgresFailure.from(error, database: database)
            // A refused statement leaves the connection as it was; anything else may not.
            if case .server = failure {} else { close() }
            throw failure
        }
    }

    /// Closes the connection, waiting a little for it to close (PostgresNIO
    /// requires a connection closed before it is released).
    func close() {
        broken = true
        let connection = connection
        let closed: EventLoopFuture<Void> = connection.close()
        closed.whenComplete { _ in _ = connection }
        _ = try? Self.wait(closed, seconds: 5, database: database, for: .reply)
    }

    /// Waits on the calling thread (never an event loop's) for `future`, at most `seconds`.
    static func wait<T: Sendable>(_ future: EventLoopFuture<T>, seconds: TimeInterval, database: String,
                                  for what: PostgresFailure.Wait) throws -> T {
        let outcome = Outcome<T>()
        future.whenComplete { outcome.set($0) }
        guard outcome.done.wait(timeout: .now() + seconds) == .success else {
            throw PostgresFailure.timedOut(database: database, waitingFor: what, seconds: Int(seconds))
        }
        return try outcome.get()
    }

    private final class Outcome<T: Sendable>: @unchecked Sendable {
        // @unchecked: `result` is written once before `done` is signalled, and read after.
        let done = DispatchSemaphore(value: 0)
        private let lock = NSLock()
        private var result: Result<T, any Error>?
        func set(_ value: Result<T, any Error>) {
            lock.withLock { result = value }
            done.signal()
        }
        func get() throws -> T { try lock.withLock { result! }.get() }
    }
}
