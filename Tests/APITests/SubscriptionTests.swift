import Foundation
import OpenSpecSyncTestSupport
import Testing

/// An open `curl -N` on the event stream, writing what arrives to a file.
final class EventStream: @unchecked Sendable {
    let process = Process()
    let file: String

    init(_ server: LiveServer, input: String? = nil, headers: [String] = [], name: String) throws {
        file = server.folder + "/" + name + ".sse"
        FileManager.default.createFile(atPath: file, contents: nil)
        var arguments = ["-s", "-N", "-g", "--max-time", "30", "-G", server.base + "sync.subscribe"]
        if let input { arguments += ["--data-urlencode", "input=" + input] }
        for header in headers { arguments += ["-H", header] }
        process.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        process.arguments = arguments
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: file))
        process.standardError = FileHandle.nullDevice
        try process.run()
    }

    deinit { close() }

    func close() {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    var text: String { (try? String(contentsOfFile: file, encoding: .utf8)) ?? "" }

    /// The messages so far, parsed as an EventSource does: blocks split by blank lines.
    var messages: [(id: Int?, event: String?, data: String)] {
        text.components(separatedBy: "\n\n").compactMap { block in
            var id: Int?, event: String?, data: String?
            for line in block.split(separator: "\n") {
                if line.hasPrefix("id: ") { id = Int(line.dropFirst(4)) }
                if line.hasPrefix("event: ") { event = String(line.dropFirst(7)) }
                if line.hasPrefix("data: ") { data = String(line.dropFirst(6)) }
            }
            guard let data else { return nil }
            return (id, event, data)
        }
    }

    /// The tracked events (those with an id), decoded.
    var events: [(id: Int, body: [String: Any])] {
        messages.compactMap { message in
            guard let id = message.id,
                  let body = try? JSONSerialization.jsonObject(with: Data(message.data.utf8)) as? [String: Any] else { return nil }
            return (id, body)
        }
    }
}

@Suite("API event stream", .serialized)
struct SubscriptionTests {
    @Test("a commit with real git and the hook reaches the stream; a reconnect with the last id misses nothing and repeats nothing")
    func commitReachesStreamAndResumes() throws {
        let server = try LiveServer()
        let repo = try makeProject(server)
        let hooks = try server.cli(["hooks", "install", "--repo", repo.path, "--db", server.dbPath])
        #expect(hooks.status == 0, "\(hooks.stderr)")
        try server.start(["serve"])
        let before = Int(try server.sql("SELECT MAX(id) FROM syncHistory")) ?? 0

        let stream = try EventStream(server, input: json(["projectId": "demo"]), name: "first")
        #expect(eventually(timeout: 5) { stream.messages.first?.event == "connected" }, "no connected event: \(stream.text)")
        let connected = try #require(stream.messages.first)
        #expect((try JSONSerialization.jsonObject(with: Data(connected.data.utf8)) as? [String: Any])?["reconnectAfterInactivityMs"] is Int)

        // A commit made with git: the post-commit hook syncs in its own process.
        try repo.write("openspec/changes/add-login/tasks.md", "## 1. Work\n- [x] 1.1 Form\n- [x] 1.2 Session\n")
        let committedAt = Date()
        try repo.commitAll("finish login")
        #expect(eventually(timeout: 3) { stream.events.contains { $0.body["type"] as? String == "sync_completed" && $0.body["specPath"] as? String == "changes/add-login" } },
                "no sync_completed for the change: \(stream.text)")
        #expect(Date().timeIntervalSince(committedAt) < 3)
        let first = stream.events
        let types = first.map { $0.body["type"] as? String ?? "" }
        #expect(types.first == "sync_started", "\(types)")
        #expect(types.last == "sync_completed", "\(types)")
        let completed = try #require(first.first { $0.body["specPath"] as? String == "changes/add-login" }?.body)
        #expect(completed["direction"] as? String == "fs_to_db")
        #expect(completed["success"] as? Bool == true)
        #expect(completed["specId"] is String)
        #expect((completed["details"] as? [String: Any])?["trigger"] as? String == "post-commit")
        #expect((completed["details"] as? [String: Any])?["action"] as? String == "updated")
        // The start mark and the summary row of the run share its run id.
        let runIds = Set(first.compactMap { ($0.body["details"] as? [String: Any])?["runId"] as? String })
        #expect(runIds.count == 1)
        stream.close()
        let lastSeen = try #require(first.last?.id)

        // While nobody listens: another commit, and a write through the API.
        try repo.write("openspec/changes/add-search/tasks.md", "- [x] 1.1 Index\n")
        try repo.commitAll("finish search")
        #expect(try server.mutate("specs.toggleTask", json(["specId": "add-login", "task": "1.1", "done": false])).status == 200)

        // tRPC's client resumes with lastEventId in the input.
        let resumed = try EventStream(server, input: json(["projectId": "demo", "lastEventId": String(lastSeen)]), name: "resumed")
        let expected = try server.sql("SELECT id FROM syncHistory WHERE id > \(lastSeen) ORDER BY id")
            .split(separator: "\n").compactMap { Int($0) }
        #expect(expected.count >= 6, "two runs and a write: \(expected)")
        #expect(eventually(timeout: 3) { resumed.events.count >= expected.count }, "\(resumed.text)")
        let ids = resumed.events.map(\.id)
        #expect(ids == expected, "every event after \(lastSeen), once, in order")
        let writeTypes = resumed.events.filter { $0.body["direction"] as? String == "db_to_fs" }.map { $0.body["type"] as? String ?? "" }
        #expect(writeTypes == ["sync_started", "sync_completed"], "\(writeTypes)")
        resumed.close()

        // A browser's EventSource resumes with the Last-Event-ID header instead.
        let middle = expected[expected.count / 2]
        let viaHeader = try EventStream(server, headers: ["Last-Event-ID: \(middle)"], name: "header")
        let rest = expected.filter { $0 > middle }
        #expect(eventually(timeout: 3) { viaHeader.events.count >= rest.count }, "\(viaHeader.text)")
        #expect(viaHeader.events.map(\.id) == rest)
        viaHeader.close()
        #expect(before < lastSeen)
    }

    @Test("failures and conflicts are events too; an idle stream pings; a bad id is refused")
    func failureAndConflictEvents() throws {
        let server = try LiveServer()
        let repo = try makeProject(server)
        try server.start()
        let stream = try EventStream(server, name: "events")
        #expect(eventually(timeout: 5) { stream.messages.first?.event == "connected" })

        try repo.write("openspec/changes/add-login/design.md", "by hand\n")
        let conflict = try server.mutate("specs.update", json(["specId": "add-login", "file": "design.md", "content": "ui\n", "baseVersion": NSNull()]))
        #expect(conflict.status == 409)
        try repo.write(".git/index.lock", "")
        #expect(try server.mutate("specs.toggleTask", json(["specId": "add-search", "task": "1.1", "done": true])).status == 200)
        try repo.remove(".git/index.lock")
        #expect(eventually(timeout: 3) {
            let types = Set(stream.events.map { $0.body["type"] as? String ?? "" })
            return types.contains("conflict_detected") && types.contains("sync_failed")
        }, "\(stream.text)")
        let detected = try #require(stream.events.first { $0.body["type"] as? String == "conflict_detected" }?.body)
        #expect(detected["direction"] as? String == "db_to_fs")
        #expect(detected["success"] as? Bool == false)
        let failed = try #require(stream.events.first { $0.body["type"] as? String == "sync_failed" }?.body)
        #expect((failed["details"] as? [String: Any])?["action"] as? String == "pending")
        // Nothing else happens for a while: pings (every 5 s) keep the stream alive.
        #expect(eventually(timeout: 8) { stream.messages.contains { $0.event == "ping" } }, "\(stream.text)")
        stream.close()

        let bad = try server.query("sync.subscribe", json(["lastEventId": "abc"]))
        #expect(bad.status == 400 && bad.errorCode == "BAD_REQUEST", "\(bad)")
        let badHeader = try server.query("sync.subscribe", headers: ["Last-Event-ID: -3"])
        #expect(badHeader.status == 400, "\(badHeader)")
        let unknown = try server.query("sync.subscribe", json(["projectId": "nope"]))
        #expect(unknown.status == 404, "\(unknown)")
        #expect(try server.mutate("sync.subscribe", nil).status == 405)
    }
}
