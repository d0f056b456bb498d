import Foundation
import OpenSpecStore
import OpenSpecSync
import Testing

/// Settings are built from the environment given, and from nothing else.
@Suite("Settings")
struct SettingsTests {
    @Test("every documented variable is read from the dictionary given")
    func fromDictionary() throws {
        let settings = try Settings(environment: [
            "OPENSPEC_SYNC_DB": "/data/sync.sqlite",
            "HOME": "/home/someone",
            "OPENSPEC_SYNC_MAX_FILE_BYTES": "1024",
            "OPENSPEC_SYNC_HISTORY_DAYS": "7",
            "OPENSPEC_SYNC_TRACE": "1",
            "OPENSPEC_SYNC_TOKEN": "a-secret-of-some-length",
            "OPENSPEC_SYNC_INTERVAL": "5",
            "OPENSPEC_SYNC_BATCH": "9",
            "OPENSPEC_PROJECTS_DIR": "/src",
            "FILE_WATCHER_ENABLED": "TRUE",
            "OPENSPEC_SYNC_HOST": "build-7",
            "OPENSPEC_SYNC_OWNER_TIMEOUT": "2.5",
        ])
        #expect(settings.databasePath == "/data/sync.sqlite")
        #expect(settings.home == "/home/someone")
        #expect(settings.maxFileBytes == 1024)
        #expect(settings.historyRetention == HistoryRetention(days: 7))
        #expect(settings.trace)
        #expect(settings.apiToken == "a-secret-of-some-length")
        #expect(settings.scanInterval == "5" && settings.scanBatch == "9")
        #expect(settings.projectsDirectory == "/src")
        #expect(settings.watchFiles)
        #expect(settings.host == "build-7" && settings.ownerTimeout == 2.5)
    }

    @Test("defaults: nothing set, empty values and values out of range count as unset")
    func defaults() throws {
        let settings = try Settings(environment: [
            "HOME": "/home/someone", "OPENSPEC_SYNC_TOKEN": "", "OPENSPEC_SYNC_MAX_FILE_BYTES": "0",
            "OPENSPEC_SYNC_HISTORY_DAYS": "-3", "OPENSPEC_SYNC_TRACE": "yes", "OPENSPEC_PROJECTS_DIR": "",
        ])
        #expect(settings.databasePath == "/home/someone/.local/share/openspec-sync/openspec-sync.sqlite")
        #expect(settings.maxFileBytes == 8 << 20)
        #expect(settings.historyRetention == HistoryRetention(days: 90))
        #expect(!settings.trace && !settings.watchFiles)
        #expect(settings.apiToken == nil && settings.projectsDirectory == nil && settings.scanInterval == nil)
        #expect(settings.ownerTimeout == 10)
    }

    @Test("the host's name: OPENSPEC_SYNC_HOST, else one fixed name for a SQLite file and the machine's name for a database URL")
    func hostName() throws {
        #expect(try Settings(environment: ["HOME": "/h"]).host == "local")
        #expect(try Settings(environment: ["HOME": "/h", "OPENSPEC_SYNC_HOST": ""]).host == "local")
        let shared = try Settings(environment: ["OPENSPEC_SYNC_DATABASE_URL": "postgres://u@db/x"])
        #expect(shared.host == HostIdentity.machineName && !shared.host.isEmpty)
        #expect(try Settings(environment: ["OPENSPEC_SYNC_DATABASE_URL": "postgres://u@db/x", "OPENSPEC_SYNC_HOST": "h2"]).host == "h2")
        #expect(try Settings(environment: ["OPENSPEC_SYNC_OWNER_TIMEOUT": "-1"]).ownerTimeout == 10)
    }

    @Test("the database: --db, else OPENSPEC_SYNC_DB, else an absolute XDG_DATA_HOME, else HOME")
    func databasePrecedence() throws {
        let all = ["OPENSPEC_SYNC_DB": "/env/db.sqlite", "XDG_DATA_HOME": "/xdg", "HOME": "/home/someone"]
        #expect(try Settings(environment: all, databaseFlag: "/flag/db.sqlite").databasePath == "/flag/db.sqlite")
        #expect(try Settings(environment: all).databasePath == "/env/db.sqlite")
        #expect(try Settings(environment: ["XDG_DATA_HOME": "/xdg", "HOME": "/h"]).databasePath == "/xdg/openspec-sync/openspec-sync.sqlite")
        #expect(try Settings(environment: ["XDG_DATA_HOME": "relative", "HOME": "/h"]).databasePath
            == "/h/.local/share/openspec-sync/openspec-sync.sqlite")
        #expect(try Settings(environment: [:], databaseFlag: "rel/db.sqlite").databasePath
            == FileManager.default.currentDirectoryPath + "/rel/db.sqlite")
        #expect(try Settings(environment: all).database == .sqlite(path: "/env/db.sqlite"))
    }

    @Test("a database URL: --database-url, else OPENSPEC_SYNC_DATABASE_URL; a flag of either kind wins over both variables")
    func databaseURL() throws {
        let url = "postgres://sync:Pa55-w0rd@db.example.org/openspec"
        let env = ["OPENSPEC_SYNC_DATABASE_URL": url, "HOME": "/h"]
        let fromEnv = try Settings(environment: env)
        #expect(fromEnv.database == .postgres(try DatabaseURL(url)))
        #expect(fromEnv.databasePath == "/h/.local/share/openspec-sync/openspec-sync.sqlite", "the folder of this machine's own files")
        #expect(try Settings(environment: env, databaseFlag: "/flag/db.sqlite").database == .sqlite(path: "/flag/db.sqlite"))
        #expect(try Settings(environment: ["OPENSPEC_SYNC_DB": "/env/db.sqlite"], databaseURLFlag: url).database
                == .postgres(try DatabaseURL(url)))
        #expect(try Settings(environment: ["OPENSPEC_SYNC_DATABASE_URL": "", "HOME": "/h"], databaseURLFlag: "").database
                == .sqlite(path: "/h/.local/share/openspec-sync/openspec-sync.sqlite"), "empty counts as unset")
    }

    @Test("a file and a URL at one level, a URL given as a file, or a bad URL: an error that says what to drop, without the password")
    func databaseConflicts() {
        let url = "postgres://sync:Pa55-w0rd@db.example.org/openspec"
        let cases: [(SettingsError, () throws -> Settings)] = [
            (.bothDatabases(file: .dbFlag, url: .databaseURLFlag),
             { try Settings(environment: [:], databaseFlag: "/a.sqlite", databaseURLFlag: url) }),
            (.bothDatabases(file: .dbVariable, url: .databaseURLVariable),
             { try Settings(environment: ["OPENSPEC_SYNC_DB": "/a.sqlite", "OPENSPEC_SYNC_DATABASE_URL": url]) }),
            (.urlAsFile(.dbFlag, use: .databaseURLFlag), { try Settings(environment: [:], databaseFlag: url) }),
            (.urlAsFile(.dbVariable, use: .databaseURLVariable), { try Settings(environment: ["OPENSPEC_SYNC_DB": url]) }),
            (.badDatabaseURL(origin: .databaseURLFlag, .badPort),
             { try Settings(environment: [:], databaseURLFlag: "postgres://sync:Pa55-w0rd/openspec") }),
            (.badDatabaseURL(origin: .databaseURLVariable, .notPostgres),
             { try Settings(environment: ["OPENSPEC_SYNC_DATABASE_URL": "mysql://sync:Pa55-w0rd@h/d"]) }),
        ]
        for (expected, make) in cases {
            #expect(throws: expected) { _ = try make() }
            #expect(!expected.description.contains("Pa55-w0rd"))
        }
        #expect(SettingsError.bothDatabases(file: .dbFlag, url: .databaseURLFlag).description
                == "both --db (a SQLite file) and --database-url (a PostgreSQL database) are given: drop --database-url to use the file, or --db to use the database URL")
    }
}
