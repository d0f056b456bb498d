import Foundation
import OpenSpecSyncTestSupport
import Testing

/// specs.list and specs.get carry an ETag from the store's change counter;
/// If-None-Match gets 304 until something they show changes.
@Suite("ETags and 304", .serialized)
struct ETagTests {
    @Test("the same read twice is 304 with If-None-Match; a reconciled commit and a toggled task give a new ETag")
    func notModifiedUntilAWrite() async throws {
        let server = try LiveServer()
        let repo = try makeProject(server)
        try await server.inProcess { api in
            for (procedure, input) in [("specs.list", json(["status": "all"])), ("specs.get", json(["specId": "add-login"]))] {
                let first = try await api.query(procedure, input)
                #expect(first.status == 200, "\(first)")
                let etag = try #require(first.headers["etag"], "\(procedure) has no ETag")
                #expect(first.headers["cache-control"] == "private, no-cache")
                let again = try await api.query(procedure, input, headers: ["If-None-Match: \(etag)"])
                #expect(again.status == 304, "\(procedure): \(again)")
                #expect(again.body.isEmpty)
                #expect(again.headers["etag"] == etag)
                // Another input is another reply.
                let other = try await api.query(procedure, procedure == "specs.list" ? json(["status": "active"]) : json(["specId": "add-search"]),
                                                headers: ["If-None-Match: \(etag)"])
                #expect(other.status == 200, "\(other)")
            }

            // A commit that changes a change, reconciled.
            let before = try await api.query("specs.get", json(["specId": "add-login"]))
            let beforeTag = try #require(before.headers["etag"])
            let listBefore = try #require(try await api.query("specs.list").headers["etag"])
            try repo.write("openspec/changes/add-login/proposal.md", "# Change: Add login, again\n\n## Why\nUsers.\n")
            _ = try repo.commitAll("retitle")
            #expect(try server.cli(["reconcile", "--repo", repo.path]).status == 0)
            let after = try await api.query("specs.get", json(["specId": "add-login"]), headers: ["If-None-Match: \(beforeTag)"])
            #expect(after.status == 200, "\(after)")
            let afterTag = try #require(after.headers["etag"])
            #expect(afterTag != beforeTag)
            #expect(after.body.contains("Add login, again"))
            let listAfter = try await api.query("specs.list", nil, headers: ["If-None-Match: \(listBefore)"])
            #expect(listAfter.status == 200, "\(listAfter)")

            // A task ticked through the API.
            let toggled = try await api.mutate("specs.toggleTask", json(["specId": "add-login", "task": "1.2", "done": true]))
            #expect(toggled.status == 200, "\(toggled)")
            let ticked = try await api.query("specs.get", json(["specId": "add-login"]), headers: ["If-None-Match: \(afterTag)"])
            #expect(ticked.status == 200, "\(ticked)")
            #expect(ticked.headers["etag"] != afterTag)
        }
    }

    @Test("specs.get's tag is the change counter of the snapshot its body was read in; 304 holds until a write moves it")
    func tagFromTheSnapshot() async throws {
        let server = try LiveServer()
        let repo = try makeProject(server)  // kept: the toggle below writes to it
        try await server.inProcess { api in
            let input = json(["specId": "add-login"])
            let first = try await api.query("specs.get", input)
            #expect(first.status == 200, "\(first)")
            let etag = try #require(first.headers["etag"])
            let counter = try server.sql("SELECT value FROM changeCounter WHERE id = 1")
            #expect(etag.hasPrefix("\"\(counter)-"), "\(etag) against counter \(counter)")
            #expect((first.data as? [String: Any])?["completedTasks"] as? Int == 1)

            let unchanged = try await api.query("specs.get", input, headers: ["If-None-Match: \(etag)"])
            #expect(unchanged.status == 304 && unchanged.body.isEmpty && unchanged.headers["etag"] == etag, "\(unchanged)")
            // A tag that never was: the body, with the current tag.
            let stale = try await api.query("specs.get", input, headers: ["If-None-Match: \"1-0\""])
            #expect(stale.status == 200 && stale.headers["etag"] == etag, "\(stale)")

            let toggled = try await api.mutate("specs.toggleTask", json(["specId": "add-login", "task": "1.2", "done": true]))
            #expect(toggled.status == 200, "\(toggled)")
            let after = try await api.query("specs.get", input, headers: ["If-None-Match: \(etag)"])
            #expect(after.status == 200, "\(after)")
            let newCounter = try server.sql("SELECT value FROM changeCounter WHERE id = 1")
            #expect(newCounter != counter)
            #expect(after.headers["etag"]?.hasPrefix("\"\(newCounter)-") == true, "\(after.headers)")
            #expect((after.data as? [String: Any])?["completedTasks"] as? Int == 2, "the body is read at the tag's state")
            // An unknown change is an error without a tag.
            let missing = try await api.query("specs.get", json(["specId": "no-such-change"]))
            #expect(missing.status == 404 && missing.headers["etag"] == nil, "\(missing)")
        }
        withExtendedLifetime(repo) {}
    }
}
