import Foundation
import NIOCore
import OpenSpecSync
import Synchronization

/// One look at the sync history for every open event stream: a thousand
/// subscribers cost one indexed query per look, not a thousand, and each
/// new event is encoded once. It looks every poll interval, or, on a store
/// that signals new rows (PostgreSQL), when a signal comes (see `HubWakeUp`).
///
/// The hub runs while someone listens. What it hands out says which part of
/// the log it covers (`after`, `through`), so a stream that missed a piece
/// (it started behind, or its buffer dropped an old batch) notices the gap
/// and reads the rows itself.
final class EventHub: Sendable {
    /// An event as it goes on the wire, made once for every stream.
    struct Encoded: Sendable {
        let id: Int64
        let projectId: String
        let frame: ByteBuffer
    }

    /// Every event with an id in `after + 1 ... through`, oldest first.
    struct Batch: Sendable {
        let after: Int64
        let through: Int64
        let events: [Encoded]
        /// Every event's frame in one buffer: one write for a stream that takes them all.
        let frames: ByteBuffer

        init(after: Int64, through: Int64, events: [Encoded]) {
            self.after = after
            self.through = through
            self.events = events
            var frames = ByteBuffer()
            for event in events { frames.writeImmutableBuffer(event.frame) }
            self.frames = frames
        }
    }

    enum Signal: Sendable {
        case batch(Batch)
        /// Five times per ping interval: a stream idle for a ping interval sends tRPC's `ping`.
        case tick
        /// The history could not be read: streams end with the error.
        case failed(any Error)
    }

    /// Batches kept for a stream that is slow to take them; older ones are
    /// dropped, and the stream reads the gap from the database.
    static let buffered = 16

    private struct State {
        var streams: [UInt64: AsyncStream<Signal>.Continuation] = [:]
        var nextKey: UInt64 = 0
        var running = false
        /// The newest row every batch so far has covered.
        var cursor: Int64?
        /// Reads of the history so far, whatever the number of listeners.
        var looks = 0
        /// What wakes the running hub.
        var wake: HubWakeUp?
    }

    private let engine: SyncEngine
    private let workers: EngineWorkers
    private let poll: Duration
    private let fallback: Duration
    private let ping: Duration
    private let state = Mutex(State())

    /// `poll`: how often to look without the store's signals; `fallback`: with them.
    init(engine: SyncEngine, workers: EngineWorkers, poll: Duration, fallback: Duration = .seconds(1), ping: Duration) {
        self.engine = engine
        self.workers = workers
        self.poll = poll
        self.fallback = fallback
        self.ping = ping
    }

    /// A new listener: its key (for `leave`) and what the hub sends it.
    func join() -> (key: UInt64, signals: AsyncStream<Signal>) {
        let (signals, continuation) = AsyncStream.makeStream(of: Signal.self, bufferingPolicy: .bufferingNewest(Self.buffered))
        let (key, start) = state.withLock { state in
            let key = state.nextKey
            state.nextKey += 1
            state.streams[key] = continuation
            let start = !state.running
            state.running = true
            return (key, start)
        }
        if start { Task { await self.run() } }
        return (key, signals)
    }

    func leave(_ key: UInt64) {
        let (continuation, idle) = state.withLock { state in
            let continuation = state.streams.removeValue(forKey: key)
            return (continuation, state.streams.isEmpty ? state.wake : nil)
        }
        continuation?.finish()
        idle?.wakeNow()  // the hub stops now, not at its next look
    }

    var listeners: Int { state.withLock { $0.streams.count } }
    var looks: Int { state.withLock { $0.looks } }

    /// Looks when woken (see `HubWakeUp`) while anyone listens; stops (and
    /// is started again by the next `join`) when the last one has left.
    private func run() async {
        let wake = HubWakeUp(signals: engine.store.historySignals(), poll: poll, fallback: fallback)
        state.withLock { $0.wake = wake }
        defer { wake.stop() }
        var lastTick = ContinuousClock.now
        var look = true
        while true {
            var more = false
            if look {
                do {
                    more = try await lookOnce()
                } catch {
                    send(.failed(error))
                }
            }
            if ContinuousClock.now - lastTick >= ping / 5 {
                send(.tick)
                lastTick = .now
            }
            let stop = state.withLock { state in
                if state.streams.isEmpty {
                    state.running = false
                    state.cursor = nil  // a later start begins at the newest row
                    state.wake = nil
                }
                return !state.running
            }
            if stop { return }
            look = more
            if !more { look = await wake.wait(atMost: ping / 5) }
        }
    }

    /// Reads the rows after the cursor and sends them; true when more wait.
    private func lookOnce() async throws -> Bool {
        let engine = engine
        let known = state.withLock { state in
            state.looks += 1
            return state.cursor
        }
        let (after, events) = try await workers.read { () throws -> (Int64, [SyncEvent]) in
            guard let known else { return (try engine.lastEventId(), []) }
            return (known, try engine.events(after: known, limit: RequestHandler.eventBatch))
        }
        let through = events.last?.id ?? after
        state.withLock { $0.cursor = through }
        if !events.isEmpty {
            let encoded = try events.map { Encoded(id: $0.id, projectId: $0.projectId, frame: try Self.frame($0)) }
            send(.batch(Batch(after: after, through: through, events: encoded)))
        }
        return events.count == RequestHandler.eventBatch
    }

    private func send(_ signal: Signal) {
        let streams = state.withLock { Array($0.streams.values) }
        for continuation in streams { continuation.yield(signal) }
    }

    static func frame(_ event: SyncEvent) throws -> ByteBuffer {
        RequestHandler.frame(id: event.id, data: String(decoding: try encode(event), as: UTF8.self))
    }
}
