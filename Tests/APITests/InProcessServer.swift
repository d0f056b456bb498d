import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import OpenSpecServer
import OpenSpecSync
import Testing

/// The server's application built in this process (`APIServer.makeApplication`)
/// on the test's database, called through HummingbirdTesting's router client:
/// every check, procedure and reply of the real server, without a socket.
extension LiveServer {
    func inProcess<Value: Sendable>(token: String = LiveServer.token, tokenForReads: Bool = false, maxBodyBytes: Int? = nil,
                                    _ body: @Sendable (APIClient) async throws -> Value) async throws -> Value {
        var options = ServerOptions()
        options.port = 0
        options.tokenForReads = tokenForReads
        if let maxBodyBytes { options.maxBodyBytes = maxBodyBytes }
        var logger = Logger(label: "openspec-sync-test")
        logger.logLevel = .critical
        let engine = try SyncEngine(databasePath: dbPath, concurrentReads: true)
        let server = try APIServer(engine: engine, token: try APIToken(secret: token, source: .environment),
                                   options: options, logger: logger)
        return try await server.makeApplication().test(.router) { client in
            try await body(APIClient(client: client))
        }
    }
}

/// Calls to an in-process server, as `LiveServer`'s curl calls are made.
struct APIClient: Sendable {
    let client: any TestClientProtocol

    /// A query: GET with the input URL-encoded in `?input=`.
    func query(_ procedure: String, _ input: String? = nil, headers: [String] = []) async throws -> Reply {
        var uri = "/trpc/" + procedure
        if let input { uri += (uri.contains("?") ? "&" : "?") + "input=" + Self.encoded(input) }
        return try await request(uri, method: .get, headers: headers)
    }

    /// A mutation: POST with a JSON body, with the token unless told otherwise.
    func mutate(_ procedure: String, _ body: String?, token: String? = LiveServer.token, headers: [String] = []) async throws -> Reply {
        var headers = ["Content-Type: application/json"] + headers
        if let token { headers.append("Authorization: Bearer \(token)") }
        return try await request("/trpc/" + procedure, method: .post, headers: headers, body: body)
    }

    /// Any request; `headers` are `Name: value` lines.
    func request(_ uri: String, method: HTTPRequest.Method, headers: [String] = [], body: String? = nil) async throws -> Reply {
        try await request(uri, method: method, headers: headers, bytes: body.map { Array($0.utf8) })
    }

    func request(_ uri: String, method: HTTPRequest.Method, headers: [String] = [], bytes: [UInt8]?) async throws -> Reply {
        var fields = HTTPFields()
        for line in headers {
            let parts = line.split(separator: ":", maxSplits: 1)
            fields.append(HTTPField(name: HTTPField.Name(String(parts[0]))!, value: parts[1].trimmingCharacters(in: .whitespaces)))
        }
        let response = try await client.executeRequest(uri: uri, method: method, headers: fields,
                                                       body: bytes.map { ByteBuffer(bytes: $0) })
        let headers = Dictionary(response.headers.map { ($0.name.canonicalName, $0.value) }, uniquingKeysWith: { a, _ in a })
        return Reply(status: Int(response.status.code), body: String(buffer: response.body), headers: headers)
    }

    private static let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")

    /// Percent-encoded as a query value, as curl's --data-urlencode does.
    static func encoded(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: unreserved) ?? text
    }
}
