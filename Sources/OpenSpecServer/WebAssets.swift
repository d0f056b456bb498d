import HTTPTypes
import Hummingbird
import NIOCore

/// One file of the dashboard, embedded in the binary: served with a strong
/// ETag so a browser revalidates it (`Cache-Control: no-cache`) and gets a
/// 304 while it is unchanged.
struct WebAsset: Sendable {
    let bytes: [UInt8]
    let contentType: String
    let etag: String

    init(_ bytes: [UInt8], contentType: String) {
        self.bytes = bytes
        self.contentType = contentType
        etag = "\"" + Self.fingerprint(bytes) + "\""
    }

    /// The page and what it loads, by path.
    static let byPath: [String: WebAsset] = [
        "/": WebAsset(PackageResources.index_html, contentType: "text/html; charset=utf-8"),
        "/app.js": WebAsset(PackageResources.app_js, contentType: "text/javascript; charset=utf-8"),
        "/app.css": WebAsset(PackageResources.app_css, contentType: "text/css; charset=utf-8"),
    ]

    /// Only this server's own files run or style the page: no inline script
    /// or style, no frames around it, no form posted elsewhere.
    static let contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        + "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"

    /// The file, or 304 when `If-None-Match` names its ETag; no body for HEAD.
    func response(to request: Request) -> Response {
        var headers = WebAsset.commonHeaders
        headers[.eTag] = etag
        headers[.cacheControl] = "no-cache"
        if let ifNoneMatch = request.headers[.ifNoneMatch], Self.matches(ifNoneMatch, etag: etag) {
            return Response(status: .notModified, headers: headers)
        }
        headers[.contentType] = contentType
        headers[.contentLength] = String(bytes.count)
        let body = request.method == .head ? ByteBuffer() : ByteBuffer(bytes: bytes)
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: body))
    }

    /// What every page of the dashboard carries, the sign-in pages too.
    static var commonHeaders: HTTPFields {
        [.contentSecurityPolicy: contentSecurityPolicy, .xContentTypeOptions: "nosniff",
         HTTPField.Name("Referrer-Policy")!: "no-referrer", HTTPField.Name("X-Frame-Options")!: "DENY"]
    }

    /// `If-None-Match`: a list of ETags (weak ones compared weakly, as RFC 9110 says) or `*`.
    static func matches(_ header: String, etag: String) -> Bool {
        header.split(separator: ",").contains { item in
            var tag = item.trimmingCharacters(in: .whitespaces)
            if tag == "*" { return true }
            if tag.hasPrefix("W/") { tag.removeFirst(2) }
            return tag == etag
        }
    }

    /// 64-bit FNV-1a of the bytes, in hex: changes whenever the file does.
    static func fingerprint(_ bytes: [UInt8]) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex + "-" + String(bytes.count)
    }
}
