import Foundation

/// A PostgreSQL database named the way libpq names one:
/// `postgres://user:password@host:port/database?sslmode=require`
/// (`postgresql://` too), every part percent-decoded, or a Unix socket:
/// `postgres:///database?host=/var/run/postgresql`, or the socket's folder
/// percent-encoded in the host's place (`postgres://user@%2Fvar%2Frun%2Fpostgresql/db`).
///
/// The password is kept for the connection and shown nowhere: `description`
/// puts `***` in its place, and no parse error repeats any part of the text.
public struct DatabaseURL: Sendable, Equatable, CustomStringConvertible {
    /// Where the server listens.
    public enum Endpoint: Sendable, Equatable {
        case tcp(host: String, port: Int)
        /// The folder of the socket (`<folder>/.s.PGSQL.<port>`).
        case socket(folder: String, port: Int)
    }

    /// libpq's `sslmode` values; what a store does with each is its own to say.
    public enum SSLMode: String, Sendable, CaseIterable {
        case disable, allow, prefer, require
        case verifyCA = "verify-ca"
        case verifyFull = "verify-full"
    }

    public static let defaultPort = 5432
    /// Where Debian's server puts its socket: the folder an empty host means.
    public static let defaultSocketFolder = "/var/run/postgresql"

    public var endpoint: Endpoint
    /// nil: the name of the user running the process, as libpq does.
    public var user: String?
    public var password: String?
    /// nil: the user's name, as libpq does.
    public var database: String?
    /// nil when the URL does not say (libpq's default is `prefer`).
    public var sslMode: SSLMode?
    public var applicationName: String?
    /// Seconds to wait for a connection; nil when the URL does not say.
    public var connectTimeout: Int?

    /// The path of the socket file, for a socket endpoint.
    public var socketPath: String? {
        guard case let .socket(folder, port) = endpoint else { return nil }
        return folder + "/.s.PGSQL.\(port)"
    }

    /// The URL with the password replaced by `***`: what logs and errors show.
    public var description: String { redacted }

    public var redacted: String { string(revealingPassword: false) }

    /// The URL in one canonical form; the password as `***` unless `revealingPassword`
    /// (for handing the URL to a process of this program, never to a person).
    public func string(revealingPassword: Bool) -> String {
        var text = "postgres://"
        if user != nil || password != nil {
            text += Self.encoded(user ?? "") + (password.map { ":" + (revealingPassword ? Self.encoded($0) : "***") } ?? "") + "@"
        }
        var query: [(String, String)] = []
        switch endpoint {
        case let .tcp(host, port):
            text += (host.contains(":") ? "[\(host)]" : Self.encoded(host)) + ":\(port)"
        case let .socket(folder, port):
            query.append(("host", folder))
            if port != Self.defaultPort { query.append(("port", String(port))) }
        }
        text += "/" + (database.map { Self.encoded($0) } ?? "")
        if let sslMode { query.append(("sslmode", sslMode.rawValue)) }
        if let applicationName { query.append(("application_name", applicationName)) }
        if let connectTimeout { query.append(("connect_timeout", String(connectTimeout))) }
        if !query.isEmpty {
            text += "?" + query.map { "\($0.0)=\(Self.encoded($0.1, keeping: "/"))" }.joined(separator: "&")
        }
        return text
    }

    /// Whether `text` is meant as a database URL (its scheme is PostgreSQL's),
    /// whatever else it holds.
    public static func looksLikeURL(_ text: String) -> Bool {
        let lower = text.lowercased()
        return lower.hasPrefix("postgres://") || lower.hasPrefix("postgresql://")
    }

    static func encoded(_ text: String, keeping extra: String = "") -> String {
        let allowed = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~" + extra)
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }
}
