import Foundation
import OpenSpecPostgres
import OpenSpecStore
import OpenSpecSyncTestSupport
import Synchronization
import Testing

/// `historySignals`: what a PostgreSQL store's commits announce to every
/// store of the same database, and that SQLite announces nothing.
@Suite("PostgreSQL history signals", .enabled(if: PostgresTestServer.isAvailable, Comment(rawValue: PostgresTestServer.unavailableReason)))
struct PostgresSignalsTests {
    /// Every signal a stream gave, in order, and whether it ended.
    private final class Collected: Sendable {
        private let state = Mutex((ids: [Int64](), ended: false))

        init(_ signals: AsyncStream<Int64>) {
            Task { [weak self] in
                for await id in signals { self?.state.withLock { $0.ids.append(id) } }
                self?.state.withLock { $0.ended = true }
            }
        }

        var ids: [Int64] { state.withLock { $0.ids } }
        var ended: Bool { state.withLock { $0.ended } }
    }

    @Test("another store's commit signals its newest history id, a first import's too; closing the store ends the signals")
    func commitsSignalTheirNewestId() async throws {
        let url = try PostgresTestServer.newDatabaseURL()
        let writer = try PostgresStore(url: DatabaseURL(url), timeout: 30)
        let reader = try PostgresStore(url: DatabaseURL(url), timeout: 30)
        let project = try writer.registerProject(name: "app", repoPath: "/r/app", openspecPath: "openspec")
        let collected = Collected(try #require(reader.historySignals()))
        #expect(await eventually(timeout: 10) { collected.ids == [0] }, "once listening, the newest id (none yet): \(collected.ids)")

        let ids = try writer.write { w in try (0..<3).map { _ in try w.insertHistory(StoreConformance.history(project.id)) } }
        #expect(await eventually(timeout: 5) { collected.ids.count == 2 })
        try writer.write { w in try w.recordProjectError(projectId: project.id, error: "no history row") }
        let imported = try writer.bulkWrite { w in try w.insertHistory(StoreConformance.history(project.id)) }
        #expect(await eventually(timeout: 5) { collected.ids.count == 3 })
        #expect(collected.ids == [0, try #require(ids.last), imported], "one signal a commit with history rows, its newest id")

        reader.close()
        #expect(await eventually(timeout: 5) { collected.ended })
        writer.close()
    }

    @Test("a SQLite store offers no signals: its readers poll")
    func sqliteHasNone() throws {
        let folder = try TempFolder(prefix: "signals")
        let store = try SQLiteStore(path: folder.path + "/sync.sqlite")
        #expect(store.historySignals() == nil)
    }
}
