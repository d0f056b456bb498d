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
    /// How often the server looks for new history rows for its event streams
    /// (one look for them all).
    public var pollInterval: Duration = .milliseconds(50)
    /// How often it still looks when the store signals new rows (PostgreSQL's
    /// NOTIFY, from every host): a safety net for a signal lost.
    public var fallbackPollInterval: Duration = .seconds(1)
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
        let listening = ListeningFlag()
        let onListening = onListening
        let app = makeApplication { host, port in
            listening.set()
            onListening(host, port)
        }
        do {
            try await app.run()
        } catch {
            // An error before listening is the address's: taken, or not this machine's.
            if !listening.isSet {
                let host = listenHost
                let shown = host.contains(":") ? "[\(host)]" : host
                let reason = (error as? IOError).map { String(cString: strerror($0.errnoCode)) } ?? "\(error)"
                throw ServerError.cannotListen(address: "\(shown):\(options.port)", reason: reason,
                                               inUse: (error as? IOError)?.errnoCode == EADDRINUSE)
            }
            throw error
        }
    }

    /// The server as an application, not yet running: `run` runs it, and
    /// tests call it in-process. Its worker threads stop with it.
    public func makeApplication(onListening: @escaping @Sendable (String, Int) -> Void = { _, _ in })
        -> Application<RouterResponder<ServerContext>> {
        // A write spends most of its time waiting for the project lock: with
        // a thread for each of many concurrent writers, the edits that arrive
        // during a commit are all stored, and the next commit carries them together.
        let workers = EngineWorkers(readThreads: 6, writeThreads: 16)
        let handler = RequestHandler(engine: engine, token: token, options: options, logger: logger, workers: workers,
                                     sessions: sessions)
        let host = listenHost
        let connections = ClientConnections(limit: options.maxConnectionsPerClient)
        let (seconds, attoseconds) = options.readTimeout.components
        let readTimeout = TimeAmount.nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
        return Application(
            router: handler.buildRouter(),
            server: .http1(configuration: .init(additionalChannelHandlers: [
                ConnectionLimitHandler(connections: connections), ReadTimeoutHandler(timeout: readTimeout),
            ])),
            configuration: ApplicationConfiguration(address: .hostname(host, port: options.port), serverName: "openspec-sync"),
            services: [WorkerThreads(workers: workers)],
            onServerRunning: { channel in onListening(host, channel.localAddress?.port ?? 0) },
            logger: logger)
    }

    /// The address to listen on: localhost is 127.0.0.1, and [::1], as
    /// written in a URL, is ::1.
    private var listenHost: String {
        let named = options.host == "localhost" ? "127.0.0.1" : options.host
        return named.hasPrefix("[") && named.hasSuffix("]") ? String(named.dropFirst().dropLast()) : named
    }
}

/// The engine's worker threads as a service of the application: they stop
/// when it stops, after the server (services stop in reverse order).
private struct WorkerThreads: Service {
    let workers: EngineWorkers

    func run() async throws {
        try? await gracefulShutdown()
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
    let workers: EngineWorkers
    let procedures: Procedures
    let mapper: ErrorMapper
    let loopback: Bool
    let sessions: WebSessions
    let hub: EventHub

    init(engine: SyncEngine, token: APIToken, options: ServerOptions, logger: Logger, workers: EngineWorkers,
         sessions: WebSessions = WebSessions()) {
        self.engine = engine
        self.token = token
        self.options = options
        self.logger = logger
        self.workers = workers
        mapper = ErrorMapper()
        procedures = Procedures(engine: engine, workers: workers, mapper: mapper)
        loopback = ServerOptions.isLoopback(options.host)
        self.sessions = sessions
        hub = EventHub(engine: engine, workers: workers, poll: options.pollInterval, fallback: options.fallbackPollInterval,
                       ping: options.pingInterval)
    }
}
