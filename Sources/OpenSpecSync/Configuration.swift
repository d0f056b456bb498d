import Foundation

/// Where things live, decided in one place: flags first, then environment,
/// then defaults.
public enum Configuration {
    /// The database file: `--db`, else `OPENSPEC_SYNC_DB`, else
    /// `$XDG_DATA_HOME/openspec-sync/openspec-sync.sqlite`, else
    /// `~/.local/share/openspec-sync/openspec-sync.sqlite`.
    public static func databasePath(flag: String?, environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let flag, !flag.isEmpty { return absolute(flag) }
        if let env = environment["OPENSPEC_SYNC_DB"], !env.isEmpty { return absolute(env) }
        let dataHome: String
        if let xdg = environment["XDG_DATA_HOME"], xdg.hasPrefix("/") {
            dataHome = xdg
        } else {
            let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
            dataHome = home + "/.local/share"
        }
        return dataHome + "/openspec-sync/openspec-sync.sqlite"
    }

    /// The size cap for one file: `OPENSPEC_SYNC_MAX_FILE_BYTES`, default 8 MiB.
    public static func maxFileBytes(environment: [String: String] = ProcessInfo.processInfo.environment) -> Int {
        environment["OPENSPEC_SYNC_MAX_FILE_BYTES"].flatMap(Int.init).flatMap { $0 > 0 ? $0 : nil } ?? 8 << 20
    }

    /// How long the daemon keeps the sync history: `OPENSPEC_SYNC_HISTORY_DAYS`
    /// (a whole number of days, at least 1), default 90; each change and each
    /// project's runs keep their newest 1,000 rows whatever their age.
    public static func historyRetention(environment: [String: String] = ProcessInfo.processInfo.environment) -> HistoryRetention {
        let days = environment["OPENSPEC_SYNC_HISTORY_DAYS"].flatMap(Int.init).flatMap { $0 > 0 ? $0 : nil }
        return HistoryRetention(days: days ?? HistoryRetention.defaultDays)
    }

    /// `path` made absolute against the current directory, without `.`/`..`.
    public static func absolute(_ path: String) -> String {
        let full = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        return URL(fileURLWithPath: full).standardizedFileURL.path
    }
}
