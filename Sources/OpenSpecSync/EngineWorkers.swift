import Foundation

/// Threads for the engine's blocking calls (SQLite, libgit2, fsync), so that
/// async code (the daemon's loop, the server's event loops) never blocks on
/// them. Reads and writes have separate threads: a write waits for the
/// project lock and fsyncs, and must never hold up a reader.
public final class EngineWorkers: Sendable {
    /// A call made after `shutdown`, or on a side with no threads.
    public struct Stopped: Error, CustomStringConvertible {
        public var description: String { "the engine's worker threads have stopped" }
    }

    private let reads: WorkerLane
    private let writes: WorkerLane

    public init(readThreads: Int, writeThreads: Int) {
        reads = WorkerLane(threads: readThreads, name: "openspec-sync read")
        writes = WorkerLane(threads: writeThreads, name: "openspec-sync write")
    }

    /// Runs `body` on a read thread and returns its result.
    public func read<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await reads.run(body)
    }

    /// Runs `body` on a write thread and returns its result.
    public func write<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await writes.run(body)
    }

    /// Queues `body` on a write thread without waiting for it: for callbacks
    /// outside async code (the file watcher). False after `shutdown`.
    @discardableResult
    public func startWrite(_ body: @escaping @Sendable () -> Void) -> Bool {
        writes.submit(body)
    }

    /// Takes no more work, finishes what is queued, and returns once every thread has ended.
    public func shutdown() async {
        await reads.shutdown()
        await writes.shutdown()
    }
}

/// A fixed set of threads taking jobs in the order they came.
private final class WorkerLane: @unchecked Sendable {
    // Guards every field below.
    private let condition = NSCondition()
    private var jobs: [@Sendable () -> Void] = []
    private var stopping = false
    private var alive: Int

    init(threads: Int, name: String) {
        alive = max(threads, 0)
        stopping = threads <= 0
        for index in 0..<alive {
            let thread = Thread { [self] in loop() }
            thread.name = "\(name) \(index + 1)"
            thread.start()
        }
    }

    func submit(_ job: @escaping @Sendable () -> Void) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        guard !stopping else { return false }
        jobs.append(job)
        condition.signal()
        return true
    }

    func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let queued = submit { continuation.resume(with: Result(catching: body)) }
            if !queued { continuation.resume(throwing: EngineWorkers.Stopped()) }
        }
    }

    private func loop() {
        while true {
            condition.lock()
            while jobs.isEmpty && !stopping { condition.wait() }
            guard !jobs.isEmpty else {
                alive -= 1
                condition.broadcast()
                condition.unlock()
                return
            }
            let job = jobs.removeFirst()
            condition.unlock()
            job()
        }
    }

    private func stop() {
        condition.lock()
        stopping = true
        condition.broadcast()
        condition.unlock()
    }

    func shutdown() async {
        stop()
        // Waiting for the threads blocks, so it happens on a thread of its own.
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            Thread.detachNewThread { [self] in
                condition.lock()
                while alive > 0 { condition.wait() }
                condition.unlock()
                done.resume()
            }
        }
    }
}
