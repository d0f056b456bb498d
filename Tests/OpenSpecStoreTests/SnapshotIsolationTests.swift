import Foundation
import Testing
@testable import OpenSpecStore

/// A server's snapshot (one read transaction on a pool's reader) sees one
/// state of the database: a write committed while it is open is not seen
/// by it, and is seen by the next.
@Suite("Snapshot reads: SQLite")
struct SnapshotIsolationTests {
    @Test("a write committed during a snapshot is seen only by later reads")
    func writeDuringSnapshot() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("openspec-sync-snapshot-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = try SQLiteStore(path: folder.path + "/sync.sqlite", concurrentReads: true)
        _ = try store.registerProject(name: "first", repoPath: "/r/first", openspecPath: "openspec")
        let before = try store.changeCounter()

        let (seen, counters) = try store.snapshot { (reads: any StoreReads) throws -> ([String], [Int64]) in
            let counter = try reads.changeCounter()
            let names = try reads.projects().map(\.name)
            // Another thread commits while this read transaction is open.
            let done = DispatchSemaphore(value: 0)
            let box = WriteResult()
            Thread {
                box.error = Result { _ = try store.registerProject(name: "second", repoPath: "/r/second", openspecPath: "openspec") }
                done.signal()
            }.start()
            done.wait()
            try box.error?.get()
            return (names + (try reads.projects().map(\.name)), [counter, try reads.changeCounter()])
        }
        #expect(seen == ["first", "first"])
        #expect(counters == [before, before])
        #expect(try store.changeCounter() > before)
        let after = try store.snapshot { (reads: any StoreReads) throws in (try reads.projects().map(\.name), try reads.changeCounter()) }
        #expect(after.0 == ["first", "second"])
        #expect(after.1 == (try store.changeCounter()))
    }
}

/// What the writing thread reports back.
private final class WriteResult: @unchecked Sendable {
    // Set by the writing thread before it signals, read after the wait: the semaphore orders the two.
    var error: Result<Void, Error>?
}
