import Foundation
import OpenSpecSyncTestSupport
import Testing

/// The dashboard's procedures: specs.search, specs.render, specs.diff, conflicts.get, mainSpecs.list and mainSpecs.get.
@Suite("Dashboard procedures", .serialized)
struct DashboardProcedureTests {
    static let unsafeMarkdown = """
        # Notes

        <script>alert(1)</script>

        <img src=x onerror=alert(1)>

        Inline <b onclick="alert(1)">bold</b> and a < b.

        [a](javascript:alert(1)) [b](JaVaScRiPt:alert(2)) [c](  javascript:alert(3)) [d](&#106;avascript:alert(4))
        [e](vbscript:msgbox(1)) [f](data:text/html;base64,PHNjcmlwdD4=) ![g](javascript:alert(5)) [h](java&#x09;script:alert(6))
        [q](x" onmouseover="alert(7)) ![i](x"onerror="alert(8))

        [ok](https://example.com/x) and [rel](other.md) and `<b>code</b>`

        - item one
        - item **two**

        ```swift
        let x = "<tag>"
        ```

        """

    /// Two commits on fixed dates: three changes (one archived) and a main spec, then two more changes a month later.
    static func makeCorpus(_ server: LiveServer) throws -> TempRepo {
        let repo = try TempRepo()
        try repo.write("openspec/changes/add-login/proposal.md", "# Change: Add login\n\n## Why\nUsers.\n")
        try repo.write("openspec/changes/add-login/tasks.md", "## 1. Work\n- [x] 1.1 Form\n- [ ] 1.2 Session\n")
        try repo.write("openspec/changes/add-search/proposal.md", "# Change: Add search\n\n## Why\nFinding.\n")
        try repo.write("openspec/changes/add-search/tasks.md", "- [ ] 1.1 Index\n")
        try repo.write("openspec/changes/archive/2026-01-12-add-rate-limit/tasks.md", "- [ ] unfinished\n")
        try repo.write("openspec/specs/auth/spec.md", "# Auth\n\n## Purpose\nAuth.\n\n## Requirements\n### Requirement: A\nIt SHALL sign in.\n\n#### Scenario: in\n- **WHEN** x\n- **THEN** y\n")
        try commit(repo, "first", date: "2026-01-01T00:00:00Z")
        try repo.write("openspec/changes/rework-auth/proposal.md", "# Change: Rework auth\n\n## Why\nBetter.\n")
        try repo.write("openspec/changes/rework-auth/design.md", "## Design\nA zebra crossing.\n")
        try repo.write("openspec/changes/rework-auth/notes.md", unsafeMarkdown)
        try repo.write("openspec/changes/rework-auth/specs/auth/spec.md", """
            ## MODIFIED Requirements
            ### Requirement: A
            It SHALL sign in faster.

            #### Scenario: fast
            - **WHEN** x
            - **THEN** y

            ## ADDED Requirements
            ### Requirement: B
            It SHALL be new.

            #### Scenario: new
            - **WHEN** a
            - **THEN** b

            """)
        try repo.write("openspec/changes/finish-docs/proposal.md", "# Change: Finish docs\n\n## Why\nDone.\n")
        try repo.write("openspec/changes/finish-docs/tasks.md", "- [x] 1.1 Write\n- [x] 1.2 Read\n")
        try commit(repo, "second", date: "2026-02-01T00:00:00Z")
        let registered = try server.cli(["init", "--repo", repo.path, "--name", "demo"])
        #expect(registered.status == 0, "\(registered.stderr)")
        let synced = try server.cli(["reconcile", "--repo", repo.path])
        #expect(synced.status == 0 || synced.status == 3, "\(synced.stderr)")
        return repo
    }

    static func commit(_ repo: TempRepo, _ message: String, date: String) throws {
        try repo.git("add", "-A")
        try repo.git(["commit", "-q", "-m", message], environment: ["GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date])
    }

    func search(_ server: LiveServer, _ input: [String: Any]) throws -> (total: Int, columns: [String: Int], ids: [String], items: [[String: Any]]) {
        let reply = try server.query("specs.search", json(input))
        #expect(reply.status == 200, "\(reply)")
        let data = reply.data as? [String: Any] ?? [:]
        let items = data["items"] as? [[String: Any]] ?? []
        return (data["total"] as? Int ?? -1, data["columns"] as? [String: Int] ?? [:], items.compactMap { $0["changeId"] as? String }, items)
    }

    @Test("specs.search filters, counts per column, sorts and pages; createdAt is the first commit of the change")
    func searchChanges() throws {
        let server = try LiveServer()
        let repo = try Self.makeCorpus(server)
        try server.start()
        defer { withExtendedLifetime(repo) {} }

        let all = try search(server, [:])
        #expect(all.total == 5)
        #expect(all.columns == ["no-tasks": 1, "in-progress": 2, "complete": 1, "archived": 1])
        #expect(all.ids == ["add-login", "add-rate-limit", "add-search", "finish-docs", "rework-auth"])
        let login = try #require(all.items.first)
        #expect(login["tasksDone"] as? Int == 1 && login["tasksTotal"] as? Int == 2 && login["progress"] as? Int == 50)
        #expect(login["column"] as? String == "in-progress" && login["status"] as? String == "active")
        #expect(login["project"] as? String == "demo" && login["openConflicts"] as? Int == 0)
        // No delta specs: an ERROR issue.
        #expect(login["hasErrors"] as? Bool == true && login["issueCount"] as? Int ?? 0 > 0)
        #expect(login["createdAt"] as? String == "2026-01-01T00:00:00Z", "\(login)")
        #expect(login["changedAt"] is String)
        #expect(all.items.first { $0["changeId"] as? String == "rework-auth" }?["createdAt"] as? String == "2026-02-01T00:00:00Z")
        #expect(all.items.first { $0["changeId"] as? String == "add-rate-limit" }?["column"] as? String == "archived")

        let column = try search(server, ["column": "in-progress"])
        #expect(column.ids == ["add-login", "add-search"] && column.total == 2)
        #expect(column.columns == all.columns, "the counts per column ignore the column filter")
        #expect(try search(server, ["status": "active"]).total == 4)
        #expect(try search(server, ["text": "ZEBRA"]).ids == ["rework-auth"], "the text of the change's files, ignoring case")
        #expect(try search(server, ["text": "rate-limit"]).ids == ["add-rate-limit"])
        #expect(try search(server, ["text": "Add search"]).ids == ["add-search"], "the title")
        #expect(try search(server, ["text": "onmouseover"]).ids == ["rework-auth"], "a file other than proposal, tasks and design")
        #expect(try search(server, ["text": "%"]).total == 0, "LIKE's wildcards match themselves")
        #expect(try search(server, ["progressMin": 50]).ids == ["add-login", "finish-docs"])
        #expect(try search(server, ["progressMax": 0, "status": "active"]).ids == ["add-search", "rework-auth"])
        #expect(try search(server, ["hasConflicts": true]).total == 0)
        let withErrors = Set(all.items.filter { $0["hasErrors"] as? Bool == true }.compactMap { $0["changeId"] as? String })
        #expect(Set(try search(server, ["hasErrors": true]).ids) == withErrors)
        #expect(Set(try search(server, ["hasErrors": false]).ids) == Set(all.ids).subtracting(withErrors))
        #expect(try search(server, ["sort": "progress", "order": "desc", "limit": 2]).ids == ["finish-docs", "add-login"])
        let paged = try search(server, ["sort": "progress", "order": "desc", "limit": 2, "offset": 2])
        #expect(paged.total == 5 && paged.ids.count == 2)
        #expect(try search(server, ["sort": "title"]).ids.first == "add-login")
        #expect(try search(server, ["sort": "created", "order": "desc"]).ids == ["finish-docs", "rework-auth", "add-login", "add-rate-limit", "add-search"])
        #expect(try search(server, ["sort": "created", "limit": 1, "offset": 1]).ids == ["add-rate-limit"])

        for bad in [["limit": 501], ["limit": 0], ["sort": "size"], ["column": "todo"], ["progressMin": 80, "progressMax": 20], ["nope": 1]] as [[String: Any]] {
            let reply = try server.query("specs.search", json(bad))
            #expect(reply.status == 400 && reply.errorCode == "BAD_REQUEST", "\(bad): \(reply)")
        }
    }

    @Test("specs.render: documents in order, raw HTML shown as text, unsafe URLs refused, deltas beside the main spec")
    func render() throws {
        let server = try LiveServer()
        _ = try Self.makeCorpus(server)
        try server.start()
        let reply = try server.query("specs.render", json(["specId": "rework-auth"]))
        #expect(reply.status == 200, "\(reply)")
        let data = try #require(reply.data as? [String: Any])
        #expect(data["title"] as? String == "Rework auth" && data["status"] as? String == "active")
        let documents = try #require(data["documents"] as? [[String: Any]])
        #expect(documents.map { $0["path"] as? String } == ["proposal.md", "design.md", "notes.md"])
        let html = try #require(documents.last?["html"] as? String)

        // Shown as text, never as markup.
        #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "\(html)")
        #expect(html.contains("&lt;img src=x onerror=alert(1)&gt;"))
        let lower = html.lowercased()
        for forbidden in ["<script", "<b ", "<iframe"] {
            #expect(!lower.contains(forbidden), "\(forbidden) in \(html)")
        }
        // Every tag carries only the attributes markdown makes.
        let allowed: Set<String> = ["href", "src", "alt", "title", "rel", "class", "start"]
        for attributes in matches(#"<[a-z0-9]+((?:\s[^>]*)?)>"#, in: html) {
            let names = Set(matches(#"\s([a-z-]+)="#, in: attributes))
            #expect(names.isSubset(of: allowed), "\(attributes) in \(html)")
        }
        // Every URL left is http(s) or relative.
        let urls = matches(#"(?:href|src)="([^"]*)""#, in: html)
        #expect(!urls.isEmpty)
        for url in urls {
            let decoded = url.replacingOccurrences(of: "&amp;", with: "&").lowercased()
            #expect(decoded.hasPrefix("https://") || !decoded.contains(":"), "unsafe URL \(url) in \(html)")
            #expect(!decoded.contains("script") && !decoded.contains("data:"), "\(url)")
        }
        // Normal markdown still renders.
        #expect(html.contains("<h1>Notes</h1>"))
        #expect(html.contains("<a href=\"https://example.com/x\""))
        #expect(html.contains("<a href=\"other.md\""))
        #expect(html.contains("<li>item one</li>") && html.contains("<strong>two</strong>"))
        #expect(html.contains("<code>&lt;b&gt;code&lt;/b&gt;</code>"))
        #expect(html.contains("<pre><code class=\"language-swift\">") && html.contains("&lt;tag&gt;"))
        #expect(html.contains("a &lt; b"))

        let deltas = try #require(data["deltas"] as? [[String: Any]])
        let modified = try #require(deltas.first { $0["operation"] as? String == "MODIFIED" })
        #expect(modified["capability"] as? String == "auth" && modified["requirement"] as? String == "A")
        #expect(modified["path"] as? String == "specs/auth/spec.md")
        #expect((modified["html"] as? String)?.contains("faster") == true)
        #expect((modified["mainHtml"] as? String)?.contains("It SHALL sign in.") == true, "\(modified)")
        let added = try #require(deltas.first { $0["operation"] as? String == "ADDED" })
        #expect(added["requirement"] as? String == "B" && added["mainHtml"] is NSNull)
        #expect(data["issues"] is [Any])

        let missing = try server.query("specs.render", json(["specId": "no-such"]))
        #expect(missing.status == 404, "\(missing)")
    }

    @Test("specs.render stays quick and the server up on inputs that make Ink retry without end or recurse deep")
    func renderHostileMarkdown() throws {
        let server = try LiveServer()
        let repo = try TempRepo()
        let alphabet = Array("[]()!`*_#-&;:\"'<> \nab")
        let hostile: [String: String] = [
            "brackets": String(repeating: "[", count: 100_000),
            "links": String(repeating: "[a](", count: 30_000),
            "stars": String(repeating: "*a ", count: 30_000),
            "quotes": String(repeating: ">", count: 20_000),
            "mixed": String((0..<100_000).map { alphabet[($0 &* 7919 &+ $0 / 3) % alphabet.count] }),
        ]
        for (name, text) in hostile {
            try repo.write("openspec/changes/\(name)/proposal.md", "# Change: \(name)\n")
            try repo.write("openspec/changes/\(name)/notes.md", text)
        }
        try repo.commitAll("hostile")
        try server.cli(["init", "--repo", repo.path, "--name", "demo"])
        try server.cli(["reconcile", "--repo", repo.path])
        try server.start()
        for name in hostile.keys.sorted() {
            let started = Date()
            let reply = try server.query("specs.render", json(["specId": name]))
            #expect(reply.status == 200, "\(name): \(reply)")
            #expect(Date().timeIntervalSince(started) < 20, "\(name) took \(Date().timeIntervalSince(started)) s")
        }
        #expect(server.process?.isRunning == true)
        // A link in an ordinary line still renders.
        try repo.write("openspec/changes/brackets/notes.md", "See [the guide](https://example.com/guide) and [x] here.\n")
        try repo.commitAll("ordinary")
        try server.cli(["reconcile", "--repo", repo.path])
        let html = (try server.query("specs.render", json(["specId": "brackets"])).data as? [String: Any])
            .flatMap { ($0["documents"] as? [[String: Any]])?.last?["html"] as? String } ?? ""
        #expect(html.contains("<a href=\"https://example.com/guide\" rel=\"noopener noreferrer\">the guide</a>"), "\(html)")
        #expect(html.contains("[x] here"), "\(html)")
    }

    @Test("specs.diff: a change's files in one commit against its parent, line by line")
    func commitDiff() throws {
        let server = try LiveServer()
        let repo = try Self.makeCorpus(server)
        try repo.write("openspec/changes/add-login/tasks.md", "## 1. Work\n- [x] 1.1 Form\n- [x] 1.2 Session\n")
        try repo.write("openspec/changes/add-search/tasks.md", "- [x] 1.1 Index\n")
        let commit = try repo.commitAll("tick")
        try server.cli(["reconcile", "--repo", repo.path])
        try server.start()

        let reply = try server.query("specs.diff", json(["specId": "add-login", "commit": commit]))
        #expect(reply.status == 200, "\(reply)")
        let data = try #require(reply.data as? [String: Any])
        #expect(data["commit"] as? String == commit && data["summary"] as? String == "tick")
        let files = try #require(data["files"] as? [[String: Any]])
        #expect(files.count == 1, "only the change's own files")
        #expect(files.first?["path"] as? String == "tasks.md" && files.first?["change"] as? String == "modified")
        let lines = try #require(files.first?["lines"] as? [[String: Any]])
        #expect(lines.map { $0["kind"] as? String } == ["context", "context", "del", "add"])
        #expect(lines[2]["text"] as? String == "- [ ] 1.2 Session" && lines[2]["oldLine"] as? Int == 3 && lines[2]["newLine"] is NSNull)
        #expect(lines[3]["text"] as? String == "- [x] 1.2 Session" && lines[3]["newLine"] as? Int == 3)

        let first = try repo.git("rev-parse", "HEAD~1")
        let created = try server.query("specs.diff", json(["specId": "finish-docs", "commit": first]))
        let createdFiles = try #require((created.data as? [String: Any])?["files"] as? [[String: Any]])
        #expect(createdFiles.map { $0["change"] as? String } == ["added", "added"])
        #expect(try server.query("specs.diff", json(["specId": "add-login", "commit": "--output=x"])).status == 400)
        #expect(try server.query("specs.diff", json(["specId": "add-login"])).status == 400)
        #expect(try server.query("specs.diff", json(["specId": "add-login", "commit": String(repeating: "0", count: 40)])).status == 404)
    }

    @Test("conflicts.get: the conflict, the file on disk, the kept edit and the diff from one to the other")
    func conflictDetail() throws {
        let server = try LiveServer()
        let repo = try Self.makeCorpus(server)
        try server.start()
        try repo.write("openspec/changes/add-search/proposal.md", "# Change: Add search\n\nChanged by hand.\n")
        let version = try repo.git("rev-parse", "HEAD:openspec/changes/add-search/proposal.md")
        let conflict = try server.mutate("specs.update", json(["specId": "add-search", "file": "proposal.md",
                                                               "content": "# Change: Add search\n\nFrom the UI.\n", "baseVersion": version]))
        #expect(conflict.status == 409, "\(conflict)")
        let id = try #require((conflict.error["data"] as? [String: Any])?["conflictId"] as? Int)

        let reply = try server.query("conflicts.get", json(["conflictId": id]))
        #expect(reply.status == 200, "\(reply)")
        let data = try #require(reply.data as? [String: Any])
        #expect(data["id"] as? Int == id && data["path"] as? String == "proposal.md" && data["changeId"] as? String == "add-search")
        #expect(data["disk"] as? String == "# Change: Add search\n\nChanged by hand.\n")
        #expect(data["kept"] as? String == "# Change: Add search\n\nFrom the UI.\n")
        let diff = try #require(data["diff"] as? [[String: Any]])
        #expect(diff.map { $0["kind"] as? String } == ["context", "context", "del", "add"])
        #expect(diff[2]["text"] as? String == "Changed by hand." && diff[3]["text"] as? String == "From the UI.")

        try repo.remove("openspec/changes/add-search/proposal.md")
        let gone = try #require(try server.query("conflicts.get", json(["conflictId": id])).data as? [String: Any])
        #expect(gone["disk"] is NSNull)
        #expect((gone["diff"] as? [[String: Any]])?.allSatisfy { $0["kind"] as? String == "add" } == true)
        #expect(try server.query("conflicts.get", json(["conflictId": 9999])).status == 404)
        #expect(try server.query("conflicts.get").status == 400)
    }

    @Test("mainSpecs.list and mainSpecs.get: the project's main specs, one rendered")
    func mainSpecs() throws {
        let server = try LiveServer()
        _ = try Self.makeCorpus(server)
        try server.start()
        let list = try #require(try server.query("mainSpecs.list").data as? [[String: Any]])
        #expect(list.count == 1)
        #expect(list.first?["capability"] as? String == "auth" && list.first?["project"] as? String == "demo")
        #expect(list.first?["path"] as? String == "specs/auth/spec.md" && list.first?["requirementCount"] as? Int == 1)
        #expect(list.first?["title"] as? String == "Auth")
        let spec = try #require(try server.query("mainSpecs.get", json(["capability": "auth"])).data as? [String: Any])
        #expect(spec["capability"] as? String == "auth" && spec["title"] as? String == "Auth")
        #expect((spec["html"] as? String)?.contains("<h3>Requirement: A</h3>") == true, "\(spec)")
        #expect(try server.query("mainSpecs.get", json(["capability": "billing"])).status == 404)
        #expect(try server.query("mainSpecs.list", json(["projectId": "nope"])).status == 404)
    }
}

/// The first capture group of each match.
func matches(_ pattern: String, in text: String) -> [String] {
    let regex = try! NSRegularExpression(pattern: pattern)
    return regex.matches(in: text, range: NSRange(text.startIndex..., in: text)).compactMap { match in
        Range(match.range(at: 1), in: text).map { String(text[$0]) }
    }
}
