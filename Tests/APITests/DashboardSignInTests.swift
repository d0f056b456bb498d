import Foundation
import OpenSpecSyncTestSupport
import Testing

/// The dashboard's files, its sign-in, and which requests a signed-in page may make.
@Suite("Dashboard sign-in and pages", .serialized)
struct DashboardSignInTests {
    /// The one-time token of the `Dashboard:` line the server printed.
    static func loginToken(_ server: LiveServer) throws -> String {
        let range = try #require(server.output.range(of: #"Dashboard: http://127\.0\.0\.1:\d+/login\?token=[0-9a-f]{64}"#, options: .regularExpression),
                                 "no Dashboard line in: \(server.output)")
        return String(server.output[range].split(separator: "=").last!)
    }

    /// Signs in with `token`; the session cookie, if one was set.
    static func signIn(_ server: LiveServer, token: String) throws -> (reply: Reply, cookie: String?) {
        let reply = try server.curl(["-i", "http://127.0.0.1:\(server.port)/login?token=\(token)"])
        let line = reply.body.components(separatedBy: "\r\n").first { $0.lowercased().hasPrefix("set-cookie: openspec_sync_session=") }
        let cookie = line.map { String($0.dropFirst("set-cookie: ".count).split(separator: ";")[0]) }
        return (reply, cookie)
    }

    var origin: (LiveServer) -> String { { "http://127.0.0.1:\($0.port)" } }

    @Test("the page, script and style are served with an ETag, 304 when unchanged, no-cache and the CSP")
    func staticFiles() throws {
        let server = try LiveServer()
        try server.start(token: nil)
        for (path, type) in [("/", "text/html"), ("/app.js", "text/javascript"), ("/app.css", "text/css")] {
            let reply = try server.curl(["-i", "http://127.0.0.1:\(server.port)\(path)"])
            #expect(reply.status == 200, "\(reply)")
            let head = reply.body.lowercased()
            #expect(head.contains("content-type: \(type)"), "\(reply)")
            #expect(head.contains("cache-control: no-cache"))
            #expect(head.contains("content-security-policy: default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"))
            let etagLine = try #require(reply.body.components(separatedBy: "\r\n").first { $0.lowercased().hasPrefix("etag:") })
            let etag = etagLine.dropFirst(5).trimmingCharacters(in: .whitespaces)
            #expect(etag.hasPrefix("\"") && !etag.hasPrefix("W/"))
            let again = try server.curl(["http://127.0.0.1:\(server.port)\(path)", "-H", "If-None-Match: \(etag)"])
            #expect(again.status == 304 && again.body.isEmpty, "\(again)")
            let other = try server.curl(["-o", "/dev/null", "http://127.0.0.1:\(server.port)\(path)", "-H", "If-None-Match: \"other\""])
            #expect(other.status == 200)
        }
        let page = try server.curl(["http://127.0.0.1:\(server.port)/"])
        #expect(page.body.contains("/app.js"))
    }

    @Test("the login token signs in once; a second use is refused; the API token signs in again")
    func loginTokenOnce() throws {
        let server = try LiveServer()
        try server.start()
        let token = try Self.loginToken(server)
        let first = try Self.signIn(server, token: token)
        #expect(first.reply.status == 303, "\(first.reply)")
        #expect(first.reply.body.lowercased().contains("location: /\r\n"))
        let setCookie = first.reply.body.lowercased().components(separatedBy: "\r\n").first { $0.hasPrefix("set-cookie:") } ?? ""
        #expect(setCookie.contains("httponly") && setCookie.contains("samesite=strict") && setCookie.contains("path=/"), "\(setCookie)")
        #expect(!setCookie.contains("secure"), "a loopback server's cookie must work over http")
        let cookie = try #require(first.cookie)

        let signedIn = try server.curl(["http://127.0.0.1:\(server.port)/session", "-H", "Cookie: \(cookie)"])
        #expect(signedIn.object["signedIn"] as? Bool == true, "\(signedIn)")
        let anonymous = try server.curl(["http://127.0.0.1:\(server.port)/session"])
        #expect(anonymous.object["signedIn"] as? Bool == false, "\(anonymous)")

        let second = try Self.signIn(server, token: token)
        #expect(second.reply.status == 403 && second.cookie == nil, "\(second.reply)")
        #expect(second.reply.body.contains("already used"))
        let wrong = try Self.signIn(server, token: String(repeating: "0", count: 64))
        #expect(wrong.reply.status == 403 && wrong.cookie == nil)
        let withAPIToken = try Self.signIn(server, token: LiveServer.token)
        #expect(withAPIToken.reply.status == 303 && withAPIToken.cookie != nil, "\(withAPIToken.reply)")
        // The login token differs from the API token.
        #expect(token != LiveServer.token)
    }

    @Test("mutations: cookie alone, another Origin or a form post are refused; cookie, own Origin and header allowed; bearer still works")
    func mutationRule() throws {
        let server = try LiveServer()
        let repo = try makeProject(server)
        try server.start()
        let cookie = try #require(try Self.signIn(server, token: try Self.loginToken(server)).cookie)
        let own = origin(server)
        let toggle = json(["specId": "add-search", "task": "1.1", "done": true])

        let noCookie = try server.mutate("specs.toggleTask", toggle, token: nil, headers: ["Origin: \(own)", "X-OpenSpec-Sync: web"])
        #expect(noCookie.status == 401 && noCookie.errorCode == "UNAUTHORIZED", "\(noCookie)")
        let cookieOnly = try server.mutate("specs.toggleTask", toggle, token: nil, headers: ["Cookie: \(cookie)"])
        #expect(cookieOnly.status == 403 && cookieOnly.errorCode == "FORBIDDEN", "\(cookieOnly)")
        let noHeader = try server.mutate("specs.toggleTask", toggle, token: nil, headers: ["Cookie: \(cookie)", "Origin: \(own)"])
        #expect(noHeader.status == 403, "\(noHeader)")
        let otherOrigin = try server.mutate("specs.toggleTask", toggle, token: nil,
                                            headers: ["Cookie: \(cookie)", "Origin: http://evil.example", "X-OpenSpec-Sync: web"])
        #expect(otherOrigin.status == 403, "\(otherOrigin)")
        for withCookie in [true, false] {
            let form = try server.curl(["-X", "POST", server.base + "specs.toggleTask", "-H", "Content-Type: application/x-www-form-urlencoded",
                                        "-H", "Origin: http://evil.example", "--data-binary", "specId=add-search&task=1.1&done=true"]
                                       + (withCookie ? ["-H", "Cookie: \(cookie)"] : []))
            #expect(form.status == 403 && form.errorCode == "FORBIDDEN", "\(form)")
        }
        #expect(try repo.readText("openspec/changes/add-search/tasks.md") == "- [ ] 1.1 Index\n", "nothing refused may have written")

        let allowed = try server.mutate("specs.toggleTask", toggle, token: nil,
                                        headers: ["Cookie: \(cookie)", "Origin: \(own)", "X-OpenSpec-Sync: web"])
        #expect(allowed.status == 200, "\(allowed)")
        #expect(try repo.readText("openspec/changes/add-search/tasks.md") == "- [x] 1.1 Index\n")

        let bearer = try server.mutate("specs.toggleTask", json(["specId": "add-search", "task": "1.1", "done": false]))
        #expect(bearer.status == 200, "\(bearer)")
        // A cookie from before a restart (or made up) is no session.
        let madeUp = try server.mutate("specs.toggleTask", toggle, token: nil,
                                       headers: ["Cookie: openspec_sync_session=\(String(repeating: "a", count: 64))", "Origin: \(own)", "X-OpenSpec-Sync: web"])
        #expect(madeUp.status == 401, "\(madeUp)")
    }

    @Test("reads on loopback need no sign-in, and the pages are refused under a name other than localhost")
    func readsOnLoopback() throws {
        let server = try LiveServer()
        _ = try makeProject(server)
        try server.start()
        let list = try server.query("specs.list")
        #expect(list.status == 200, "\(list)")
        let rebound = try server.curl(["http://127.0.0.1:\(server.port)/session", "-H", "Host: evil.example:\(server.port)"])
        #expect(rebound.status == 403, "\(rebound)")
    }
}
