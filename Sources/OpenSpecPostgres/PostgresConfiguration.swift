import Foundation
import OpenSpecStore
import PostgresNIO

/// A `DatabaseURL` as PostgresNIO's connection settings, with libpq's defaults.
enum PostgresConfiguration {
    static let defaultConnectSeconds = 10

    /// `idleInTransaction`: how long the server lets this connection sit in
    /// an open transaction between statements before it ends the session
    /// (`idle_in_transaction_session_timeout`), so that a host frozen in the
    /// middle of a write gives the write lock back to the others.
    static func make(_ url: DatabaseURL, idleInTransaction: TimeInterval? = nil) throws -> PostgresConnection.Configuration {
        let user = url.user ?? currentUserName()
        var configuration: PostgresConnection.Configuration
        switch url.endpoint {
        case let .tcp(host, port):
            configuration = .init(host: host, port: port, username: user, password: url.password,
                                  database: url.database ?? user, tls: try tls(url))
        case .socket:
            // As libpq: a Unix socket never carries TLS, whatever sslmode says.
            configuration = .init(unixSocketPath: url.socketPath ?? "", username: user, password: url.password,
                                  database: url.database ?? user)
        }
        configuration.options.connectTimeout = .seconds(Int64(url.connectTimeout ?? defaultConnectSeconds))
        if let name = url.applicationName { configuration.options.additionalStartupParameters.append(("application_name", name)) }
        if let idleInTransaction {
            let milliseconds = String(max(1, Int(idleInTransaction * 1000)))
            configuration.options.additionalStartupParameters.append(("idle_in_transaction_session_timeout", milliseconds))
        }
        return configuration
    }

    /// libpq's modes: `require` encrypts without checking the certificate,
    /// `verify-ca` checks it against the trusted roots, `verify-full` its host name too.
    static func tls(_ url: DatabaseURL) throws -> PostgresConnection.Configuration.TLS {
        let mode = url.sslMode ?? .prefer
        if mode == .disable { return .disable }
        var settings = TLSConfiguration.makeClientConfiguration()
        switch mode {
        case .disable, .allow, .prefer, .require: settings.certificateVerification = .none
        case .verifyCA: settings.certificateVerification = .noHostnameVerification
        case .verifyFull: settings.certificateVerification = .fullVerification
        }
        do {
            let context = try NIOSSLContext(configuration: settings)
            return mode == .allow || mode == .prefer ? .prefer(context) : .require(context)
        } catch {
            throw PostgresFailure.tlsUnavailable(database: url.redacted, sslMode: mode.rawValue, reason: "\(error)")
        }
    }

    /// The name of the user running the process: libpq's default user and database.
    static func currentUserName() -> String {
        if let entry = getpwuid(geteuid()), let name = entry.pointee.pw_name { return String(cString: name) }
        return ProcessInfo.processInfo.environment["USER"] ?? "postgres"
    }
}
