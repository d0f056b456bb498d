import Foundation
import OpenSpecStore
import PostgresNIO
import Synchronization

/// The signals of `PostgresStore.historySignals`. Every write transaction
/// that added history rows sends `NOTIFY` on `channel` with its newest id
/// (delivered on commit, to every host); each stream here has a connection
/// of its own that `LISTEN`s to it.
///
/// A lost connection is opened again after a pause that doubles up to
/// `longestPause`. Once listening (the first time and after every
/// reconnect) the stream gets the newest id at once: its reader then reads
/// from where it stood, by id, so nothing written meanwhile is missed.
final class PostgresHistoryListener: Sendable {
    static let channel = "openspec_sync_events"
    static let firstPause: Duration = .milliseconds(100)
    static let longestPause: Duration = .seconds(5)
    /// How long `stopAll` waits for the connections to close.
    static let stopSeconds = 5.0

    private struct State {
        var followers: [UInt64: Task<Void, Never>] = [:]
        var nextKey: UInt64 = 0
        var stopped = false
    }

    private let url: DatabaseURL
    private let group: any EventLoopGroup
    private let state = Mutex(State())

    init(url: DatabaseURL, group: any EventLoopGroup) {
        self.url = url
        self.group = group
    }

    /// A new stream with its own listening connection, until its consumer
    /// stops or `stopAll`. The newest signal waits while the consumer is busy.
    func signals() -> AsyncStream<Int64> {
        let (stream, continuation) = AsyncStream.makeStream(of: Int64.self, bufferingPolicy: .bufferingNewest(1))
        let key: UInt64? = state.withLock { state in
            guard !state.stopped else { return nil }
            let key = state.nextKey
            state.nextKey += 1
            state.followers[key] = Task { [self] in
                await follow(continuation)
                continuation.finish()
            }
            return key
        }
        guard let key else {
            continuation.finish()
            return stream
        }
        continuation.onTermination = { [weak self] _ in
            let task = self?.state.withLock { $0.followers.removeValue(forKey: key) }
            task?.cancel()
        }
        return stream
    }

    /// Ends every stream and waits (a little) for their connections to
    /// close, before the store stops its event loops.
    func stopAll() {
        let tasks = state.withLock { state in
            state.stopped = true
            defer { state.followers = [:] }
            return Array(state.followers.values)
        }
        guard !tasks.isEmpty else { return }
        tasks.forEach { $0.cancel() }
        let done = DispatchSemaphore(value: 0)
        Task {
            for task in tasks { await task.value }
            done.signal()
        }
        _ = done.wait(timeout: .now() + Self.stopSeconds)
    }

    private func follow(_ continuation: AsyncStream<Int64>.Continuation) async {
        var pause = Self.firstPause
        while !Task.isCancelled {
            var listened = false
            do {
                try await listenOnce(continuation, listened: &listened)
            } catch {
                // The connection failed or was lost: open another after the pause.
            }
            if listened { pause = Self.firstPause }
            guard !Task.isCancelled else { return }
            try? await Task.sleep(for: pause)
            pause = min(pause * 2, Self.longestPause)
        }
    }

    /// Listens on one connection until it fails or the task is cancelled.
    private func listenOnce(_ continuation: AsyncStream<Int64>.Continuation, listened: inout Bool) async throws {
        var configuration = try PostgresConfiguration.make(url)
        configuration.options.additionalStartupParameters = [("application_name", Self.applicationName(url))]
        let connection = try await PostgresConnection.connect(on: group.next(), configuration: configuration, id: 2,
                                                              logger: PostgresLink.quietLogger)
        do {
            try await connection.listen(on: Self.channel) { notifications in
                continuation.yield(try await Self.newestId(connection))
                listened = true
                for try await notification in notifications {
                    if let id = Int64(notification.payload) { continuation.yield(id) }
                }
            }
        } catch {
            try? await connection.close()
            throw error
        }
        try? await connection.close()
    }

    private static func newestId(_ connection: PostgresConnection) async throws -> Int64 {
        let rows = try await connection.query("SELECT COALESCE(MAX(id), 0) FROM syncHistory", logger: PostgresLink.quietLogger)
        var newest: Int64 = 0
        for try await id in rows.decode(Int64.self) { newest = id }
        return newest
    }

    /// What `pg_stat_activity` shows for a listening connection.
    static func applicationName(_ url: DatabaseURL) -> String {
        (url.applicationName ?? "openspec-sync") + " events"
    }
}
