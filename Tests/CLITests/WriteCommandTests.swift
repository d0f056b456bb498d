import Foundation
import OpenSpecSyncTestSupport
import Testing

@Suite("CLI: edit, task, conflicts, resolve")
struct WriteCommandTests {
    @Test("task and edit exit 0, 5, 6 and 64 as documented, and resolve --reapply writes the kept edit")
    func exitCodes() throws {
        let cli = try CLI()
        let repo = try TempRepo()
        try repo.write("openspec/changes/add-login/tasks.md", "## 1. Work\n- [ ] 1.1 Form\n")
        try repo.commitAll("demo")
        #expect(try cli.run(["init", "--repo", repo.path]).status == 0)
        #expect(try cli.run(["reconcile", "--repo", repo.path]).status == 0)

        let task = try cli.run(["task", "add-login", "1.1", "--done", "--json"])
        #expect(task.status == 0, "\(task.stderr)")
        #expect(task.stdout.contains("\"outcome\" : \"written\""))
        #expect(try repo.readText("openspec/changes/add-login/tasks.md") == "## 1. Work\n- [x] 1.1 Form\n")
        #expect(try cli.run(["task", "add-login", "7.7", "--done"]).status == 4)
        #expect(try cli.run(["task", "add-login", "1.1"]).status == 64)
        #expect(try cli.run(["edit", "add-login", "../escape.md"]).status == 64)
        #expect(!FileManager.default.fileExists(atPath: repo.path + "/openspec/changes/escape.md"))

        // A held index.lock: saved, waiting.
        #expect(FileManager.default.createFile(atPath: repo.path + "/.git/index.lock", contents: Data()))
        let waiting = try cli.run(["task", "add-login", "1.1", "--undone"])
        #expect(waiting.status == 5, "\(waiting.stderr)")
        #expect(waiting.stdout.contains("index.lock"))
        try FileManager.default.removeItem(atPath: repo.path + "/.git/index.lock")

        // Changed on disk and not synced: the file wins, exit 6, the edit is kept.
        try repo.write("openspec/changes/add-login/tasks.md", "theirs\n")
        let input = repo.path + "/../mine-\(UUID().uuidString).md"
        try Data("mine\n".utf8).write(to: URL(fileURLWithPath: input))
        defer { try? FileManager.default.removeItem(atPath: input) }
        let conflict = try cli.run(["edit", "add-login", "tasks.md", "--input", input])
        #expect(conflict.status == 6, "\(conflict.stderr)")
        #expect(conflict.stdout.contains("openspec-sync conflicts"))
        let listed = try cli.run(["conflicts", "--json"])
        #expect(listed.stdout.contains("\"keptContent\" : \"mine\\n\""))

        let resolved = try cli.run(["resolve", "add-login", "--reapply"])
        #expect(resolved.status == 0, "\(resolved.stderr)")
        #expect(try repo.readText("openspec/changes/add-login/tasks.md") == "mine\n")
        #expect(try cli.run(["conflicts"]).stdout.contains("No open conflicts."))
        #expect(try cli.run(["status"]).stdout.contains("1 edit(s) waiting") == false)
    }
}
