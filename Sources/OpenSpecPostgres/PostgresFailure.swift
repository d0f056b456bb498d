import Foundation
import PostgresNIO

/// What went wrong talking to PostgreSQL, as facts: the database is named
/// by its redacted URL (the password as `***`), never the URL as given.
public enum PostgresFailure: Error, Equatable, Sendable, CustomStringConvertible {
    /// What a bounded wait was for.
    public enum Wait: String, Sendable {
        case connection = "a connection"
        case writeTurn = "this process's turn to write"
        case reply = "the server's reply"
    }

    case cannotConnect(database: String, reason: String)
    /// TLS was asked for (`sslmode`) and could not be set up.
    case tlsUnavailable(database: String, sslMode: String, reason: String)
    /// The server refused a statement.
    case server(database: String, sqlState: String?, message: String)
    case timedOut(database: String, waitingFor: Wait, seconds: Int)
    /// The connection closed under a transaction or a read.
    case connectionLost(database: String, reason: String)

    public var description: String {
        switch self {
        case let .cannotConnect(database, reason):
            return "cannot connect to the PostgreSQL database \(database): \(reason)"
        case let .tlsUnavailable(database, sslMode, reason):
            return "the database URL \(database) asks for sslmode=\(sslMode), but TLS could not be set up (\(reason)); "
                + "fix the server's TLS set-up, or use sslmode=disable on a network you trust"
        case let .server(database, sqlState, message):
            return "PostgreSQL (\(database)) refused a statement: \(message)" + (sqlState.map { " [SQLSTATE \($0)]" } ?? "")
        case let .timedOut(database, wait, seconds):
            return "gave up after \(seconds) s waiting for \(wait.rawValue) from the PostgreSQL database \(database)"
        case let .connectionLost(database, reason):
            return "the connection to the PostgreSQL database \(database) was lost: \(reason)"
        }
    }

    /// The facts of an error PostgresNIO threw. Its own description hides
    /// them on purpose; none of them holds the password.
    static func from(_ error: any Error, database: String, connecting: Bool = false) -> PostgresFailure {
        if let failure = error as? PostgresFailure { return failure }
        guard let psql = error as? PSQLError else {
            return connecting ? .cannotConnect(database: database, reason: "\(error)") : .connectionLost(database: database, reason: "\(error)")
        }
        if let info = psql.serverInfo, let message = info[.message] {
            let detail = info[.detail].map { " (\($0))" } ?? ""
            if connecting { return .cannotConnect(database: database, reason: message + detail) }
            return .server(database: database, sqlState: info[.sqlState], message: message + detail)
        }
        let reason = psql.underlying.map { "\(psql.code): \($0)" } ?? "\(psql.code)"
        return connecting ? .cannotConnect(database: database, reason: reason) : .connectionLost(database: database, reason: reason)
    }
}
