import Foundation

/// What is wrong with a database URL, named without repeating the URL:
/// any part of it may be the password, misplaced.
public enum DatabaseURLError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The text does not start with `postgres://` or `postgresql://`.
    case notPostgres
    /// A `%` not followed by two hex digits, or bytes that are not UTF-8, in a part.
    case badPercentEncoding(DatabaseURL.Part)
    /// A `[` around an IPv6 address without its `]`.
    case unclosedBracket
    case badPort
    /// More than one host (`host1,host2`), which libpq tries in turn.
    case severalHosts
    case emptyHost
    /// A query parameter not in `DatabaseURL.Parameter`; its name when that is a plain word.
    case unknownParameter(String?)
    /// A query parameter without `=value`.
    case parameterWithoutValue
    case badSSLMode
    case badConnectTimeout

    public var description: String {
        let format = "give it as postgres://user:password@host:port/database"
        switch self {
        case .notPostgres: return "a database URL starts with postgres:// or postgresql://; \(format)"
        case let .badPercentEncoding(part): return "the \(part.rawValue) of the database URL has a % not followed by two hex digits, or is not UTF-8"
        case .unclosedBracket: return "the host of the database URL opens a [ (an IPv6 address) that no ] closes"
        case .badPort: return "the port of the database URL is not a number from 1 to 65535; \(format)"
        case .severalHosts: return "the database URL names several hosts; give one"
        case .emptyHost: return "the host of the database URL is empty; leave the host out for the local socket, or \(format)"
        case let .unknownParameter(name):
            let known = DatabaseURL.Parameter.allCases.map(\.rawValue).joined(separator: ", ")
            return "the database URL has a query parameter \(name.map { "\"\($0)\" " } ?? "")that openspec-sync does not know; it knows \(known)"
        case .parameterWithoutValue: return "a query parameter of the database URL has no =value"
        case .badSSLMode:
            return "the sslmode of the database URL is not one of " + DatabaseURL.SSLMode.allCases.map(\.rawValue).joined(separator: ", ")
        case .badConnectTimeout: return "the connect_timeout of the database URL is not a whole number of seconds"
        }
    }
}

extension DatabaseURL {
    /// The parts of a URL, as errors name them.
    public enum Part: String, Sendable {
        case user, password, host, database
        case parameter = "query"
    }

    /// The query parameters understood, libpq's names.
    public enum Parameter: String, Sendable, CaseIterable {
        case host, port, user, password, dbname, sslmode
        case applicationName = "application_name"
        case connectTimeout = "connect_timeout"
    }

    /// Parses `text` (see the type). Throws a `DatabaseURLError` that repeats none of it.
    public init(_ text: String) throws(DatabaseURLError) {
        guard Self.looksLikeURL(text), let schemeEnd = text.range(of: "://") else { throw .notPostgres }
        var rest = Substring(text[schemeEnd.upperBound...])
        var query = Substring("")
        if let mark = rest.firstIndex(of: "?") { query = rest[rest.index(after: mark)...]; rest = rest[..<mark] }
        if let hash = query.firstIndex(of: "#") { query = query[..<hash] }
        let slash = rest.firstIndex(of: "/")
        let authority = slash.map { rest[..<$0] } ?? rest
        let path = slash.map { rest[rest.index(after: $0)...] } ?? ""
        endpoint = .socket(folder: Self.defaultSocketFolder, port: Self.defaultPort)
        var hostPort = authority
        // The last `@`: a password may hold one that was not encoded.
        if let at = authority.lastIndex(of: "@") {
            let userInfo = authority[..<at]
            hostPort = authority[authority.index(after: at)...]
            let colon = userInfo.firstIndex(of: ":")
            user = try Self.decoded(colon.map { userInfo[..<$0] } ?? userInfo, .user)
            if let colon { password = try Self.decoded(userInfo[userInfo.index(after: colon)...], .password) }
        }
        let (host, port) = try Self.hostAndPort(hostPort)
        database = path.isEmpty ? nil : try Self.decoded(path, .database)
        endpoint = Self.endpoint(host: host, port: port ?? Self.defaultPort)
        try apply(query: query, host: host, port: port)
        if user?.isEmpty == true { user = nil }
    }

    /// The host (decoded; nil when empty) and port of `host[:port]` or `[v6]:port`.
    private static func hostAndPort(_ text: Substring) throws(DatabaseURLError) -> (String?, Int?) {
        if text.contains(",") { throw .severalHosts }
        var hostText = text
        var portText: Substring?
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { throw .unclosedBracket }
            hostText = text[text.index(after: text.startIndex)..<close]
            let after = text[text.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw .badPort }
                portText = after.dropFirst()
            }
        } else if let colon = text.lastIndex(of: ":") {
            hostText = text[..<colon]
            portText = text[text.index(after: colon)...]
        }
        var port: Int?
        if let portText { port = try Self.port(portText) }
        let host = hostText.isEmpty ? nil : try decoded(hostText, .host)
        return (host, port)
    }

    private static func port(_ text: Substring) throws(DatabaseURLError) -> Int {
        guard !text.isEmpty, text.count <= 5, text.allSatisfy(\.isASCII), let port = Int(text), (1...65535).contains(port) else {
            throw .badPort
        }
        return port
    }

    /// A host that starts with `/` is a socket's folder, as libpq reads it.
    private static func endpoint(host: String?, port: Int) -> Endpoint {
        guard let host else { return .socket(folder: defaultSocketFolder, port: port) }
        return host.hasPrefix("/") ? .socket(folder: host, port: port) : .tcp(host: host, port: port)
    }

    /// Applies the query parameters; `host` and `port` there win over the URL's own.
    private mutating func apply(query: Substring, host: String?, port: Int?) throws(DatabaseURLError) {
        var host = host, port = port
        for pair in query.split(separator: "&", omittingEmptySubsequences: true) {
            guard let equals = pair.firstIndex(of: "=") else { throw .parameterWithoutValue }
            let nameText = pair[..<equals]
            let value = try Self.decoded(pair[pair.index(after: equals)...], .parameter)
            guard let name = Parameter(rawValue: String(nameText)) else {
                let plain = nameText.count <= 40 && nameText.allSatisfy { $0.isASCII && ($0.isLetter || $0 == "_") }
                throw .unknownParameter(plain ? String(nameText) : nil)
            }
            switch name {
            case .host:
                guard !value.isEmpty else { throw .emptyHost }
                if value.contains(",") { throw .severalHosts }
                host = value
            case .port: port = try Self.port(Substring(value))
            case .user: user = value
            case .password: password = value
            case .dbname: database = value.isEmpty ? nil : value
            case .sslmode:
                guard let mode = SSLMode(rawValue: value) else { throw .badSSLMode }
                sslMode = mode
            case .applicationName: applicationName = value
            case .connectTimeout:
                guard let seconds = Int(value), seconds >= 0, value.allSatisfy(\.isASCII) else { throw .badConnectTimeout }
                connectTimeout = seconds
            }
        }
        endpoint = Self.endpoint(host: host, port: port ?? Self.defaultPort)
    }

    /// `text` percent-decoded as UTF-8; the part is named should it fail.
    private static func decoded(_ text: Substring, _ part: Part) throws(DatabaseURLError) -> String {
        var bytes: [UInt8] = []
        var index = text.utf8.startIndex
        let utf8 = text.utf8
        while index != utf8.endIndex {
            let byte = utf8[index]
            index = utf8.index(after: index)
            guard byte == UInt8(ascii: "%") else { bytes.append(byte); continue }
            guard index != utf8.endIndex, let high = hexValue(utf8[index]) else { throw .badPercentEncoding(part) }
            index = utf8.index(after: index)
            guard index != utf8.endIndex, let low = hexValue(utf8[index]) else { throw .badPercentEncoding(part) }
            index = utf8.index(after: index)
            bytes.append(high << 4 | low)
        }
        guard let string = String(validating: bytes, as: UTF8.self) else { throw .badPercentEncoding(part) }
        return string
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
