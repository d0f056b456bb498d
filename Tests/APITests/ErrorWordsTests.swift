import Foundation
import OpenSpecSyncTestSupport
import Testing

/// API error messages are made from the errors' facts: in the API's terms,
/// naming changes and paths relative to the repository, never a machine path.
@Suite("API error words", .serialized)
struct ErrorWordsTests {
    /// Something that starts like an absolute path: a slash after a space,
    /// quote, bracket or colon, followed by a name and another slash.
    static func absolutePath(in text: String) -> String? {
        text.range(of: #"(^|[\s"'(=:\[<])/[^\s/"']+/"#, options: .regularExpression).map { String(text[$0]) }
    }

    func expectFactual(_ reply: Reply, _ code: String, mentions words: [String], repo: TempRepo, server: LiveServer,
                       sourceLocation: SourceLocation = #_sourceLocation) {
        let message = reply.error["message"] as? String ?? ""
        #expect(reply.errorCode == code, "\(reply)", sourceLocation: sourceLocation)
        #expect(Self.absolutePath(in: message) == nil, "an absolute path in \(message)", sourceLocation: sourceLocation)
        #expect(!message.contains(repo.path) && !message.contains(server.folder), "\(message)", sourceLocation: sourceLocation)
        // Made from facts, not a command-line message with its paths blanked out.
        #expect(!message.contains("<path>") && !message.contains("<demo>"), "\(message)", sourceLocation: sourceLocation)
        for word in words { #expect(message.contains(word), "\(word) missing from \(message)", sourceLocation: sourceLocation) }
    }

    @Test("a missing change, task, conflict or commit, a stale version and a refused rollback are worded for the API")
    func missingThings() throws {
        let server = try LiveServer()
        let repo = try makeProject(server)
        let old = try repo.git("rev-parse", "HEAD:openspec/changes/add-login/tasks.md")
        try server.start()

        expectFactual(try server.query("specs.get", json(["specId": "no-such-change"])), "NOT_FOUND",
                      mentions: ["no-such-change", "specs.list"], repo: repo, server: server)
        expectFactual(try server.mutate("specs.toggleTask", json(["specId": "add-login", "task": "9.9", "done": true])),
                      "NOT_FOUND", mentions: ["9.9", "tasks.md", "specs.get"], repo: repo, server: server)
        expectFactual(try server.mutate("sync.resolveConflict", json(["specId": "add-login", "resolution": "filesystem", "conflictId": 99])),
                      "NOT_FOUND", mentions: ["#99", "conflicts.list"], repo: repo, server: server)
        expectFactual(try server.mutate("specs.rollback", json(["specId": "add-login", "to": "no-such-branch"])),
                      "NOT_FOUND", mentions: ["no-such-branch", "specs.log"], repo: repo, server: server)

        #expect(try server.mutate("specs.toggleTask", json(["specId": "add-login", "task": "1.2", "done": true])).status == 200)
        expectFactual(try server.mutate("specs.update", json(["specId": "add-login", "file": "tasks.md", "content": "x\n", "baseVersion": old])),
                      "CONFLICT", mentions: ["tasks.md", old.prefix(12).description, "specs.get"], repo: repo, server: server)

        try repo.write(".git/index.lock", "")
        expectFactual(try server.mutate("specs.rollback", json(["specId": "add-login", "to": "HEAD~1"])),
                      "PRECONDITION_FAILED", mentions: ["index.lock", "nothing was changed", "specs.rollback"], repo: repo, server: server)
        try repo.remove(".git/index.lock")
    }

    @Test("a repository git cannot open is reported without its path")
    func repositoryGone() throws {
        let server = try LiveServer()
        let repo = try makeProject(server)
        try server.start()
        let moved = repo.path + "-moved"
        try FileManager.default.moveItem(atPath: repo.path, toPath: moved)
        defer { try? FileManager.default.moveItem(atPath: moved, toPath: repo.path) }

        for reply in [try server.query("specs.log", json(["specId": "add-login"])),
                      try server.mutate("sync.forceSync", json(["specId": "add-login"]))] {
            expectFactual(reply, "INTERNAL_SERVER_ERROR", mentions: ["repository"], repo: repo, server: server)
        }
    }
}
