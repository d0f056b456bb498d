import Foundation
import OpenSpecSyncTestSupport
import Testing

@Suite("API: workflow schemas in specs.get and specs.toggleTask", .serialized)
struct WorkflowSchemaAPITests {
    @Test("specs.get adds the schema, task files, artifacts and each task's file; toggleTask #N writes the file that holds it")
    func schemaFields() async throws {
        let server = try LiveServer()
        let repo = try TempRepo()
        try repo.write("openspec/schemas/multi/schema.yaml", """
            name: multi
            artifacts:
              - {id: plan, generates: plan.md}
              - {id: work, generates: "work/*.md"}
            apply: {tracks: "work/*.md"}

            """)
        try repo.write("openspec/changes/m/.openspec.yaml", "schema: multi\n")
        try repo.write("openspec/changes/m/work/a.md", "- [x] 1.1 a\n")
        try repo.write("openspec/changes/m/work/b.md", "- [ ] 2.1 b\n")
        try repo.commitAll("multi")
        #expect(try server.cli(["init", "--repo", repo.path, "--name", "demo"]).status == 0)
        #expect(try server.cli(["reconcile", "--repo", repo.path]).status == 0)
        try await server.inProcess { api in

            let detail = try #require(try await api.query("specs.get", json(["specId": "m"])).data as? [String: Any])
            #expect(detail["schemaName"] as? String == "multi")
            #expect(detail["trackedTasks"] as? String == "work/*.md")
            #expect(detail["taskFiles"] as? [String] == ["work/a.md", "work/b.md"])
            #expect((detail["tasks"] as? [[String: Any]])?.map { $0["file"] as? String } == ["work/a.md", "work/b.md"])
            let artifacts = try #require(detail["artifacts"] as? [[String: Any]])
            #expect(artifacts.map { "\($0["id"] as? String ?? "") \($0["generates"] as? String ?? "") \($0["present"] as? Bool ?? false)" }
                == ["plan plan.md false", "work work/*.md true"])
            #expect(detail["completedTasks"] as? Int == 1 && detail["totalTasks"] as? Int == 2)
            #expect(detail["files"] is [[String: Any]])

            let toggled = try await api.mutate("specs.toggleTask", json(["specId": "m", "task": "#2", "done": true]))
            #expect((toggled.data as? [String: Any])?["outcome"] as? String == "written", "\(toggled)")
            #expect(try repo.readText("openspec/changes/m/work/b.md") == "- [x] 2.1 b\n")
            #expect(try repo.readText("openspec/changes/m/work/a.md") == "- [x] 1.1 a\n")
        }
    }
}
