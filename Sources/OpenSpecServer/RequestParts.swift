import Foundation
import HTTPTypes
import Hummingbird

/// Reading a request: its procedure names, query, body and Host.
extension RequestHandler {
    /// The names after `/trpc/`, split at commas (a batch names several).
    static func procedureNames(_ request: Request) -> [String] {
        let path = request.uri.path
        guard path.hasPrefix("/trpc/") else { return [] }
        return (String(path.dropFirst(6)).removingPercentEncoding ?? "").split(separator: ",", omittingEmptySubsequences: false).map(String.init)
    }

    static func parseJSON(_ bytes: [UInt8]) throws -> JSONValue? {
        do {
            return try JSONValue.parse(bytes)
        } catch {
            throw TRPCError(.parseError, "the input is not valid JSON; send it URL-encoded in ?input= (GET) or as the request body (POST)")
        }
    }

    /// The body, refused past the size limit without reading the rest.
    func readBody(_ request: inout Request) async throws -> [UInt8] {
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
}
