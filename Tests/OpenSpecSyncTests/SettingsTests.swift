import Foundation
import OpenSpecSync
import Testing

/// Settings are built from the environment given, and from nothing else.
@Suite("Settings")
struct SettingsTests {
    @Test("every documented variable is read from the dictionary given")
    func fromDictionary() {
        let settings = Settings(environment: [
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
    }

    @Test("defaults: nothing set, empty values and values out of range count as unset")
    func defaults() {
        let settings = Settings(environment: [
            "HOME": "/home/someone", "OPENSPEC_SYNC_TOKEN": "", "OPENSPEC_SYNC_MAX_FILE_BYTES": "0",
            "OPENSPEC_SYNC_HISTORY_DAYS": "-3", "OPENSPEC_SYNC_TRACE": "yes", "OPENSPEC_PROJECTS_DIR": "",
        ])
        #expect(settings.databasePath == "/home/someone/.local/share/openspec-sync/openspec-sync.sqlite")
        #expect(settings.maxFileBytes == 8 << 20)
        #expect(settings.historyRetention == HistoryRetention(days: 90))
        #expect(!settings.trace && !settings.watchFiles)
        #expect(settings.apiToken == nil && settings.projectsDirectory == nil && settings.scanInterval == nil)
    }

    @Test("the database: --db, else OPENSPEC_SYNC_DB, else an absolute XDG_DATA_HOME, else HOME")
    func databasePrecedence() {
        let all = ["OPENSPEC_SYNC_DB": "/env/db.sqlite", "XDG_DATA_HOME": "/xdg", "HOME": "/home/someone"]
        #expect(Settings(environment: all, databaseFlag: "/flag/db.sqlite").databasePath == "/flag/db.sqlite")
        #expect(Settings(environment: all).databasePath == "/env/db.sqlite")
        #expect(Settings(environment: ["XDG_DATA_HOME": "/xdg", "HOME": "/h"]).databasePath == "/xdg/openspec-sync/openspec-sync.sqlite")
        #expect(Settings(environment: ["XDG_DATA_HOME": "relative", "HOME": "/h"]).databasePath
            == "/h/.local/share/openspec-sync/openspec-sync.sqlite")
        #expect(Settings(environment: [:], databaseFlag: "rel/db.sqlite").databasePath
            == FileManager.default.currentDirectoryPath + "/rel/db.sqlite")
    }
}
