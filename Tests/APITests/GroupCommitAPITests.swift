import Foundation
import OpenSpecSyncTestSupport
import Testing

/// Concurrent specs.toggleTask calls through the server: edits that arrive
/// during a commit are carried by the next one (group commit), and each
/// caller still gets its own outcome.
@Suite("Group commit through the API", .serialized)
struct GroupCommitAPITests {
    @Test("eight concurrent toggles: each is written and committed once, every commit lists its edits")
    func concurrentToggles() async throws {
        let server = try LiveServer()
        let repo = try TempRepo()
        let ids = (0..<8).map { "change-\($0)" }
        for id in ids {
            try repo.write("openspec/changes/\(id)/proposal.md", "# Change: \(id)\n\n## Why\nReasons.\n")
            try repo.write("openspec/changes/\(id)/tasks.md", "## 1. Work\n- [ ] 1.1 First\n- [ ] 1.2 Second\n")
        }
        try repo.commitAll("eight changes")
        #expect(try server.cli(["init", "--repo", repo.path]).status == 0)
        #expect(try server.cli(["reconcile", "--repo", repo.path]).status == 0)
        let head = try repo.git("rev-parse", "HEAD")

        let replies = try await server.inProcess { api in
            try await withThrowingTaskGroup(of: (String, Reply).self) { group in
                for id in ids {
                    group.addTask {
                        (id, try await api.mutate("specs.toggleTask", json(["specId": id, "task": "1.1", "done": true])))
                    }
                }
                var replies: [String: Reply] = [:]
                for try await (id, reply) in group { replies[id] = reply }
                return replies
            }
        }

        #expect(replies.count == ids.count)
        for (id, reply) in replies {
            let data = (reply.object["result"] as? [String: Any])?["data"] as? [String: Any]
            #expect(reply.status == 200 && data?["outcome"] as? String == "written", "\(id): \(reply)")
        }
        let commits = try repo.git("rev-list", "\(head)..HEAD").split(separator: "\n").map(String.init)
        #expect(!commits.isEmpty && commits.count <= ids.count)
        var listed: [String] = []
        for commit in commits {
            let message = try repo.git("log", "-1", "--format=%B", commit)
            listed += message.split(separator: "\n").filter { $0.hasPrefix("- ") }.map(String.init)
        }
        #expect(listed.sorted() == ids.map { "- \($0)/tasks.md: task 1.1 ticked" }.sorted())
        for id in ids {
            let path = "openspec/changes/\(id)/tasks.md"
            #expect(try repo.readText(path) == "## 1. Work\n- [x] 1.1 First\n- [ ] 1.2 Second\n")
            #expect(try repo.git("show", "HEAD:" + path).contains("- [x] 1.1 First"))
        }
        #expect(try repo.git("status", "--porcelain") == "")
    }
}
