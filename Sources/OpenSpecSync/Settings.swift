import Foundation
import OpenSpecStore

/// What the environment and the command line decide, read once at start-up
/// (by the executable) and passed to the engine, the daemon, the server and
/// the hook installer. Nothing below reads the environment itself.
public struct Settings: Sendable, Equatable {
    /// The variables read, as docs/configuration.md lists them.
    public enum Variable: String, CaseIterable, Sendable {
        case database = "OPENSPEC_SYNC_DB"
        case databaseURL = "OPENSPEC_SYNC_DATABASE_URL"
        case dataHome = "XDG_DATA_HOME"
        case home = "HOME"
        case maxFileBytes = "OPENSPEC_SYNC_MAX_FILE_BYTES"
        case historyDays = "OPENSPEC_SYNC_HISTORY_DAYS"
        case trace = "OPENSPEC_SYNC_TRACE"
        case token = "OPENSPEC_SYNC_TOKEN"
        case scanInterval = "OPENSPEC_SYNC_INTERVAL"
        case scanBatch = "OPENSPEC_SYNC_BATCH"
        case projectsDirectory = "OPENSPEC_PROJECTS_DIR"
        case fileWatcher = "FILE_WATCHER_ENABLED"
        case host = "OPENSPEC_SYNC_HOST"
        case ownerTimeout = "OPENSPEC_SYNC_OWNER_TIMEOUT"
    }

    /// The size cap for one file when nothing says otherwise: 8 MiB.
    public static let defaultMaxFileBytes = 8 << 20

    /// Which database the commands use.
    public enum Database: Sendable, Equatable {
        /// One SQLite file, for the processes of one machine.
        case sqlite(path: String)
        /// A PostgreSQL database, which processes on many machines may share.
        case postgres(DatabaseURL)
    }

    /// The database: `--db` or `--database-url`, else `OPENSPEC_SYNC_DB` or
    /// `OPENSPEC_SYNC_DATABASE_URL` (two of one level are an error), else
    /// the file at `databasePath`.
    public var database: Database
    /// The SQLite file: `--db`, else `OPENSPEC_SYNC_DB`, else
    /// `$XDG_DATA_HOME/openspec-sync/openspec-sync.sqlite`, else
    /// `~/.local/share/openspec-sync/openspec-sync.sqlite`. With a database
    /// URL, the default file, unused: its folder keeps what is this
    /// machine's own (the project locks, the API token file).
    public var databasePath: String
    /// The size cap for one file: `OPENSPEC_SYNC_MAX_FILE_BYTES` (above 0), default 8 MiB.
    public var maxFileBytes: Int
    /// How long the daemon keeps the sync history: `OPENSPEC_SYNC_HISTORY_DAYS`
    /// (a whole number of days, at least 1), default 90; each change and each
    /// project's runs keep their newest 1,000 rows whatever their age.
    public var historyRetention: HistoryRetention
    /// `OPENSPEC_SYNC_TRACE=1`: milestones and phase times on stderr.
    public var trace: Bool
    /// The home folder (`HOME`), for a `core.hooksPath` starting with `~`; nil when unset or empty.
    public var home: String?
    /// The API token, `OPENSPEC_SYNC_TOKEN`, when set and not empty.
    public var apiToken: String?
    /// The daemon's `OPENSPEC_SYNC_INTERVAL` and `OPENSPEC_SYNC_BATCH` as given
    /// (the command checks them; its flags win), nil when unset or empty.
    public var scanInterval: String?
    public var scanBatch: String?
    /// `OPENSPEC_PROJECTS_DIR`, nil when unset or empty.
    public var projectsDirectory: String?
    /// `FILE_WATCHER_ENABLED=true` (any case).
    public var watchFiles: Bool
    /// This host's name among the hosts sharing a database:
    /// `OPENSPEC_SYNC_HOST`, else see `HostIdentity.defaultName(for:)`.
    public var host: String
    /// How long an edit of a project another host owns waits for that host to
    /// write it before the caller hears "waiting": `OPENSPEC_SYNC_OWNER_TIMEOUT`
    /// (seconds, above 0), default 10.
    public var ownerTimeout: TimeInterval

    /// The settings from `environment` and the `--db` and `--database-url` flags.
    public init(environment: [String: String], databaseFlag: String? = nil, databaseURLFlag: String? = nil) throws(SettingsError) {
        func value(_ variable: Variable) -> String? { environment[variable.rawValue].flatMap { $0.isEmpty ? nil : $0 } }
        home = value(.home)
        let dataHome = value(.dataHome).flatMap { $0.hasPrefix("/") ? $0 : nil } ?? (home ?? NSHomeDirectory()) + "/.local/share"
        let source = try DatabaseSource.choose(
            flags: (databaseFlag.flatMap { $0.isEmpty ? nil : $0 }, databaseURLFlag.flatMap { $0.isEmpty ? nil : $0 }),
            environment: (value(.database), value(.databaseURL)))
        databasePath = dataHome + "/openspec-sync/openspec-sync.sqlite"
        switch source {
        case let .file(path, _):
            databasePath = Configuration.absolute(path)
            database = .sqlite(path: databasePath)
        case let .url(text, origin):
            do {
                database = .postgres(try DatabaseURL(text))
            } catch {
                throw .badDatabaseURL(origin: origin, error)
            }
        case nil:
            database = .sqlite(path: databasePath)
        }
        maxFileBytes = value(.maxFileBytes).flatMap(Int.init).flatMap { $0 > 0 ? $0 : nil } ?? Self.defaultMaxFileBytes
        let days = value(.historyDays).flatMap(Int.init).flatMap { $0 > 0 ? $0 : nil }
        historyRetention = HistoryRetention(days: days ?? HistoryRetention.defaultDays)
        trace = value(.trace) == "1"
        apiToken = value(.token)
        scanInterval = value(.scanInterval)
        scanBatch = value(.scanBatch)
        projectsDirectory = value(.projectsDirectory)
        watchFiles = value(.fileWatcher)?.lowercased() == "true"
        host = value(.host) ?? HostIdentity.defaultName(for: database)
        ownerTimeout = value(.ownerTimeout).flatMap(Double.init).flatMap { $0 > 0 ? $0 : nil } ?? Ownership.defaultOwnerTimeout
    }
}
