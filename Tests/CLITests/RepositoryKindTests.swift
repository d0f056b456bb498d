import Foundation
import OpenSpecSyncTestSupport
import Testing

@Suite("CLI: shallow clones and SHA-256 repositories")
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

    @Test("init and reconcile in a SHA-256 repository say it is not supported, not that there is no repository")
    func sha256Repository() throws {
        let folder = try makeTemporaryDirectory(prefix: "sha256")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let git = try runProcess("/usr/bin/git", ["init", "-q", "--object-format=sha256", folder],
                                 environment: gitTestEnvironment())
        #expect(git.status == 0, "\(git.stderr)")
        try FileManager.default.createDirectory(atPath: folder + "/openspec/changes/add-login",
                                                withIntermediateDirectories: true)
        try Data("- [ ] 1.1 Form\n".utf8).write(to: URL(fileURLWithPath: folder + "/openspec/changes/add-login/tasks.md"))

        let cli = try CLI()
        for arguments in [["init", "--repo", folder], ["reconcile", "--repo", folder], ["init"]] {
            let result = try cli.run(arguments, in: folder + "/openspec")
            #expect(result.status != 0, "\(arguments)")
            #expect(result.stderr.contains("SHA-256 repositories are not supported by libgit2 1.5"),
                    "\(arguments): \(result.stderr)")
            #expect(!result.stderr.contains("not inside a git repository"), "\(arguments): \(result.stderr)")
        }
    }
}
