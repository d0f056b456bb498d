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
    /// come, pings while idle, until the client leaves or the server stops.
    private func eventStream(projectId: String?, after start: Int64) -> ResponseBody {
        let engine = engine
        let workers = workers
        let mapper = mapper
        let logger = logger
        let poll = options.pollInterval
        let ping = options.pingInterval
        let pingMs = Int(ping.components.seconds * 1000 + ping.components.attoseconds / 1_000_000_000_000_000)
        return ResponseBody { writer in
            // The client reconnects (with the last id) after three missed pings.
            try await writer.write(Self.frame(event: "connected", data: "{\"reconnectAfterInactivityMs\":\(pingMs * 3)}"))
            var cursor = start
            var quietSince = ContinuousClock.now
            while !Task.isCancelled && !Task.isShuttingDownGracefully {
                let events: [SyncEvent]
                do {
                    events = try await workers.read { [cursor] in
                        try engine.events(after: cursor, projectId: projectId, limit: Self.eventBatch)
                    }
                } catch {
                    logger.error("sync.subscribe: \(error)")
                    let shape = mapper.map(error, procedure: "sync.subscribe").envelope(path: "sync.subscribe")
                    if case let .object(outer) = shape, let inner = outer["error"], let data = try? encode(inner) {
                        try await writer.write(Self.frame(event: "serialized-error", data: String(decoding: data, as: UTF8.self)))
                    }
                    break
                }
                for event in events {
                    let data = try encode(event)
                    try await writer.write(Self.frame(id: event.id, data: String(decoding: data, as: UTF8.self)))
                    cursor = event.id
                }
                if !events.isEmpty {
                    quietSince = .now
                    if events.count == Self.eventBatch { continue }  // more waiting: no sleep
                } else if ContinuousClock.now - quietSince >= ping {
                    // Also how a closed connection is noticed: the write fails.
                    try await writer.write(Self.frame(event: "ping", data: ""))
                    quietSince = .now
                }
                do {
                    try await cancelWhenGracefulShutdown { try await Task.sleep(for: poll) }
                } catch {
                    break
                }
            }
            // No `return` event: the client must reconnect to a restarted server.
            try await writer.finish(nil)
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
