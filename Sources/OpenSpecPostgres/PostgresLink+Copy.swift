import Foundation
import NIOCore
import PostgresNIO

extension PostgresLink {
    /// Bytes of COPY data to a message: the server takes the rows as they come.
    static let copyChunk = 1 << 20

    /// `COPY table (columns) FROM STDIN` of `data`, rows already in COPY's
    /// text format (`PostgresCopyText`). Names as PostgreSQL folds them:
    /// PostgresNIO quotes them.
    func copy(into table: String, columns: [String], data: ByteBuffer) throws {
        guard isUsable else { throw PostgresFailure.connectionLost(database: database, reason: "the connection is closed") }
        let connection = connection
        let promise = connection.eventLoop.makePromise(of: Void.self)
        // PostgresNIO's COPY is async only. Its jobs run on an executor of
        // their own: the waiting caller may hold one of Swift concurrency's
        // few shared threads, and the work must not need that thread.
        Task(executorPreference: PostgresCopyExecutor.shared) {
            do {
                try await connection.copyFrom(table: table.lowercased(), columns: columns.map { $0.lowercased() },
                                              logger: Self.quietLogger) { writer in
                    var rest = data
                    while let chunk = rest.readSlice(length: min(Self.copyChunk, rest.readableBytes)), chunk.readableBytes > 0 {
                        try await writer.write(chunk)
                    }
                }
                promise.succeed(())
            } catch {
                promise.fail(error)
            }
        }
        do {
            try Self.wait(promise.futureResult, seconds: timeout, database: database, for: .reply)
        } catch {
            let failure = PostgresFailure.from(error, database: database)
            if case .server = failure {} else { close() }
            throw failure
        }
    }
}

/// Runs the jobs of the tasks that prefer it on a serial queue of its own,
/// apart from Swift concurrency's shared threads.
final class PostgresCopyExecutor: TaskExecutor {
    static let shared = PostgresCopyExecutor()
    private let queue = DispatchQueue(label: "openspec-sync.postgres.copy")

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        queue.async { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
