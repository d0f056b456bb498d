import Foundation
import OpenSpecSyncTestSupport
import Testing

@Suite("CLI: changes whose workflow schema tracks another task file")
struct WorkflowSchemaCLITests {
    /// A project whose config names a schema "loop" that tracks `loop/checkpoints.md`.
    static func loopProject() throws -> TempRepo {
        let repo = try TempRepo()
        try repo.write("openspec/config.yaml", "schema: loop\n")
        try repo.write("openspec/schemas/loop/schema.yaml", """
            name: loop
            version: 1
            artifacts:
              - {id: checkpoints, generates: loop/checkpoints.md, description: d, template: t.md, requires: []}
            apply: {requires: [checkpoints], tracks: loop/checkpoints.md}

            """)
        try repo.write("openspec/changes/c1/.openspec.yaml", "schema: loop\n")
        try repo.write("openspec/changes/c1/loop/checkpoints.md", "- [x] 1.1 a\n- [ ] 1.2 b\n")
        try repo.commitAll("loop schema")
        return repo
    }

    @Test("list shows the tracked file's progress, and task ticks it there and commits exactly that file")
    func minimalCustomSchema() throws {
        let cli = try CLI()
        let repo = try Self.loopProject()
        #expect(try cli.run(["init", "--repo", repo.path]).status == 0)
        #expect(try cli.run(["reconcile", "--repo", repo.path]).status == 0)

        let list = try cli.run(["list", "--json"])
        #expect(list.status == 0, "\(list.stderr)")
        #expect(list.stdout.contains("\"completedTasks\" : 1"), "\(list.stdout)")
        #expect(list.stdout.contains("\"totalTasks\" : 2"))
        #expect(list.stdout.contains("\"taskStatus\" : \"in-progress\""))

        let task = try cli.run(["task", "c1", "1.2", "--done", "--json"])
        #expect(task.status == 0, "\(task.stdout)\(task.stderr)")
        #expect(task.stdout.contains("\"outcome\" : \"written\""))
        #expect(try repo.readText("openspec/changes/c1/loop/checkpoints.md") == "- [x] 1.1 a\n- [x] 1.2 b\n")
        #expect(!repo.exists("openspec/changes/c1/tasks.md"))
        let committed = try repo.git("show", "--name-only", "--format=", "HEAD")
        #expect(committed.trimmingCharacters(in: .whitespacesAndNewlines) == "openspec/changes/c1/loop/checkpoints.md")
        #expect(try repo.git("status", "--porcelain").isEmpty)

        let after = try cli.run(["list", "--json"])
        #expect(after.stdout.contains("\"completedTasks\" : 2"), "\(after.stdout)")
        #expect(after.stdout.contains("\"taskStatus\" : \"complete\""))

        let show = try cli.run(["show", "c1", "--json"])
        #expect(show.stdout.contains("\"schemaName\" : \"loop\""), "\(show.stdout)")
        #expect(show.stdout.contains("\"file\" : \"loop/checkpoints.md\""))
        #expect(show.stdout.contains("\"taskFiles\" : [\n    \"loop/checkpoints.md\"\n  ]"))
        #expect(show.stdout.contains("\"generates\" : \"loop/checkpoints.md\""))
        #expect(show.stdout.contains("\"present\" : true"))
        let text = try cli.run(["show", "c1"])
        #expect(text.stdout.contains("schema:   loop   tasks in: loop/checkpoints.md"), "\(text.stdout)")
        #expect(text.stdout.contains("artifacts: ✓ checkpoints (loop/checkpoints.md)"))

        let missing = try cli.run(["task", "c1", "7.7", "--done"])
        #expect(missing.status == 4)
        #expect(missing.stderr.contains("loop/checkpoints.md"), "\(missing.stderr)")
        #expect(!missing.stderr.contains("tasks.md"))
    }
}
