import Foundation
import OpenSpecStore
import OpenSpecSync
import OpenSpecSyncTestSupport
import Testing

/// Which store an engine gets from its settings.
@Suite("Store opener")
struct StoreOpenerTests {
    private final class Calls: @unchecked Sendable {
        let lock = NSLock()
        var urls: [(DatabaseURL, Bool)] = []
    }

    @Test("a file opens the SQLite store; a URL goes to the registered opener, or stops with the URL shown without its password")
    func routes() throws {
        let folder = try TempFolder(prefix: "opener")
        let file = try Settings(environment: ["HOME": folder.path], databaseFlag: folder.file("sync.sqlite"))
        let engine = try SyncEngine(settings: file)
        #expect(engine.store.sqlite != nil && engine.lockBase == folder.file("sync.sqlite"))

        let url = try DatabaseURL("postgres://sync:Pa55-w0rd@127.0.0.1:1/openspec")
        let postgres = try Settings(environment: ["HOME": folder.path], databaseURLFlag: url.string(revealingPassword: true))
        #expect(postgres.database == .postgres(url))
        // Registration is for the whole process, so this test is the only one that registers.
        if !StoreOpener.hasPostgres {
            #expect(throws: StoreOpener.Failure.postgresNotBuiltIn(url)) { _ = try SyncEngine(settings: postgres) }
            let words = StoreOpener.Failure.postgresNotBuiltIn(url).description
            #expect(words.contains("postgres://sync:***@127.0.0.1:1/openspec") && !words.contains("Pa55-w0rd"))
        }
        // A stand-in opener that records what it was asked and opens a real store.
        let calls = Calls()
        let standIn = folder.file("stand-in.sqlite")
        StoreOpener.registerPostgres { url, concurrentReads in
            calls.lock.withLock { calls.urls.append((url, concurrentReads)) }
            return try SQLiteStore(path: standIn)
        }
        let served = try SyncEngine(settings: postgres, concurrentReads: true)
        #expect(calls.lock.withLock { calls.urls.map(\.0) == [url] && calls.urls.map(\.1) == [true] })
        #expect(served.lockBase == folder.path + "/.local/share/openspec-sync/openspec-sync.sqlite",
                "the project locks stay on this machine, in the default data folder")
        _ = try served.store.registerProject(name: "p", repoPath: "/r/p", openspecPath: "openspec")
        #expect(try SQLiteStore(path: standIn).projects().map(\.name) == ["p"])
    }
}
