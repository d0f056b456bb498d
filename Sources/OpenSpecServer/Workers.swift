import NIOPosix

/// Threads for the engine's blocking calls (SQLite, libgit2, fsync), off
/// the event loops. Reads and writes have separate pools: a write waits for
/// the project lock and fsyncs, and must never hold up a reader.
final class Workers: Sendable {
    private let reads: NIOThreadPool
    private let writes: NIOThreadPool

    init(readThreads: Int, writeThreads: Int) {
        reads = NIOThreadPool(numberOfThreads: readThreads)
        writes = NIOThreadPool(numberOfThreads: writeThreads)
        reads.start()
        writes.start()
    }

    func read<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await reads.runIfActive(body)
    }

    func write<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await writes.runIfActive(body)
    }

    func shutdown() async {
        try? await reads.shutdownGracefully()
        try? await writes.shutdownGracefully()
    }
}
