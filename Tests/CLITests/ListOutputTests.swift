import Foundation
import OpenSpecSyncTestSupport
import Testing

/// `list` writes its rows as it reads them; these pin the bytes it writes to
/// the shape it has always had.
@Suite("list output")
struct ListOutputTests {
    /// Two projects: an active change with half its tasks, an archived one,
    /// one with every task done and a long title, one without tasks, one with
    /// a sync error.
    private func twoProjects(_ cli: CLI) throws -> (demo: TempRepo, web: TempRepo) {
        let demo = try TempRepo()
        try demo.write("openspec/changes/add-login/proposal.md", "# Change: Add login\n")
        try demo.write("openspec/changes/add-login/tasks.md", "- [x] 1.1 Form\n- [ ] 1.2 Session\n")
        try demo.write("openspec/changes/archive/2026-01-12-add-rate-limit/proposal.md", "# Change: Rate limit\n")
        try demo.write("openspec/changes/archive/2026-01-12-add-rate-limit/tasks.md", "- [ ] unfinished\n")
        try demo.commitAll("demo")
        let web = try TempRepo()
        try web.write("openspec/changes/fix-nav/proposal.md",
                      "# Change: Fix the navigation bar that wraps on narrow screens and hides the search field\n")
        try web.write("openspec/changes/fix-nav/tasks.md", "- [x] done\n")
        try web.write("openspec/changes/tidy-docs/proposal.md", "# Change: Tidy docs\n")
        try web.write("openspec/changes/broken/tasks.md", "<<<<<<< a\n- [x] x\n=======\n- [ ] y\n>>>>>>> b\n")
        try web.commitAll("web")
        for (repo, name) in [(demo, "demo"), (web, "web")] {
            try cli.run(["init", "--repo", repo.path, "--name", name])
            try cli.run(["reconcile", "--repo", repo.path])
        }
        return (demo, web)
    }

    @Test("list --all prints the table as before: widths from every row, the project column, errors last")
    func tableShape() throws {
        let cli = try CLI()
        let (demo, _) = try twoProjects(cli)
        let all = try cli.run(["list", "--all"])
        #expect(all.status == 0, "\(all.stderr)")
        #expect(all.stdout == """
            PROJECT  CHANGE          STATUS    TASKS     TITLE
            demo     add-login       active    1/2       Add login
            web      broken          active    no tasks  broken                                            ! changes/broken/tasks.md:1: merge-confli…
            web      fix-nav         active    ✓ 1/1     Fix the navigation bar that wraps on narrow scr…
            web      tidy-docs       active    no tasks  Tidy docs
            demo     add-rate-limit  archived  0/1       Rate limit

            """)
        let one = try cli.run(["list", "--repo", demo.path])
        #expect(one.stdout == "CHANGE     STATUS  TASKS  TITLE\nadd-login  active  1/2    Add login\n")
        let none = try cli.run(["list", "--archived", "--project", "web"])
        #expect(none.stdout == "No changes.\n")
    }

    @Test("list --all --json prints the object as before, byte for byte")
    func jsonShape() throws {
        let cli = try CLI()
        _ = try twoProjects(cli)
        let result = try cli.run(["list", "--all", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let parsed = try #require(try JSONSerialization.jsonObject(with: result.stdoutData) as? [String: Any])
        let changes = try #require(parsed["changes"] as? [[String: Any]])
        try #require(changes.count == 5)
        // Row ids and sync times differ per run: taken from the output, in
        // the place the expected text has them.
        func entry(_ i: Int, _ before: String, _ after: String) -> String {
            let id = changes[i]["id"] as? String ?? "?"
            let synced = changes[i]["lastSyncedAt"] as? String ?? "?"
            return "    {\n" + before + "      \"id\" : \"\(id)\",\n      \"lastSyncedAt\" : \"\(synced)\",\n" + after + "    }"
        }
        let entries = [
            entry(0, "      \"changeId\" : \"add-login\",\n      \"completedTasks\" : 1,\n",
                  "      \"path\" : \"changes/add-login\",\n      \"project\" : \"demo\",\n      \"status\" : \"active\",\n"
                  + "      \"taskStatus\" : \"in-progress\",\n      \"title\" : \"Add login\",\n      \"totalTasks\" : 2\n"),
            entry(1, "      \"changeId\" : \"broken\",\n      \"completedTasks\" : 0,\n",
                  "      \"path\" : \"changes/broken\",\n      \"project\" : \"web\",\n      \"status\" : \"active\",\n"
                  + "      \"syncError\" : \"changes/broken/tasks.md:1: merge-conflict markers; resolve them, then the file syncs\",\n"
                  + "      \"taskStatus\" : \"no-tasks\",\n      \"title\" : \"broken\",\n      \"totalTasks\" : 0\n"),
            entry(2, "      \"changeId\" : \"fix-nav\",\n      \"completedTasks\" : 1,\n",
                  "      \"path\" : \"changes/fix-nav\",\n      \"project\" : \"web\",\n      \"status\" : \"active\",\n"
                  + "      \"taskStatus\" : \"complete\",\n"
                  + "      \"title\" : \"Fix the navigation bar that wraps on narrow screens and hides the search field\",\n"
                  + "      \"totalTasks\" : 1\n"),
            entry(3, "      \"changeId\" : \"tidy-docs\",\n      \"completedTasks\" : 0,\n",
                  "      \"path\" : \"changes/tidy-docs\",\n      \"project\" : \"web\",\n      \"status\" : \"active\",\n"
                  + "      \"taskStatus\" : \"no-tasks\",\n      \"title\" : \"Tidy docs\",\n      \"totalTasks\" : 0\n"),
            entry(4, "      \"archivedOn\" : \"2026-01-12\",\n      \"changeId\" : \"add-rate-limit\",\n      \"completedTasks\" : 0,\n",
                  "      \"path\" : \"changes/archive/2026-01-12-add-rate-limit\",\n      \"project\" : \"demo\",\n"
                  + "      \"status\" : \"archived\",\n      \"taskStatus\" : \"in-progress\",\n      \"title\" : \"Rate limit\",\n"
                  + "      \"totalTasks\" : 1\n"),
        ]
        #expect(result.stdout == "{\n  \"changes\" : [\n" + entries.joined(separator: ",\n") + "\n  ]\n}\n")

        let empty = try cli.run(["list", "--archived", "--json", "--project", "web"])
        #expect(empty.stdout == "{\n  \"changes\" : [\n\n  ]\n}\n")
    }
}
