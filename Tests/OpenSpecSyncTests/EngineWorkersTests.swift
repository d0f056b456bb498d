import Foundation
import OpenSpecSync
import Testing

/// The bridge from async code to the blocking engine, shared by the daemon and the server.
@Suite("Engine workers")
struct EngineWorkersTests {
    @Test("a write that blocks does not hold up a read")
    func readsPassBlockedWrites() async throws {
        let workers = EngineWorkers(readThreads: 2, writeThreads: 1)
        let release = DispatchSemaphore(value: 0)
        let write = Task { try await workers.write { release.wait(); return "written" } }
        // The only write thread is now stuck; a read still runs.
        #expect(try await workers.read { 42 } == 42)
        release.signal()
        #expect(try await write.value == "written")
        await workers.shutdown()
    }

    @Test("a body's error reaches the caller")
    func errorsPassThrough() async {
        let workers = EngineWorkers(readThreads: 1, writeThreads: 1)
        await #expect(throws: SyncError.self) { try await workers.write { throw SyncError.unknownSpec("x") } }
        await workers.shutdown()
    }

    @Test("shutdown finishes queued work, then refuses more")
    func shutdownDrains() async throws {
        let workers = EngineWorkers(readThreads: 1, writeThreads: 1)
        let ran = Counter()
        for _ in 0..<5 { #expect(workers.startWrite { Thread.sleep(forTimeInterval: 0.01); ran.add() }) }
        await workers.shutdown()
        #expect(ran.value == 5)
        #expect(!workers.startWrite { ran.add() })
        await #expect(throws: EngineWorkers.Stopped.self) { try await workers.read { 1 } }
        await #expect(throws: EngineWorkers.Stopped.self) { try await workers.write { 1 } }
    }
}

private final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func add() { lock.lock(); count += 1; lock.unlock() }
    var value: Int { lock.lock(); defer { lock.unlock() }; return count }
}
