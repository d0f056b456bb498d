import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import OpenSpecSync
import ServiceLifecycle

/// `sync.subscribe`: the sync history as a Server-Sent Events stream in
/// tRPC v11's format (`httpSubscriptionLink`).
///
/// The stream opens with `event: connected`; each event is a tracked
/// message (`id:` the history row id, `data:` the event as JSON); an idle
/// stream sends `event: ping`; a failure ends it with `event:
/// serialized-error`. A client that reconnects with the last id it saw
/// (`lastEventId` in the input, as tRPC's client sends it, or the
/// `Last-Event-ID` header, as a browser's EventSource does) gets every
/// event after it, once.
extension Procedures {
    /// The subscriptions: each answers its request with a stream.
    static let streams: [Procedure] = [.subscription("sync.subscribe", RequestHandler.subscribe)]
}

extension RequestHandler {
    /// Rows read per look at the database: a long backlog goes out in pieces.
    static let eventBatch = 200

    func subscribe(_ raw: JSONValue?, request: Request) async -> Response {
        let start: Int64
        let projectId: String?
        do {
            (projectId, start) = try await streamStart(raw, request: request)
        } catch {
            return errorResponse(mapper.map(error, procedure: "sync.subscribe"), path: "sync.subscribe")
        }
        let headers: HTTPFields = [
            .contentType: "text/event-stream",
            .cacheControl: "no-cache, no-transform",
            HTTPField.Name("X-Accel-Buffering")!: "no",
            .vary: "trpc-accept",
        ]
        return Response(status: .ok, headers: headers, body: eventStream(projectId: projectId, after: start))
    }

    /// The stream itself: `connected`, then the events after `start` as they
    /// come (from the server's one look at the history, `EventHub`), pings
    /// while idle, until the client leaves or the server stops.
    private func eventStream(projectId: String?, after start: Int64) -> ResponseBody {
        let hub = hub
        let stream = self
        let pingMs = Int(options.pingInterval.components.seconds * 1000
            + options.pingInterval.components.attoseconds / 1_000_000_000_000_000)
        return ResponseBody { writer in
            // The client reconnects (with the last id) after three missed pings.
            try await writer.write(Self.frame(event: "connected", data: "{\"reconnectAfterInactivityMs\":\(pingMs * 3)}"))
            let (key, signals) = hub.join()
            defer { hub.leave(key) }
            try await withGracefulShutdownHandler {
                var scanned = start
                guard try await stream.catchUp(projectId: projectId, scanned: &scanned, writer: &writer) else { return }
                try await stream.follow(signals, projectId: projectId, scanned: scanned, writer: &writer)
            } onGracefulShutdown: {
                hub.leave(key)
            }
            // No `return` event: the client must reconnect to a restarted server.
            try await writer.finish(nil)
        }
    }

    /// Writes what the hub hands out: the batches (or, after a gap, the rows
    /// read here), pings while idle; returns when the hub stops or fails.
    private func follow(_ signals: AsyncStream<EventHub.Signal>, projectId: String?, scanned start: Int64,
                        writer: inout any ResponseBodyWriter) async throws {
        var scanned = start
        var lastWrite = ContinuousClock.now
        for await signal in signals {
            switch signal {
            case let .batch(batch) where batch.after > scanned:
                // A piece this stream has not seen: read it itself.
                guard try await catchUp(projectId: projectId, scanned: &scanned, writer: &writer) else { return }
                lastWrite = .now
            case let .batch(batch):
                let frames = Self.frames(of: batch, after: scanned, projectId: projectId)
                if frames.readableBytes > 0 {
                    try await writer.write(frames)
                    lastWrite = .now
                }
                scanned = max(scanned, batch.through)
            case .tick where ContinuousClock.now - lastWrite >= options.pingInterval:
                // Also how a closed connection is noticed: the write fails.
                try await writer.write(Self.frame(event: "ping", data: ""))
                lastWrite = .now
            case .tick:
                break
            case let .failed(error):
                try await endWithError(error, writer: &writer)
                return
            }
        }
    }

    /// The frames of a batch's events after `scanned` that the stream follows,
    /// in one buffer (the batch's own when it takes them all).
    static func frames(of batch: EventHub.Batch, after scanned: Int64, projectId: String?) -> ByteBuffer {
        let wanted = batch.events.filter { $0.id > scanned && (projectId == nil || $0.projectId == projectId) }
        if wanted.count == batch.events.count { return batch.frames }
        var frames = ByteBuffer()
        for event in wanted { frames.writeImmutableBuffer(event.frame) }
        return frames
    }

    /// Sends the events after `scanned` read by this stream itself, until it
    /// has reached the newest row; false when the database failed (the error
    /// was sent and the stream must end).
    private func catchUp(projectId: String?, scanned: inout Int64, writer: inout any ResponseBodyWriter) async throws -> Bool {
        let engine = engine
        while true {
            let from = scanned
            let read: (newest: Int64, events: [SyncEvent])
            do {
                read = try await workers.read {
                    // Every row up to `newest` is committed once it is seen, so
                    // the query after it holds each of them that matches.
                    let newest = try engine.lastEventId()
                    return (newest, try engine.events(after: from, projectId: projectId, limit: Self.eventBatch))
                }
            } catch {
                try await endWithError(error, writer: &writer)
                return false
            }
            if !read.events.isEmpty {
                var frames = ByteBuffer()
                for event in read.events { frames.writeImmutableBuffer(try EventHub.frame(event)) }
                try await writer.write(frames)
            }
            scanned = max(read.events.last?.id ?? from, read.events.count == Self.eventBatch ? from : read.newest)
            if read.events.count < Self.eventBatch { return true }
        }
    }

    private func endWithError(_ error: any Error, writer: inout any ResponseBodyWriter) async throws {
        logger.error("sync.subscribe: \(error)")
        let shape = mapper.map(error, procedure: "sync.subscribe").envelope(path: "sync.subscribe")
        if case let .object(outer) = shape, let inner = outer["error"], let data = try? encode(inner) {
            try await writer.write(Self.frame(event: "serialized-error", data: String(decoding: data, as: UTF8.self)))
        }
    }

    /// The project the stream follows, and the id it starts after: the
    /// client's last id (input, `Last-Event-ID` header or query), else the newest.
    private func streamStart(_ raw: JSONValue?, request: Request) async throws -> (projectId: String?, start: Int64) {
        let input = try Input(raw, procedure: "sync.subscribe", allowed: ["projectId", "lastEventId"])
        let projectKey = try input.identifier("projectId")
        var resume = try input.integer("lastEventId", in: 0...Int64.max)
        if resume == nil, let header = request.headers[HTTPField.Name("Last-Event-ID")!], !header.isEmpty {
            guard let id = Int64(header.trimmingCharacters(in: .whitespaces)), id >= 0 else {
                throw TRPCError(.badRequest, "sync.subscribe: the Last-Event-ID header must be an event id from this stream")
            }
            resume = id
        }
        if resume == nil, let text = Self.queryParameters(request.uri.query)["lastEventId"], !text.isEmpty {
            guard let id = Int64(text), id >= 0 else {
                throw TRPCError(.badRequest, "sync.subscribe: lastEventId must be an event id from this stream")
            }
            resume = id
        }
        let engine = engine
        let asked = resume
        return try await workers.read {
            let project = try projectKey.map { try engine.project(named: $0).id }
            let newest = try engine.lastEventId()
            // Without an id: only what happens from now on. An id from
            // beyond the newest row (the database was rebuilt) starts afresh.
            guard let asked, asked <= newest else { return (project, newest) }
            return (project, asked)
        }
    }

    static func frame(id: Int64? = nil, event: String? = nil, data: String) -> ByteBuffer {
        var text = ""
        if let event { text += "event: \(event)\n" }
        text += "data: \(data)\n"
        if let id { text += "id: \(id)\n" }
        text += "\n"
        return ByteBuffer(string: text)
    }
}
