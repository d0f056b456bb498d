import OpenSpecStore

/// Where a setting came from, named as the user gives it.
public enum SettingOrigin: String, Sendable, Equatable {
    case dbFlag = "--db"
    case databaseURLFlag = "--database-url"
    case dbVariable = "OPENSPEC_SYNC_DB"
    case databaseURLVariable = "OPENSPEC_SYNC_DATABASE_URL"
}

/// Settings that cannot be used as given. The words name the flag or
/// variable to change and never repeat a database URL (it may hold a password).
public enum SettingsError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A database file and a database URL at the same level: two flags, or two variables.
    case bothDatabases(file: SettingOrigin, url: SettingOrigin)
    /// A database URL given where a file's path goes.
    case urlAsFile(SettingOrigin, use: SettingOrigin)
    case badDatabaseURL(origin: SettingOrigin, DatabaseURLError)

    public var description: String {
        switch self {
        case let .bothDatabases(file, url):
            return "both \(file.rawValue) (a SQLite file) and \(url.rawValue) (a PostgreSQL database) are given: "
                + "drop \(url.rawValue) to use the file, or \(file.rawValue) to use the database URL"
        case let .urlAsFile(origin, use):
            return "\(origin.rawValue) takes the path of a SQLite file; give a database URL with \(use.rawValue)"
        case let .badDatabaseURL(origin, error):
            return "\(origin.rawValue): \(error)"
        }
    }
}

/// The database as the flags and the environment name it, before parsing:
/// flags first, then the environment; a file and a URL at one level are an error.
enum DatabaseSource: Equatable {
    case file(String, SettingOrigin)
    case url(String, SettingOrigin)

    static func choose(flags: (file: String?, url: String?),
                       environment: (file: String?, url: String?)) throws(SettingsError) -> DatabaseSource? {
        if let chosen = try level(flags, .dbFlag, .databaseURLFlag) { return chosen }
        return try level(environment, .dbVariable, .databaseURLVariable)
    }

    private static func level(_ given: (file: String?, url: String?), _ fileOrigin: SettingOrigin,
                              _ urlOrigin: SettingOrigin) throws(SettingsError) -> DatabaseSource? {
        switch given {
        case (_?, _?):
            throw .bothDatabases(file: fileOrigin, url: urlOrigin)
        case let (file?, nil):
            if DatabaseURL.looksLikeURL(file) { throw .urlAsFile(fileOrigin, use: urlOrigin) }
            return .file(file, fileOrigin)
        case let (nil, url?):
            return .url(url, urlOrigin)
        case (nil, nil):
            return nil
        }
    }
}
