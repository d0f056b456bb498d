import Foundation
import OpenSpecStore

/// Opens the store that `Settings.database` names: the SQLite file, or a
/// PostgreSQL database through the opener a program registered at start-up
/// (this module does not link a PostgreSQL client; the executable does).
public enum StoreOpener {
    /// Opens the PostgreSQL database at a URL; `concurrentReads` as for `SQLiteStore`.
    public typealias PostgresOpener = @Sendable (_ url: DatabaseURL, _ concurrentReads: Bool) throws -> any SyncStore

    /// Errors of choosing the store, before any is opened.
    public enum Failure: Error, Equatable, Sendable, CustomStringConvertible {
        /// A database URL was given to a program built without a PostgreSQL store.
        case postgresNotBuiltIn(DatabaseURL)

        public var description: String {
            switch self {
            case let .postgresNotBuiltIn(url):
                return "PostgreSQL support is not built into this openspec-sync, so it cannot open \(url); "
                    + "drop --database-url and OPENSPEC_SYNC_DATABASE_URL to use a SQLite file"
            }
        }
    }

    private final class Registry: @unchecked Sendable {
        let lock = NSLock()
        var postgres: PostgresOpener?
    }
    private static let registry = Registry()

    /// Makes database URLs open with `opener`; the last registration wins.
    public static func registerPostgres(_ opener: @escaping PostgresOpener) {
        registry.lock.withLock { registry.postgres = opener }
    }

    /// Whether a database URL can be opened by this program.
    public static var hasPostgres: Bool { registry.lock.withLock { registry.postgres != nil } }

    public static func open(_ database: Settings.Database, concurrentReads: Bool) throws -> any SyncStore {
        switch database {
        case let .sqlite(path):
            return try SQLiteStore(path: path, concurrentReads: concurrentReads)
        case let .postgres(url):
            guard let opener = registry.lock.withLock({ registry.postgres }) else { throw Failure.postgresNotBuiltIn(url) }
            return try opener(url, concurrentReads)
        }
    }
}
