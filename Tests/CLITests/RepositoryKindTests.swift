import Foundation
import OpenSpecSyncTestSupport
import Testing

@Suite("CLI: shallow clones")
struct RepositoryKindTests {
    @Test("log in a shallow clone lists the commits present and says the history is shallow")
    func logInShallowClone() throws {
        let source = try TempRepo()
        let tasks = "openspec/changes/add-login/tasks.md"
        for version in 1...4 {
            try source.write(tasks, "## 1. Work\n- [ ] 1.\(version) Step\n")
            try source.commitAll("tasks v\(version)")
        }
        let folder = try makeTemporaryDirectory(prefix: "shallow")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let clone = folder + "/clone"
        try source.git("clone", "-q", "--depth", "2", "file://" + source.path, clone)

        let cli = try CLI()
        #expect(try cli.run(["init", "--repo", clone]).status == 0)
        #expect(try cli.run(["reconcile", "--repo", clone]).status == 0)
        let log = try cli.run(["log", "add-login"])
        #expect(log.status == 0, "\(log.stderr)")
        #expect(log.stdout.contains("tasks v4") && log.stdout.contains("tasks v3"), "\(log.stdout)")
        #expect(!log.stdout.contains("tasks v2"), "\(log.stdout)")
        #expect(log.stdout.contains("shallow"), "\(log.stdout)")

        let json = try cli.json(["log", "add-login"])
        #expect((json["commits"] as? [[String: Any]])?.compactMap { $0["summary"] as? String } == ["tasks v4", "tasks v3"])
        #expect(json["shallow"] as? Bool == true)

        // The full repository: every commit, not shallow.
        let full = try CLI()
        #expect(try full.run(["init", "--repo", source.path]).status == 0)
        #expect(try full.run(["reconcile", "--repo", source.path]).status == 0)
        let complete = try full.json(["log", "add-login"])
        #expect((complete["commits"] as? [Any])?.count == 4)
        #expect(complete["shallow"] as? Bool == false)
        #expect(!(try full.run(["log", "add-login"]).stdout.contains("shallow")))
    }

}
