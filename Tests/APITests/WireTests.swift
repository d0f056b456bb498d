import Foundation
import OpenSpecSyncTestSupport
import Testing

/// tRPC's wire format, its error classes, the token rule and path safety:
/// in-process, but for what needs the real binary and socket (the token
/// file, the listening address, CORS headers, the Host header).
@Suite("API wire format and safety", .serialized)
struct WireTests {
    @Test("batches: GET queries and POST mutations, one reply each in order, 207 when mixed")
    func batches() async throws {
        let server = try LiveServer()
        let repo = try makeProject(server)
        try await server.inProcess { api in

            let both = try await api.query("projects.list,specs.get?batch=1", json(["1": ["specId": "add-login"]]))
            #expect(both.status == 200, "\(both)")
            let replies = try #require(both.json as? [[String: Any]])
            #expect(replies.count == 2)
            #expect(((replies[0]["result"] as? [String: Any])?["data"] as? [[String: Any]])?.first?["name"] as? String == "demo")
            #expect(((replies[1]["result"] as? [String: Any])?["data"] as? [String: Any])?["changeId"] as? String == "add-login")

            let mixed = try await api.query("specs.list,no.such,specs.get?batch=1", json(["2": ["specId": "nothing-like-it"]]))
            #expect(mixed.status == 207, "\(mixed)")
            let parts = try #require(mixed.json as? [[String: Any]])
            #expect(parts[0]["result"] != nil)
            #expect(((parts[1]["error"] as? [String: Any])?["data"] as? [String: Any])?["code"] as? String == "NOT_FOUND")
            #expect(((parts[1]["error"] as? [String: Any])?["data"] as? [String: Any])?["path"] as? String == "no.such")
            #expect(((parts[2]["error"] as? [String: Any])?["data"] as? [String: Any])?["path"] as? String == "specs.get")

            // All calls failing alike: that status.
            let allMissing = try await api.query("a.b,c.d?batch=1")
            #expect(allMissing.status == 404, "\(allMissing)")

            let posted = try await api.mutate("specs.toggleTask,specs.toggleTask?batch=1", json([
                "0": ["specId": "add-login", "task": "1.2", "done": true],
                "1": ["specId": "add-search", "task": "1.1", "done": true],
            ]))
            #expect(posted.status == 200, "\(posted)")
            #expect((posted.json as? [[String: Any]])?.compactMap { ($0["result"] as? [String: Any])?["data"] as? [String: Any] }.map { $0["outcome"] as? String } == ["written", "written"])
            #expect(try repo.readText("openspec/changes/add-search/tasks.md") == "- [x] 1.1 Index\n")

            let notObject = try await api.query("projects.list?batch=1", "[1]")
            #expect(notObject.status == 400, "\(notObject)")
            // A subscription cannot be batched.
            let subscription = try await api.query("sync.subscribe,projects.list?batch=1")
            #expect(subscription.status == 207, "\(subscription)")
        }
    }

    @Test("each error class has tRPC's code, number and HTTP status, and never a machine path")
    func errorClasses() async throws {
        let server = try LiveServer()
        let repo = try makeProject(server)
        try await server.inProcess(maxBodyBytes: 4096) { api in

            func expectError(_ reply: Reply, _ code: String, _ number: Int, _ status: Int, path: String? = nil,
                             sourceLocation: SourceLocation = #_sourceLocation) {
                #expect(reply.status == status, "\(reply)", sourceLocation: sourceLocation)
                #expect(reply.errorCode == code, "\(reply)", sourceLocation: sourceLocation)
                #expect(reply.error["code"] as? Int == number, "\(reply)", sourceLocation: sourceLocation)
                let data = reply.error["data"] as? [String: Any] ?? [:]
                #expect(data["httpStatus"] as? Int == status, sourceLocation: sourceLocation)
                if let path { #expect(data["path"] as? String == path, sourceLocation: sourceLocation) }
                #expect((reply.error["message"] as? String)?.isEmpty == false, sourceLocation: sourceLocation)
                #expect(!reply.body.contains(repo.path) && !reply.body.contains(server.folder), "a machine path leaked: \(reply)", sourceLocation: sourceLocation)
                #expect(!reply.body.contains("stack"), sourceLocation: sourceLocation)
            }

            expectError(try await api.query("specs.get", "{not json"), "PARSE_ERROR", -32700, 400, path: "specs.get")
            expectError(try await api.mutate("specs.update", "{\"specId\": "), "PARSE_ERROR", -32700, 400)
            expectError(try await api.query("specs.get", json(["specId": 42])), "BAD_REQUEST", -32600, 400, path: "specs.get")
            expectError(try await api.query("specs.get", json(["specID": "add-login"])), "BAD_REQUEST", -32600, 400)
            expectError(try await api.query("specs.get", "[1,2]"), "BAD_REQUEST", -32600, 400)
            expectError(try await api.query("specs.get"), "BAD_REQUEST", -32600, 400)
            expectError(try await api.query("sync.getSyncHistory", json(["limit": 0])), "BAD_REQUEST", -32600, 400)
            expectError(try await api.query("sync.getSyncHistory", json(["limit": 1.5])), "BAD_REQUEST", -32600, 400)
            expectError(try await api.query("specs.list", json(["status": "gone"])), "BAD_REQUEST", -32600, 400)
            expectError(try await api.mutate("specs.toggleTask", json(["specId": "add-login", "task": "1.1", "done": "yes"])), "BAD_REQUEST", -32600, 400)
            expectError(try await api.mutate("specs.update", json(["specId": "add-login", "file": "tasks.md", "content": "x", "baseVersion": "not-a-version"])), "BAD_REQUEST", -32600, 400)
            expectError(try await api.query("specs.get", json(["specId": "no-such-change"])), "NOT_FOUND", -32004, 404, path: "specs.get")
            expectError(try await api.query("specs.list", json(["projectId": "nope"])), "NOT_FOUND", -32004, 404)
            expectError(try await api.query("no.such.procedure"), "NOT_FOUND", -32004, 404, path: "no.such.procedure")
            expectError(try await api.request("/elsewhere", method: .get), "NOT_FOUND", -32004, 404)
            // Wrong method: a mutation by GET, a query by POST, and PUT.
            expectError(try await api.query("specs.update", json(["specId": "add-login"])), "METHOD_NOT_SUPPORTED", -32005, 405)
            expectError(try await api.mutate("projects.list", nil), "METHOD_NOT_SUPPORTED", -32005, 405)
            expectError(try await api.request("/trpc/projects.list", method: .put), "METHOD_NOT_SUPPORTED", -32005, 405)
            // A body over the limit: refused before it is read.
            let big = json(["specId": "add-login", "file": "tasks.md", "content": String(repeating: "x", count: 10_000), "baseVersion": NSNull()])
            expectError(try await api.mutate("specs.update", big), "PAYLOAD_TOO_LARGE", -32013, 413)
            expectError(try await api.query("specs.get", json(["specId": String(repeating: "y", count: 5000)])), "PAYLOAD_TOO_LARGE", -32013, 413)

            // Odd input never crashes the server: deep nesting, NUL, huge numbers, invalid UTF-8.
            for input in [String(repeating: "[", count: 3000), "{\"specId\":\"\u{0}\"}", "{\"limit\":1e400}", "\u{FEFF}{}", "\"\\ud800\""] {
                let reply = try await api.query("sync.getSyncHistory", input)
                #expect((400..<500).contains(reply.status) || reply.status == 200, "\(input.prefix(20)): \(reply)")
            }
            let binary = try await api.request("/trpc/sync.forceSync", method: .post, headers: ["Authorization: Bearer \(LiveServer.token)"],
                                               bytes: Array(try Data(contentsOf: URL(fileURLWithPath: "/bin/true"))))
            #expect(binary.status == 400 || binary.status == 413, "\(binary)")
            #expect(try await api.query("projects.list").status == 200, "the server is still up")
        }
    }

    @Test("mutations need the bearer token; queries on loopback do not; --token-for-reads covers everything")
    func tokenRule() async throws {
        let server = try LiveServer()
        let repo = try makeProject(server)
        let head = try repo.git("rev-parse", "HEAD")
        let toggle = json(["specId": "add-login", "task": "1.2", "done": true])
        try await server.inProcess { api in
            let none = try await api.mutate("specs.toggleTask", toggle, token: nil)
            #expect(none.status == 401 && none.errorCode == "UNAUTHORIZED", "\(none)")
            #expect(none.error["code"] as? Int == -32001)
            let wrong = try await api.mutate("specs.toggleTask", toggle, token: LiveServer.token + "x")
            #expect(wrong.status == 401, "\(wrong)")
            let short = try await api.mutate("specs.toggleTask", toggle, token: String(LiveServer.token.dropLast()))
            #expect(short.status == 401, "\(short)")
            let basic = try await api.mutate("specs.toggleTask", toggle, token: nil, headers: ["Authorization: Basic \(LiveServer.token)"])
            #expect(basic.status == 401, "\(basic)")
            #expect(try repo.git("rev-parse", "HEAD") == head, "nothing was committed without the token")
            #expect(try server.sql("SELECT COUNT(*) FROM pendingWrites") == "0")
            #expect(try await api.query("projects.list").status == 200, "queries need no token on loopback")
            let right = try await api.mutate("specs.toggleTask", toggle)
            #expect(right.status == 200, "\(right)")
        }

        // Token for everything.
        try await server.inProcess(tokenForReads: true) { api in
            #expect(try await api.query("projects.list").status == 401)
            #expect(try await api.query("projects.list", headers: ["Authorization: Bearer \(LiveServer.token)"]).status == 200)
            let stream = try await api.query("sync.subscribe")
            #expect(stream.status == 401, "\(stream)")
        }
    }

    @Test("serve without OPENSPEC_SYNC_TOKEN makes a token file only its owner reads; beyond loopback it needs the user's own token")
    func tokenFileAndPublicHost() throws {
        let server = try LiveServer()
        let repo = try makeProject(server)  // kept: forceSync reads it
        try server.start(["serve"], token: nil)
        let file = server.folder + "/api-token"
        let attributes = try FileManager.default.attributesOfItem(atPath: file)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        let generated = try String(contentsOfFile: file, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(generated.count == 64)
        let forced = try server.mutate("sync.forceSync", nil, token: generated)
        #expect(forced.status == 200, "\(forced)")
        #expect(try server.mutate("sync.forceSync", nil, token: LiveServer.token).status == 401)
        server.stop()
        #expect(repo.exists("openspec"))

        // Beyond loopback: refused without a token of the user's own, with words that say what to do.
        var env = server.environment
        env["OPENSPEC_SYNC_TOKEN"] = nil
        let refused = try runProcess(openSpecSyncBinary, ["serve", "--host", "0.0.0.0", "--port", "0"], environment: env)
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("refusing to listen on 0.0.0.0") && refused.stderr.contains("OPENSPEC_SYNC_TOKEN"), "\(refused.stderr)")
        env["OPENSPEC_SYNC_TOKEN"] = "short"
        let weak = try runProcess(openSpecSyncBinary, ["serve", "--port", "0"], environment: env)
        #expect(weak.status == 1 && weak.stderr.contains("shorter than 16"), "\(weak.stderr)")
    }

    @Test("a request addressed to another name (DNS rebinding) is refused by the real server")
    func otherHostRefused() throws {
        let server = try LiveServer()
        _ = try makeProject(server)
        try server.start()
        let reply = try server.query("projects.list", headers: ["Host: evil.example:80"])
        #expect(reply.status == 403 && reply.errorCode == "FORBIDDEN" && reply.error["code"] as? Int == -32003, "\(reply)")
        #expect((reply.error["data"] as? [String: Any])?["path"] as? String == "projects.list")
        #expect(try server.query("projects.list", headers: ["Host: localhost:\(server.port)"]).status == 200)
    }

    @Test("a web origin named with --allow-origin gets CORS headers and its preflight answered; others get none")
    func allowedOrigin() throws {
        let server = try LiveServer()
        _ = try makeProject(server)
        try server.start(["serve", "--allow-origin", "http://localhost:5173"])
        let preflight = try server.curl(["-i", "-X", "OPTIONS", server.base + "specs.toggleTask",
                                         "-H", "Origin: http://localhost:5173", "-H", "Access-Control-Request-Method: POST"])
        #expect(preflight.status == 204, "\(preflight)")
        #expect(preflight.body.lowercased().contains("access-control-allow-origin: http://localhost:5173"))
        #expect(preflight.body.lowercased().contains("access-control-allow-headers: authorization"))
        let allowed = try server.curl(["-i", "-G", server.base + "projects.list", "-H", "Origin: http://localhost:5173"])
        #expect(allowed.status == 200 && allowed.body.lowercased().contains("access-control-allow-origin: http://localhost:5173"), "\(allowed)")
        let other = try server.curl(["-i", "-G", server.base + "projects.list", "-H", "Origin: http://evil.example"])
        #expect(!other.body.lowercased().contains("access-control-allow-origin"), "\(other)")
        let otherPreflight = try server.curl(["-X", "OPTIONS", server.base + "specs.toggleTask", "-H", "Origin: http://evil.example"])
        #expect(otherPreflight.status == 405, "\(otherPreflight)")
    }

    @Test("file names that leave the change folder are refused before anything is touched", arguments: [
        "../escape.md", "../../../../outside.md", "/etc/passwd", "specs/../../x.md", "a\u{0}b.md", "specs\\auth\\spec.md",
        ".git/config", "specs/.git/hooks/post-commit", "", "./tasks.md", "specs//spec.md",
    ])
    func traversal(file: String) async throws {
        let server = try LiveServer()
        let repo = try makeProject(server)
        try await server.inProcess { api in
            let head = try repo.git("rev-parse", "HEAD")
            let reply = try await api.mutate("specs.update", json(["specId": "add-login", "file": file, "content": "pwned\n", "baseVersion": NSNull()]))
            #expect(reply.status == 400 && reply.errorCode == "BAD_REQUEST", "\(file): \(reply)")
            #expect(!reply.body.contains(repo.path))
            #expect(try repo.git("rev-parse", "HEAD") == head)
            #expect(try repo.git("status", "--porcelain", "--ignored") == "")
            #expect(try server.sql("SELECT COUNT(*) FROM pendingWrites") == "0")
        }
    }

    @Test("a symbolic link out of the tree is never written through")
    func symlinkOut() async throws {
        let server = try LiveServer()
        let repo = try makeProject(server)
        let outside = try makeTemporaryDirectory(prefix: "outside")
        defer { try? FileManager.default.removeItem(atPath: outside) }
        try "original\n".write(toFile: outside + "/target.md", atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: repo.path + "/openspec/changes/add-login/specs", withDestinationPath: outside)
        try FileManager.default.createSymbolicLink(atPath: repo.path + "/openspec/changes/add-login/design.md", withDestinationPath: outside + "/target.md")
        try repo.commitAll("links")
        // Links inside a change are reported by the reconcile, never followed.
        try server.cli(["reconcile", "--repo", repo.path])
        try await server.inProcess { api in
            let head = try repo.git("rev-parse", "HEAD")
            for file in ["specs/target.md", "specs/new/spec.md", "design.md"] {
                let reply = try await api.mutate("specs.update", json(["specId": "add-login", "file": file, "content": "pwned\n", "baseVersion": NSNull()]))
                #expect(reply.status == 400 && reply.errorCode == "BAD_REQUEST", "\(file): \(reply)")
                #expect(!reply.body.contains(outside) && !reply.body.contains(repo.path), "\(reply)")
            }
            #expect(try String(contentsOfFile: outside + "/target.md", encoding: .utf8) == "original\n")
            #expect(try FileManager.default.contentsOfDirectory(atPath: outside) == ["target.md"])
            #expect(try repo.git("rev-parse", "HEAD") == head)
            #expect(try repo.git("status", "--porcelain") == "")
        }
    }
}
