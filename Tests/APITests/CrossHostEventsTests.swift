import Foundation
import OpenSpecPostgres
@testable import OpenSpecServer
import OpenSpecStore
import OpenSpecSync
import OpenSpecSyncTestSupport
import Synchronization
import Testing

/// The event hub of a server on a PostgreSQL database, fed by what another
/// host (a second store on the same database) commits. Both polls are set
/// to ten seconds, so anything that arrives sooner came by NOTIFY.
@Suite("Events across hosts", .serialized,
       .enabled(if: PostgresTestServer.isAvailable, Comment(rawValue: PostgresTestServer.unavailableReason)))
struct CrossHostEventsTests {
    /// A server's hub on one store and another host's store, on a new database.
    private final class Hosts: Sendable {
        let url: String
        let writer: PostgresStore
        let reader: PostgresStore
        let folder: TempFolder
        let workers = EngineWorkers(readThreads: 2, writeThreads: 1)
        let hub: EventHub
        let projectId: String

        init() throws {
            url = try PostgresTestServer.newDatabaseURL()
            writer = try PostgresStore(url: DatabaseURL(url), timeout: 30)
            reader = try PostgresStore(url: DatabaseURL(url), concurrentReads: true, timeout: 30)
            folder = try TempFolder(prefix: "cross-host-events")
            let engine = SyncEngine(store: reader, lockBase: folder.file("locks"))
            hub = EventHub(engine: engine, workers: workers, poll: .seconds(10), fallback: .seconds(10), ping: .seconds(60))
            projectId = try writer.registerProject(name: "app", repoPath: "/r/app", openspecPath: "openspec").id
        }

        /// Commits `count` history rows on the other host; their ids.
        func commit(_ count: Int = 1) throws -> [Int64] {
            try writer.write { w in try (0..<count).map { _ in try w.insertHistory(row()) } }
        }

        func row() -> HistoryValues {
            HistoryValues(projectId: projectId, specId: nil, runId: "r", direction: .filesystemToDatabase, syncedAt: Date(),
                          success: true, errorMessage: nil, filesChanged: [], triggeredBy: SyncTrigger.manual.rawValue,
                          action: HistoryAction.run.rawValue, fromCommit: nil, toCommit: nil, durationMs: 1)
        }

        /// How many connections of the database are listening for events.
        func listening() throws -> String {
            try PostgresTestServer.sql(url, """
                SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'openspec-sync events'
                """)
        }

        func close() async {
            await workers.shutdown()
            reader.close()
            writer.close()
        }
    }

    /// The event ids a hub listener got, in order, and when each came.
    private final class Received: Sendable {
        private let got = Mutex<[(id: Int64, at: ContinuousClock.Instant)]>([])

        init(_ signals: AsyncStream<EventHub.Signal>) {
            Task { [weak self] in
                for await signal in signals {
                    guard case let .batch(batch) = signal else { continue }
                    self?.got.withLock { $0 += batch.events.map { ($0.id, .now) } }
                }
            }
        }

        var ids: [Int64] { got.withLock { $0.map(\.id) } }
        var lastArrival: ContinuousClock.Instant? { got.withLock { $0.last?.at } }
    }

    @Test("a commit on another host wakes the hub at once, not at its poll: every event once, in order; a rollback wakes nothing")
    func commitElsewhereWakesTheHub() async throws {
        let hosts = try Hosts()
        let listener = hosts.hub.join()
        let received = Received(listener.signals)
        // The first look sets the starting point; the second follows the listening connection's first signal.
        #expect(await eventually(timeout: 10) { hosts.hub.looks >= 2 })

        let committed = ContinuousClock.now
        let ids = try hosts.commit(3)
        #expect(await eventually(timeout: 5, every: .milliseconds(5)) { received.ids.count >= 3 })
        #expect(received.ids == ids)
        let waited = try #require(received.lastArrival) - committed
        #expect(waited < .milliseconds(500), "the events came \(waited) after the commit")

        let looks = hosts.hub.looks
        struct Abandoned: Error {}
        #expect(throws: Abandoned.self) {
            try hosts.writer.write { w in
                _ = try w.insertHistory(hosts.row())
                throw Abandoned()
            }
        }
        try await Task.sleep(for: .milliseconds(1500))
        #expect(hosts.hub.looks == looks, "a rolled-back write woke the hub")
        #expect(received.ids == ids)

        hosts.hub.leave(listener.key)
        await hosts.close()
    }

    @Test("after the listening connection is cut, what was written meanwhile still comes once, in order, and NOTIFY works again")
    func resumesAfterReconnect() async throws {
        let hosts = try Hosts()
        let listener = hosts.hub.join()
        let received = Received(listener.signals)
        #expect(await eventually(timeout: 10) { hosts.hub.looks >= 2 })
        var expected = try hosts.commit()
        #expect(await eventually(timeout: 5) { received.ids == expected })

        #expect(try PostgresTestServer.sql(hosts.url, """
            SELECT pg_terminate_backend(pid) FROM pg_stat_activity
            WHERE datname = current_database() AND application_name = 'openspec-sync events'
            """) == "t")
        for _ in 0..<3 { expected += try hosts.commit(2) }
        #expect(await eventually(timeout: 5) { received.ids.count >= expected.count }, "\(received.ids) of \(expected)")
        #expect(received.ids == expected, "every event once, in order")
        #expect(try await eventually(timeout: 5) { try hosts.listening() == "1" }, "no connection listens again")

        let committed = ContinuousClock.now
        expected += try hosts.commit()
        #expect(await eventually(timeout: 5, every: .milliseconds(5)) { received.ids.count >= expected.count })
        #expect(received.ids == expected)
        let waited = try #require(received.lastArrival) - committed
        #expect(waited < .milliseconds(500), "after the reconnect, an event came \(waited) after its commit")

        hosts.hub.leave(listener.key)
        #expect(try await eventually(timeout: 5) { try hosts.listening() == "0" }, "the hub's listening connection stays open")
        await hosts.close()
    }
}
