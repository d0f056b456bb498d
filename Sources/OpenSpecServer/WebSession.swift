import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Synchronization

/// Sign-in for the dashboard: a one-time login token printed at start, a
/// session cookie it trades for, and the rule that lets a signed-in page
/// change files without the API token, but never a page of another site.
public final class WebSessions: Sendable {
    /// The cookie that carries a session.
    static let cookieName = "openspec_sync_session"
    /// The header the dashboard's own script sends with each mutation; a
    /// form on another site cannot set it.
    static let mutationHeader = HTTPField.Name("X-OpenSpec-Sync")!
    static let mutationHeaderValue = "web"
    /// Oldest sessions are forgotten past this many.
    static let maximumSessions = 1000

    private struct State {
        var loginToken: String?
        var sessions: [String] = []
    }

    private let state: Mutex<State>
    /// The token of the sign-in address printed at start.
    let loginToken: String

    public init() {
        let token = Self.randomToken()
        loginToken = token
        state = Mutex(State(loginToken: token))
    }

    /// The address that signs a browser in once: `http://HOST:PORT/login?token=…`.
    public func signInAddress(host: String, port: Int) -> String {
        let shown = host.contains(":") ? "[\(host)]" : host
        return "http://\(shown):\(port)/login?token=\(loginToken)"
    }

    /// A new session when `offered` is the unused login token (used up by
    /// this) or the API token; nil otherwise.
    func signIn(offered: String, token: APIToken) -> String? {
        let session = Self.randomToken()
        let accepted = state.withLock { state -> Bool in
            let oneTime = state.loginToken.map { Self.equal($0, offered) } ?? false
            guard oneTime || token.accepts(authorization: "Bearer " + offered) else { return false }
            if oneTime { state.loginToken = nil }
            state.sessions.append(session)
            if state.sessions.count > Self.maximumSessions { state.sessions.removeFirst() }
            return true
        }
        return accepted ? session : nil
    }

    /// Whether the request carries the cookie of a session of this run.
    func isSignedIn(_ request: Request) -> Bool {
        guard let session = Self.cookie(Self.cookieName, in: request) else { return false }
        return state.withLock { state in state.sessions.contains { Self.equal($0, session) } }
    }

    /// 32 random bytes in hex.
    static func randomToken() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
    }

    /// Compared in constant time, as the API token is.
    static func equal(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        var difference = UInt8(x.count == y.count ? 0 : 1)
        for index in 0..<x.count { difference |= x[index] ^ (index < y.count ? y[index] : 0) }
        return difference == 0
    }

    /// The value of cookie `name`, from every `Cookie` header.
    static func cookie(_ name: String, in request: Request) -> String? {
        for header in request.headers[values: .cookie] {
            for pair in header.split(separator: ";") {
                let parts = pair.split(separator: "=", maxSplits: 1)
                if parts.count == 2, parts[0].trimmingCharacters(in: .whitespaces) == name {
                    return parts[1].trimmingCharacters(in: .whitespaces)
                }
            }
        }
        return nil
    }
}

/// What a request may do, as far as who sent it goes.
enum WebAuthorization {
    /// The token's rights (or none, and the procedure's own check refuses).
    case authorized(Bool)
    case refused(TRPCError)
}

extension RequestHandler {
    /// The dashboard's routes: its files, `/login` and `/session`; nil for any other path.
    func webResponse(to request: Request) -> Response? {
        let path = request.uri.path
        guard path == "/login" || path == "/session" || WebAsset.byPath[path] != nil else { return nil }
        if loopback, let authority = request.head.authority, !Self.isLocalAuthority(authority) {
            return page(.forbidden, "This server answers only requests addressed to localhost, 127.0.0.1 or [::1].")
        }
        guard request.method == .get || request.method == .head else {
            var response = page(.methodNotAllowed, "Use GET.")
            response.headers[.allow] = "GET, HEAD"
            return response
        }
        switch path {
        case "/login": return login(request)
        case "/session":
            let body = Data(#"{"signedIn":\#(sessions.isSignedIn(request))}"#.utf8)
            var headers = WebAsset.commonHeaders
            headers[.contentType] = "application/json"
            headers[.cacheControl] = "no-store"
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
        default: return WebAsset.byPath[path]!.response(to: request)
        }
    }

    /// `/login?token=…`: the session cookie and a redirect to the dashboard, or 403.
    private func login(_ request: Request) -> Response {
        let offered = Self.queryParameters(request.uri.query)["token"] ?? ""
        guard let session = sessions.signIn(offered: offered, token: token) else {
            return page(.forbidden, "This sign-in link was already used, or its token is wrong. Restart the server for a new "
                + "link (it prints a line starting with \"Dashboard:\"), or open /login?token= followed by the API token.")
        }
        var headers = WebAsset.commonHeaders
        // Secure: a cookie for a server beyond loopback travels only over HTTPS (a TLS proxy in front of it).
        headers[.setCookie] = "\(WebSessions.cookieName)=\(session); Path=/; HttpOnly; SameSite=Strict" + (loopback ? "" : "; Secure")
        headers[.location] = "/"
        headers[.cacheControl] = "no-store"
        return Response(status: .seeOther, headers: headers)
    }

    /// A short HTML page with one message, escaped.
    private func page(_ status: HTTPResponse.Status, _ message: String) -> Response {
        var headers = WebAsset.commonHeaders
        headers[.contentType] = "text/html; charset=utf-8"
        headers[.cacheControl] = "no-store"
        let html = "<!doctype html><meta charset=\"utf-8\"><title>openspec-sync</title><p>"
            + MarkdownRenderer.escape(message) + "</p>\n"
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: html)))
    }

    /// The bearer token, or a session cookie: enough for reads; for a POST
    /// only with this server's own `Origin` and the dashboard's header, so
    /// another site's page (a form, a script) can never change files.
    func webAuthorization(_ request: Request) -> WebAuthorization {
        if token.accepts(authorization: request.headers[.authorization]) { return .authorized(true) }
        let origin = request.headers[.origin]
        let ownOrigin = origin.map { Self.isOwnOrigin($0, authority: request.head.authority) } ?? false
        if request.method == .post, let origin, !ownOrigin, !options.allowedOrigins.contains(origin) {
            return .refused(TRPCError(.forbidden, "a request from the web page \(Self.clip(origin)) may not change anything here"))
        }
        guard sessions.isSignedIn(request) else { return .authorized(false) }
        guard request.method == .post else { return .authorized(true) }
        guard ownOrigin, request.headers[WebSessions.mutationHeader] == WebSessions.mutationHeaderValue else {
            return .refused(TRPCError(.forbidden, "a signed-in page changes files only from this server's own origin, with the header "
                + "X-OpenSpec-Sync: web; scripts send Authorization: Bearer <token> instead"))
        }
        return .authorized(true)
    }

    /// `http://` or `https://` (behind a TLS proxy) and the authority the request was sent to.
    static func isOwnOrigin(_ origin: String, authority: String?) -> Bool {
        guard let authority else { return false }
        let host = authority.lowercased()
        return origin.lowercased() == "http://" + host || origin.lowercased() == "https://" + host
    }
}
