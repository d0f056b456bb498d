import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import OpenSpecSync
import ServiceLifecycle
import Synchronization

/// How the server listens and what it allows.
public struct ServerOptions: Sendable {
    public static let defaultPort = 4377

    public var host = "127.0.0.1"
    /// 0 picks a free port (printed once listening).
    public var port = ServerOptions.defaultPort
    /// The largest request body accepted; an edit's content travels in it.
    public var maxBodyBytes = 16 << 20
    /// How often an event stream looks for new history rows.
    public var pollInterval: Duration = .milliseconds(250)
    /// How often an idle event stream sends tRPC's `ping` event.
    public var pingInterval: Duration = .seconds(5)
    /// Most calls in one batch.
    public var maxBatch = 64
    /// The time a client has to send a whole request (head and body), from
    /// the connection's start or the previous response's end.
    public var readTimeout: Duration = .seconds(10)
    /// Most connections open at once from one client address.
    public var maxConnectionsPerClient = 128
    /// Every call needs the token, queries and subscriptions too. Always on
    /// when listening beyond loopback.
    public var tokenForReads = false
    /// Web origins (`http://localhost:5173`) whose pages may call the API
    /// from a browser (CORS). None by default: same-origin pages and
    /// non-browser clients need nothing.
    public var allowedOrigins: [String] = []

    public init() {}

    /// 127.0.0.0/8, ::1 and localhost: reachable only from this machine.
    public static func isLoopback(_ host: String) -> Bool {
        let bare = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        if bare == "localhost" || bare == "::1" { return true }
        let parts = bare.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts[0] == "127" && parts.allSatisfy { UInt8($0) != nil }
    }
}

/// The HTTP API: the procedures under `/trpc/` on tRPC's wire format, run
/// as a service (alone for `serve`, beside the daemon for `run --serve`).
public final class APIServer: Service, Sendable {
    private let engine: SyncEngine
    private let token: APIToken
    private let options: ServerOptions
    private let logger: Logger
    private let onListening: @Sendable (String, Int) -> Void
    private let sessions: WebSessions

    /// Refuses to start on a non-loopback host unless the token is the
    /// user's own (`OPENSPEC_SYNC_TOKEN`), not a generated one.
    public init(engine: SyncEngine, token: APIToken, options: ServerOptions, logger: Logger,
                sessions: WebSessions = WebSessions(),
                onListening: @escaping @Sendable (String, Int) -> Void = { _, _ in }) throws {
        guard !options.host.isEmpty, !options.host.contains("/"), !options.host.contains(" ") else {
            throw ServerError.invalidHost(options.host)
        }
        var options = options
        if !ServerOptions.isLoopback(options.host) {
            guard token.source == .environment else { throw ServerError.publicWithoutToken(host: options.host) }
            options.tokenForReads = true
        }
        self.engine = engine
        self.token = token
        self.options = options
        self.logger = logger
        self.onListening = onListening
        self.sessions = sessions
    }

    public func run() async throws {
        let workers = Workers(readThreads: 6, writeThreads: 3)
        let handler = RequestHandler(engine: engine, token: token, options: options, logger: logger, workers: workers,
                                     sessions: sessions)
        let responder = CallbackResponder<BasicRequestContext> { request, _ in await handler.respondAllowingOrigin(to: request) }
        let named = options.host == "localhost" ? "127.0.0.1" : options.host
        // [::1], as written in a URL, is ::1 to listen on.
        let host = named.hasPrefix("[") && named.hasSuffix("]") ? String(named.dropFirst().dropLast()) : named
        let onListening = onListening
        let listening = ListeningFlag()
        let connections = ClientConnections(limit: options.maxConnectionsPerClient)
        let (seconds, attoseconds) = options.readTimeout.components
        let readTimeout = TimeAmount.nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
        let app = Application(
            responder: responder,
            server: .http1(configuration: .init(additionalChannelHandlers: [
                ConnectionLimitHandler(connections: connections), ReadTimeoutHandler(timeout: readTimeout),
            ])),
            configuration: ApplicationConfiguration(address: .hostname(host, port: options.port), serverName: "openspec-sync"),
            onServerRunning: { channel in
                listening.set()
                onListening(host, channel.localAddress?.port ?? 0)
            },
            logger: logger)
        do {
            try await app.run()
        } catch {
            await workers.shutdown()
            // An error before listening is the address's: taken, or not this machine's.
            if !listening.isSet {
                let shown = host.contains(":") ? "[\(host)]" : host
                let reason = (error as? IOError).map { String(cString: strerror($0.errnoCode)) } ?? "\(error)"
                throw ServerError.cannotListen(address: "\(shown):\(options.port)", reason: reason,
                                               inUse: (error as? IOError)?.errnoCode == EADDRINUSE)
            }
            throw error
        }
        await workers.shutdown()
    }
}

/// Whether the server got as far as listening.
private final class ListeningFlag: Sendable {
    private let state = Mutex(false)
    func set() { state.withLock { $0 = true } }
    var isSet: Bool { state.withLock { $0 } }
}

/// One request: checks, input, the calls, and the reply in tRPC's shape.
struct RequestHandler: Sendable {
    let engine: SyncEngine
    let token: APIToken
    let options: ServerOptions
    let logger: Logger
    let workers: Workers
    let procedures: Procedures
    let mapper: ErrorMapper
    let loopback: Bool
    let sessions: WebSessions

    init(engine: SyncEngine, token: APIToken, options: ServerOptions, logger: Logger, workers: Workers, sessions: WebSessions) {
        self.engine = engine
        self.token = token
        self.options = options
        self.logger = logger
        self.workers = workers
        self.sessions = sessions
        var roots: [(String, String)] = (try? engine.store.projects().map { ($0.repoPath, "<\($0.name)>") }) ?? []
        roots.append(((engine.store.path as NSString).deletingLastPathComponent, "<database folder>"))
        if let home = ProcessInfo.processInfo.environment["HOME"], home.count > 1 { roots.append((home, "~")) }
        mapper = ErrorMapper(knownRoots: roots.sorted { $0.0.count > $1.0.count }.map { (path: $0.0, word: $0.1) })
        procedures = Procedures(engine: engine, workers: workers, mapper: mapper)
        loopback = ServerOptions.isLoopback(options.host)
    }

    /// One call of a request: its procedure name and raw input.
    private struct Call: Sendable {
        var name: String
        var input: JSONValue?
    }

    /// `respond`, with CORS headers for an allowed web origin, and its preflight answered.
    func respondAllowingOrigin(to request: Request) async -> Response {
        if let refusal = Self.hostRefusal(request) { return errorResponse(refusal, path: nil) }
        if let page = webResponse(to: request) { return page }
        guard let origin = request.headers[.origin], options.allowedOrigins.contains(origin) else {
            return await respond(to: request)
        }
        var response: Response
        if request.method == .options {
            response = Response(status: .noContent)
            response.headers[.accessControlAllowMethods] = "GET, POST"
            response.headers[.accessControlAllowHeaders] = "Authorization, Content-Type, Last-Event-ID, trpc-accept, x-trpc-source"
            response.headers[.accessControlMaxAge] = "600"
        } else {
            response = await respond(to: request)
        }
        response.headers[.accessControlAllowOrigin] = origin
        response.headers[.vary] = "Origin, trpc-accept"
        return response
    }

    func respond(to request: Request) async -> Response {
        var request = request
        let path = request.uri.path
        guard path.hasPrefix("/trpc/"), path.count > 6 else {
            return errorResponse(TRPCError(.notFound, "no such endpoint; the API is under /trpc/ (for example GET /trpc/projects.list)"), path: nil)
        }
        let names = (String(path.dropFirst(6)).removingPercentEncoding ?? "").split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        let query = Self.queryParameters(request.uri.query)
        let isBatch = query["batch"] == "1" || query["batch"] == "true"
        let firstName = names.first ?? ""
        if request.method == .head { return Response(status: .noContent) }
        guard request.method == .get || request.method == .post else {
            return errorResponse(TRPCError(.methodNotSupported, "\(request.method) is not supported: queries use GET, mutations POST"), path: firstName)
        }
        // A web page elsewhere must not reach a loopback server through a
        // name that resolves to 127.0.0.1 (DNS rebinding).
        if loopback, let authority = request.head.authority, !Self.isLocalAuthority(authority) {
            return errorResponse(TRPCError(.forbidden, "this server answers only requests addressed to localhost, 127.0.0.1 or [::1]"), path: firstName)
        }
        // Before the body is read: a page of another site is refused whatever it sent.
        let authorized: Bool
        switch webAuthorization(request) {
        case let .refused(error): return errorResponse(error, path: firstName)
        case let .authorized(allowed): authorized = allowed
        }
        if !isBatch && names.count != 1 {
            return errorResponse(TRPCError(.notFound, "no procedure \"\(Self.clip(names.joined(separator: ",")))\"; several procedures in one request need ?batch=1"), path: firstName)
        }
        if isBatch && names.count > options.maxBatch {
            return errorResponse(TRPCError(.badRequest, "a batch holds at most \(options.maxBatch) calls; split it"), path: nil)
        }

        // The raw input: ?input= for GET, the body for POST.
        let rawInput: JSONValue?
        do {
            if request.method == .get {
                if let text = query["input"] {
                    if text.utf8.count > options.maxBodyBytes {
                        throw TRPCError(.payloadTooLarge, "the input is larger than \(options.maxBodyBytes) bytes")
                    }
                    rawInput = try parseJSON(Array(text.utf8))
                } else {
                    rawInput = nil
                }
            } else {
                rawInput = try parseJSON(try await readBody(&request))
            }
        } catch {
            return errorResponse(mapper.map(error, procedure: firstName), path: isBatch ? nil : firstName)
        }

        let calls: [Call]
        if isBatch {
            var inputs: [String: JSONValue] = [:]
            switch rawInput {
            case nil, .null?: break
            case let .object(object)?: inputs = object
            default:
                return errorResponse(TRPCError(.badRequest, "\"input\" needs to be an object when doing a batch call: {\"0\": …, \"1\": …}"), path: nil)
            }
            calls = names.enumerated().map { index, name in Call(name: name, input: inputs[String(index)]) }
        } else {
            calls = [Call(name: firstName, input: rawInput)]
        }

        if !isBatch, Procedures.kinds[firstName] == .subscription {
            if let refusal = check(calls[0], method: request.method, authorized: authorized, batch: false) {
                return errorResponse(refusal, path: firstName)
            }
            return await subscribe(calls[0].input, request: request)
        }

        let method = request.method
        if !isBatch {
            return reply(await perform(calls[0], method: method, authorized: authorized, batch: false), path: firstName)
        }
        // Calls of a batch run side by side, as tRPC runs them; replies keep their order.
        let finished = await withTaskGroup(of: IndexedResult.self, returning: [Int: Result<Data, TRPCError>].self) { group in
            for (index, call) in calls.enumerated() {
                group.addTask {
                    IndexedResult(index: index, result: await perform(call, method: method, authorized: authorized, batch: true))
                }
            }
            var byIndex: [Int: Result<Data, TRPCError>] = [:]
            for await done in group { byIndex[done.index] = done.result }
            return byIndex
        }
        let results = calls.indices.map { index in
            finished[index] ?? .failure(TRPCError(.internalServerError, "\(calls[index].name) did not finish; try again"))
        }
        // tRPC: the common status when every call agrees, else 207 Multi-Status.
        let statuses = Set(results.map { result -> Int in
            if case let .failure(error) = result { return error.code.httpStatus }
            return 200
        })
        var body = Data("[".utf8)
        for (index, result) in results.enumerated() {
            if index > 0 { body.append(UInt8(ascii: ",")) }
            body.append(envelope(result, path: calls[index].name))
        }
        body.append(UInt8(ascii: "]"))
        let status = statuses.count == 1 ? statuses.first! : 207
        return jsonResponse(status: status, body: body, unauthorized: statuses.contains(401))
    }

    private struct IndexedResult: Sendable {
        var index: Int
        var result: Result<Data, TRPCError>
    }

    /// One call: refused, or run, with its error mapped.
    private func perform(_ call: Call, method: HTTPRequest.Method, authorized: Bool, batch: Bool) async -> Result<Data, TRPCError> {
        if let refusal = check(call, method: method, authorized: authorized, batch: batch) { return .failure(refusal) }
        do {
            return .success(try await procedures.call(call.name, input: call.input))
        } catch {
            return .failure(failure(error, procedure: call.name))
        }
    }

    /// Why a call may not run, if it may not: unknown, wrong method, or no token.
    private func check(_ call: Call, method: HTTPRequest.Method, authorized: Bool, batch: Bool) -> TRPCError? {
        guard let kind = Procedures.kinds[call.name] else {
            return TRPCError(.notFound, "no procedure \"\(Self.clip(call.name))\"; the procedures are " + Procedures.kinds.keys.sorted().joined(separator: ", "))
        }
        switch (kind, method) {
        case (.mutation, .post), (.query, .get), (.subscription, .get): break
        case (.mutation, _):
            return TRPCError(.methodNotSupported, "\(call.name) is a mutation: send it with POST and a JSON body")
        default:
            return TRPCError(.methodNotSupported, "\(call.name) is a \(kind.rawValue): send it with GET and ?input=")
        }
        if kind == .subscription && batch {
            return TRPCError(.badRequest, "\(call.name) is a subscription and cannot be batched; open it as its own request")
        }
        if (kind == .mutation || options.tokenForReads) && !authorized {
            return TRPCError(.unauthorized, kind == .mutation
                ? "\(call.name) changes files: send the header Authorization: Bearer <token> (OPENSPEC_SYNC_TOKEN, or the server's token file)"
                : "this server needs a token for every call: send the header Authorization: Bearer <token>")
        }
        return nil
    }

    /// Logs what the client must not see, and returns what it may.
    private func failure(_ error: Error, procedure: String) -> TRPCError {
        let mapped = mapper.map(error, procedure: procedure)
        if mapped.code == .internalServerError {
            logger.error("\(procedure): \(error)")
        }
        return mapped
    }

    // MARK: Input

    private func parseJSON(_ bytes: [UInt8]) throws -> JSONValue? {
        do {
            return try JSONValue.parse(bytes)
        } catch {
            throw TRPCError(.parseError, "the input is not valid JSON; send it URL-encoded in ?input= (GET) or as the request body (POST)")
        }
    }

    /// The body, refused past the size limit without reading the rest.
    private func readBody(_ request: inout Request) async throws -> [UInt8] {
        let limit = options.maxBodyBytes
        let tooLarge = TRPCError(.payloadTooLarge, "the request body is larger than \(limit) bytes; send smaller content")
        if let length = request.headers[.contentLength].flatMap(Int.init), length > limit { throw tooLarge }
        var bytes: [UInt8] = []
        for try await buffer in request.body {
            if bytes.count + buffer.readableBytes > limit { throw tooLarge }
            bytes.append(contentsOf: buffer.readableBytesView)
        }
        return bytes
    }

    /// Query parameters, decoded as a browser's URLSearchParams does.
    static func queryParameters(_ query: String?) -> [String: String] {
        guard let query, !query.isEmpty else { return [:] }
        var result: [String: String] = [:]
        for pair in query.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ text: Substring) -> String? {
                String(text).replacingOccurrences(of: "+", with: " ").removingPercentEncoding
            }
            guard let key = decode(parts[0]) else { continue }
            // The first value wins; undecodable values are left for the input parser to refuse.
            if result[key] == nil { result[key] = parts.count > 1 ? (decode(parts[1]) ?? "\u{0}") : "" }
        }
        return result
    }

    /// HTTP/1.1 needs exactly one `Host` header: without one, the checks
    /// that depend on where a request was sent (DNS rebinding) cannot be
    /// made; with two, a proxy and this server may each read another.
    /// The first becomes the request's authority; any other stays a header.
    static func hostRefusal(_ request: Request) -> TRPCError? {
        if request.head.authority == nil {
            return TRPCError(.badRequest, "the request has no Host header; HTTP/1.1 needs exactly one")
        }
        if request.headers[values: hostField].count > 0 {
            return TRPCError(.badRequest, "the request has more than one Host header; HTTP/1.1 needs exactly one")
        }
        return nil
    }

    private static let hostField = HTTPField.Name("Host")!

    static func isLocalAuthority(_ authority: String) -> Bool {
        var host = authority
        if host.hasPrefix("["), let close = host.firstIndex(of: "]") {
            host = String(host[host.index(after: host.startIndex)..<close])
        } else if let colon = host.lastIndex(of: ":") {
            host = String(host[..<colon])
        }
        return ServerOptions.isLoopback(host.lowercased())
    }

    /// Client text safe to echo in a message: control characters dropped, at most `max` characters.
    static func clip(_ text: String, max: Int = 80) -> String {
        let cleaned = String(text.unicodeScalars.filter { $0.value >= 0x20 && $0.value != 0x7F }.map(Character.init))
        return cleaned.count > max ? String(cleaned.prefix(max)) + "…" : cleaned
    }

    // MARK: Replies

    private func envelope(_ result: Result<Data, TRPCError>, path: String) -> Data {
        switch result {
        case let .success(data):
            var body = Data(#"{"result":{"data":"#.utf8)
            body.append(data)
            body.append(contentsOf: Array("}}".utf8))
            return body
        case let .failure(error):
            return (try? encode(error.envelope(path: path))) ?? Data(#"{"error":{"message":"internal error","code":-32603,"data":{"code":"INTERNAL_SERVER_ERROR","httpStatus":500}}}"#.utf8)
        }
    }

    private func reply(_ result: Result<Data, TRPCError>, path: String) -> Response {
        var status = 200
        if case let .failure(error) = result { status = error.code.httpStatus }
        return jsonResponse(status: status, body: envelope(result, path: path), unauthorized: status == 401)
    }

    func errorResponse(_ error: TRPCError, path: String?) -> Response {
        let body = (try? encode(error.envelope(path: path))) ?? Data()
        return jsonResponse(status: error.code.httpStatus, body: body, unauthorized: error.code == .unauthorized)
    }

    private func jsonResponse(status: Int, body: Data, unauthorized: Bool) -> Response {
        var headers: HTTPFields = [.contentType: "application/json", .vary: "trpc-accept"]
        if unauthorized { headers[.wwwAuthenticate] = "Bearer" }
        return Response(status: HTTPResponse.Status(code: status), headers: headers,
                        body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
    }
}
