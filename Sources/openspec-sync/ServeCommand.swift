import ArgumentParser
import Foundation
import Logging
import OpenSpecServer
import OpenSpecSync
import ServiceLifecycle

/// Where the API listens: shared by `serve` and `run --serve`.
struct ServerFlags: ParsableArguments {
    @Option(help: "The address to listen on. Anything but loopback needs OPENSPEC_SYNC_TOKEN.") var host = "127.0.0.1"
    @Option(help: "The port (0 picks a free one; the address is printed).") var port = ServerOptions.defaultPort
    @Option(name: .customLong("max-body-bytes"), help: "The largest request body accepted.") var maxBodyBytes = 16 << 20
    @Option(name: .customLong("allow-origin"), help: ArgumentHelp(
        "A web origin whose pages may call the API from a browser (repeatable).",
        discussion: "For a UI served from another port, such as http://localhost:5173.",
        valueName: "origin"))
    var allowedOrigins: [String] = []
    @Option(name: .customLong("read-timeout"), help: ArgumentHelp(
        "Seconds a client has to send a whole request; a slower connection is closed.",
        discussion: "Counted from the connection's start, or from the previous response on a kept-alive connection.",
        valueName: "seconds"))
    var readTimeout: Double = 10
    @Option(name: .customLong("max-connections-per-client"), help: ArgumentHelp(
        "Most connections open at once from one client address; more are closed at once.",
        valueName: "count"))
    var maxConnectionsPerClient = 128
    @Flag(name: .customLong("token-for-reads"), help: "Require the token for queries and subscriptions too (always so beyond loopback).")
    var tokenForReads = false

    func validate() throws {
        if !(0...65535).contains(port) { throw ValidationError("--port takes 0 to 65535") }
        if maxBodyBytes < 1024 { throw ValidationError("--max-body-bytes must be at least 1024") }
        if !(readTimeout.isFinite && readTimeout >= 0.1 && readTimeout <= 3600) {
            throw ValidationError("--read-timeout takes 0.1 to 3600 seconds")
        }
        if maxConnectionsPerClient < 1 { throw ValidationError("--max-connections-per-client must be at least 1") }
        for origin in allowedOrigins where !(origin.hasPrefix("http://") || origin.hasPrefix("https://")) || origin.dropFirst(8).contains("/") {
            throw ValidationError("--allow-origin takes an origin such as http://localhost:5173 (scheme, host and port, no path), not \(origin)")
        }
    }

    /// The server for `engine`, with its token; prints where it listens once it does.
    func server(engine: SyncEngine, settings: Settings, logger: Logger) throws -> APIServer {
        let token = try APIToken.resolve(secret: settings.apiToken,
                                         tokenFile: APIToken.defaultFile(databasePath: settings.databasePath))
        var options = ServerOptions()
        options.host = host
        options.port = port
        options.maxBodyBytes = maxBodyBytes
        options.tokenForReads = tokenForReads
        options.allowedOrigins = allowedOrigins
        options.readTimeout = .milliseconds(Int64((readTimeout * 1000).rounded()))
        options.maxConnectionsPerClient = maxConnectionsPerClient
        let where_: String
        switch token.source {
        case .environment: where_ = "$\(APIToken.environmentVariable)"
        case let .file(path): where_ = path
        }
        let sessions = WebSessions()
        return try APIServer(engine: engine, token: token, options: options, logger: logger, sessions: sessions) { host, port in
            let shown = host.contains(":") ? "[\(host)]" : host
            let line = "openspec-sync: API on http://\(shown):\(port)/trpc/ (mutations need the token in \(where_))\n"
                + "Dashboard: \(sessions.signInAddress(host: host, port: port))\n"
            FileHandle.standardOutput.write(Data(line.utf8))
        }
    }
}

func bootstrapLogging() {
    LoggingSystem.bootstrap { label in
        var handler = StreamLogHandler.standardError(label: label)
        handler.logLevel = .info
        return handler
    }
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the HTTP API (tRPC wire format) for a web UI.",
        discussion: """
            Procedures under /trpc/: \(ProcedureCatalog.summary). \
            Listens on 127.0.0.1 by default. Mutations need `Authorization: Bearer <token>`: the \
            token is OPENSPEC_SYNC_TOKEN, else the file api-token next to the database (made on \
            first start, mode 0600). The web dashboard is at /: open the one-time address printed \
            on the "Dashboard:" line to sign in. Ctrl-C or SIGTERM stops it. `run --serve` serves \
            beside the daemon instead.
            """)

    @OptionGroup var global: GlobalOptions
    @OptionGroup var server: ServerFlags

    func run() async throws {
        bootstrapLogging()
        let logger = Logger(label: "openspec-sync")
        let settings = try global.settings()
        let api: APIServer
        do {
            let engine = try SyncEngine(settings: settings, concurrentReads: true)
            api = try server.server(engine: engine, settings: settings, logger: logger)
        } catch {
            printError(errorText(error))
            throw ExitCode(1)
        }
        let group = ServiceGroup(services: [api], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        do {
            try await group.run()
        } catch let error as ServerError {
            printError("\(error)")
            throw ExitCode(1)
        } catch {
            printError("the API server stopped: \(error)")
            throw ExitCode(1)
        }
    }
}
