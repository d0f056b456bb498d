import Foundation
import OpenSpecPostgres
import OpenSpecStore
import OpenSpecSyncTestSupport
import Testing

/// What the PostgreSQL store must do beyond the shared contract: take turns
/// with other processes' writers, migrate once when several start together,
/// never make a read wait for a write, and never show the password.
@Suite("PostgreSQL store", .enabled(if: PostgresTestServer.isAvailable, Comment(rawValue: PostgresTestServer.unavailableReason)))
struct PostgresStoreTests {
    private func open(_ url: String) throws -> PostgresStore {
        try PostgresStore(url: DatabaseURL(url), timeout: 30)
    }

    /// Runs `body` on another thread; nil when it has not returned within `seconds`.
    private func onAnotherThread<T: Sendable>(within seconds: Double, _ body: @escaping @Sendable () throws -> T) -> Result<T, any Error>? {
        let box = ResultBox<T>()
        let done = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            box.result = Result { try body() }
            done.signal()
        }
        return done.wait(timeout: .now() + seconds) == .success ? box.result : nil
    }

    @Test("reads from the writing thread and from another one go on while a write transaction is open, and see only what is committed")
    func readsDuringWrite() throws {
        let store = try open(PostgresTestServer.newDatabaseURL())
        let project = try store.registerProject(name: "app", repoPath: "/r/app", openspecPath: "openspec")
        try store.write { w in
            _ = try w.insertSpec(projectId: project.id, StoreConformance.values("changes/a"), at: Date())
            #expect(try store.specSummaries(projectId: project.id).isEmpty)
            let other = onAnotherThread(within: 10) { try store.specCount(projectId: project.id, statuses: nil) }
            #expect(try #require(other, "a read on another thread waited for the write").get() == 0)
        }
        #expect(try store.specSummaries(projectId: project.id).map(\.path) == ["changes/a"])
    }

    @Test("two stores on one database (two hosts) write one after the other")
    func writersTakeTurns() throws {
        let url = try PostgresTestServer.newDatabaseURL()
        let (first, second) = (try open(url), try open(url))
        let project = try first.registerProject(name: "app", repoPath: "/r/app", openspecPath: "openspec")
        let before = try first.changeCounter()
        let waited = try first.write { _ in
            // The other host's write cannot start while this transaction holds the write lock.
            onAnotherThread(within: 1.5) { try second.write { w in try w.recordProjectError(projectId: project.id, error: "second") } }
        }
        #expect(waited == nil, "the second writer did not wait for the first")
        // Once the first commits, the second goes through.
        #expect(try eventually(timeout: 10) { try second.project(id: project.id)?.lastError == "second" })
        #expect(try second.changeCounter() > before)
    }

    @Test("a host frozen in the middle of a write transaction loses its session, and the others' writes go on")
    func frozenWriterLetsGo() throws {
        let url = try PostgresTestServer.newDatabaseURL()
        let frozen = try PostgresStore(url: DatabaseURL(url), timeout: 2)
        let other = try open(url)
        let project = try other.registerProject(name: "app", repoPath: "/r/app", openspecPath: "openspec")
        let started = Date()
        // The other host's write waits for the write lock, then gets it once the server ends the frozen session.
        let waiting = LaterWork { try other.write { w in try w.recordProjectError(projectId: project.id, error: "other") } }
        #expect(throws: (any Error).self, "the frozen transaction committed after its session was ended") {
            try frozen.write { w in
                try w.recordProjectError(projectId: project.id, error: "frozen")
                waiting.start()
                Thread.sleep(forTimeInterval: 5)  // frozen: no statement for longer than the timeout
            }
        }
        let result = try #require(waiting.result(within: 10), "the other host's write never went through")
        try result.get()
        #expect(waiting.finishedAt.timeIntervalSince(started) < 4.5, "the other host waited for the frozen one to wake")
        #expect(try other.project(id: project.id)?.lastError == "other")
        // The frozen host's store goes on working on a new connection.
        try frozen.write { w in try w.recordProjectError(projectId: project.id, error: "awake") }
        #expect(try other.project(id: project.id)?.lastError == "awake")
    }

    @Test("stores opened together on a new database migrate it once, and all open")
    func migrateTogether() throws {
        let url = try PostgresTestServer.newDatabaseURL()
        let results = (0..<4).map { _ in onAnotherThread(within: 60) { try PostgresStore(url: DatabaseURL(url), timeout: 30) } }
        for result in results { _ = try #require(result).get() }
        let store = try open(url)
        #expect(try store.projects().isEmpty && store.changeCounter() >= 0)
    }

    @Test("a server that cannot be reached is named with the password hidden")
    func unreachable() throws {
        let url = try DatabaseURL("postgres://sync:Pa55-w0rd@/openspec?host=/nonexistent-folder")
        let error = try #require(throws: PostgresFailure.self) { _ = try PostgresStore(url: url, timeout: 5) }
        #expect("\(error)".contains("cannot connect to the PostgreSQL database postgres://sync:***@/openspec"), "\(error)")
        #expect(!"\(error)".contains("Pa55-w0rd"))
    }
}

/// One thread's result, written before the semaphore it waits on is signalled.
private final class ResultBox<T>: @unchecked Sendable {
    var result: Result<T, any Error>?
}

/// Work started on another thread when asked, and waited for afterwards.
private final class LaterWork<T: Sendable>: @unchecked Sendable {
    private let body: @Sendable () throws -> T
    private let done = DispatchSemaphore(value: 0)
    private var outcome: Result<T, any Error>?
    private(set) var finishedAt = Date.distantFuture

    init(_ body: @escaping @Sendable () throws -> T) { self.body = body }

    func start() {
        Thread.detachNewThread { [self] in
            outcome = Result { try body() }
            finishedAt = Date()
            done.signal()
        }
    }

    /// Its result, nil when it has not returned within `seconds`.
    func result(within seconds: Double) -> Result<T, any Error>? {
        done.wait(timeout: .now() + seconds) == .success ? outcome : nil
    }
}
