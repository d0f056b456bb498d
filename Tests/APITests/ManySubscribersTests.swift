import Foundation
import Glibc
import NIOCore
@testable import OpenSpecServer
import OpenSpecSync
import OpenSpecSyncTestSupport
import Testing

/// A plain socket on `sync.subscribe`: hundreds of them cost no process each.
final class RawEventStream {
    private let fd: Int32
    private var received: [UInt8] = []

    init(port: Int, query: String = "") throws {
        fd = try RawConnection.connectLoopback(port: port)
        let request = Array("GET /trpc/sync.subscribe\(query) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\n\r\n".utf8)
        _ = request.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
    }

    deinit { Glibc.close(fd) }

    /// Reads whatever has arrived, without waiting.
    func drain() {
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { return }
            received += buffer[0..<n]
        }
    }

    var text: String { String(decoding: received, as: UTF8.self) }
    var connected: Bool { text.contains("event: connected") }
    /// The ids of the tracked events so far, in arrival order.
    var ids: [Int] {
        text.split(separator: "\n").compactMap { $0.hasPrefix("id: ") ? Int($0.dropFirst(4)) : nil }
    }
}

@Suite("Many event-stream subscribers", .serialized)
struct ManySubscribersTests {
    @Test("one look at the history serves every listener: the same batch, once, for each")
    func oneLookServesEveryListener() async throws {
        let server = try LiveServer()
        let repo = try makeProject(server)
        let engine = try SyncEngine(databasePath: server.dbPath, concurrentReads: true)
        let workers = EngineWorkers(readThreads: 2, writeThreads: 1)
        let hub = EventHub(engine: engine, workers: workers, poll: .milliseconds(20), ping: .seconds(60))
        let before = Int64(try server.sql("SELECT MAX(id) FROM syncHistory")) ?? 0
        let joined = ContinuousClock.now
        let listeners = (0..<200).map { _ in hub.join() }
        try await Task.sleep(for: .milliseconds(300))  // the hub's first look: its starting point

        try repo.write("openspec/changes/add-login/tasks.md", "## 1. Work\n- [x] 1.1 Form\n- [x] 1.2 Session\n")
        _ = try repo.commitAll("finish login")
        let synced = try server.cli(["reconcile", "--repo", repo.path])
        #expect(synced.status == 0, "\(synced.stderr)")
        let expected = try server.sql("SELECT id FROM syncHistory WHERE id > \(before) ORDER BY id")
            .split(separator: "\n").compactMap { Int64($0) }
        #expect(expected.count >= 3, "a run's start, its change and its summary: \(expected)")

        var seen: Set<String> = []
        for listener in listeners {
            let batches = try await Self.batches(listener.signals, covering: expected.count, within: .seconds(5))
            #expect(batches.flatMap { $0.events.map(\.id) } == expected, "every event once, in order")
            seen.insert(batches.map { "\($0.after)-\($0.through)" }.joined(separator: ","))
            let frame = String(buffer: try #require(batches.first?.events.first).frame)
            #expect(frame.hasPrefix("data: {") && frame.hasSuffix("id: \(expected[0])\n\n"), "\(frame)")
        }
        #expect(seen.count == 1, "every listener got the same batches, read once: \(seen)")
        // One look per 20 ms at most, not one per listener.
        let elapsed = ContinuousClock.now - joined
        #expect(hub.looks <= Int(elapsed / .milliseconds(20)) + 2, "\(hub.looks) looks in \(elapsed)")
        #expect(seen.first?.hasPrefix("\(before)-") == true, "\(seen)")

        for listener in listeners { hub.leave(listener.key) }
        #expect(hub.listeners == 0)
        await workers.shutdown()
    }

    @Test("three hundred streams of one client each get a write's events once, in order; one that resumes behind them catches up")
    func manyStreamsGetEveryEvent() async throws {
        let server = try LiveServer()
        let repo = try makeProject(server)  // kept: its folder is deleted with it
        try server.start(["serve", "--max-connections-per-client", "400"])
        let before = Int(try server.sql("SELECT MAX(id) FROM syncHistory")) ?? 0
        let streams = try (0..<300).map { _ in try RawEventStream(port: server.port) }
        #expect(await eventually(timeout: 10) {
            streams.forEach { $0.drain() }
            return streams.allSatisfy(\.connected)
        }, "\(streams.filter { !$0.connected }.count) streams without their connected event")

        let first = try server.mutate("specs.toggleTask", json(["specId": "add-login", "task": "1.2", "done": true]))
        #expect(first.status == 200 && first.body.contains("\"written\""), "\(first)")
        let behind = try RawEventStream(port: server.port, query: "?lastEventId=\(before)")
        let second = try server.mutate("specs.toggleTask", json(["specId": "add-search", "task": "1.1", "done": true]))
        #expect(second.status == 200 && second.body.contains("\"written\""), "\(second)")
        let expected = try server.sql("SELECT id FROM syncHistory WHERE id > \(before) ORDER BY id")
            .split(separator: "\n").compactMap { Int($0) }
        #expect(expected.count >= 4, "two writes, each a start and an end: \(expected)")

        let everyone = streams + [behind]
        #expect(await eventually(timeout: 5) {
            everyone.forEach { $0.drain() }
            return everyone.allSatisfy { $0.ids.count >= expected.count }
        }, "\(everyone.filter { $0.ids.count < expected.count }.count) streams short of \(expected.count) events")
        for stream in everyone where stream.ids != expected {
            Issue.record("a stream got \(stream.ids), not \(expected)")
            break
        }
        withExtendedLifetime(repo) {}
    }

    /// The batches a listener gets until they hold `count` events, or an error after `limit`.
    static func batches(_ signals: AsyncStream<EventHub.Signal>, covering count: Int, within limit: Duration)
        async throws -> [EventHub.Batch] {
        try await withThrowingTaskGroup(of: [EventHub.Batch].self) { group in
            group.addTask {
                var found: [EventHub.Batch] = []
                for await signal in signals {
                    if case let .batch(batch) = signal { found.append(batch) }
                    if found.reduce(0, { $0 + $1.events.count }) >= count { break }
                }
                return found
            }
            group.addTask {
                try await Task.sleep(for: limit)
                throw CancellationError()
            }
            let found = try await group.next() ?? []
            group.cancelAll()
            return found
        }
    }
}
