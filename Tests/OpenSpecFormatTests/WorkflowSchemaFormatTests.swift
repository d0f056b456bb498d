import Testing
@testable import OpenSpecFormat

@Suite("Workflow schemas: reading, resolving, task files, artifacts")
struct WorkflowSchemaFormatTests {
    func table() throws -> SchemaTable {
        var table = SchemaTable(configPath: "config.yaml",
                                config: ProjectConfig.parse(try Fixtures.bytes("schemas/openspec/config.yaml"), path: "config.yaml"))
        for name in ["loop", "multi", "broken"] {
            let path = SchemaTable.schemaPath(name)
            table.schemas[name] = WorkflowSchema.parse(try Fixtures.bytes("schemas/openspec/" + path), path: path)
        }
        return table
    }

    @Test("the fixture schemas read as OpenSpec reads them")
    func fixtureSchemas() throws {
        let table = try table()
        #expect(table.config.schema == "loop" && table.config.issues.isEmpty)
        let loop = try #require(table.schemas["loop"])
        #expect(loop.issues.isEmpty, "\(loop.issues)")
        #expect(loop.artifacts.map(\.id) == ["proposal", "checkpoints"])
        #expect(loop.trackedTasks == "loop/checkpoints.md")
        #expect(table.schemas["multi"]?.trackedTasks == "work/*.md")
        let broken = try #require(table.schemas["broken"])
        #expect(!broken.isUsable)
        #expect(broken.issues.contains { $0.path == "schemas/broken/schema.yaml" && $0.line == 3 })
    }

    @Test("resolution: the change's schema, then the config's, then spec-driven; project schemas before built-in ones")
    func resolution() throws {
        let table = try table()
        #expect(table.resolve(changeSchema: "multi", folder: "changes/a").name == "multi")
        #expect(table.resolve(changeSchema: nil, folder: "changes/a").name == "loop")
        #expect(SchemaTable.builtIn.resolve(changeSchema: nil, folder: "changes/a").schema == .specDriven)
        #expect(table.resolve(changeSchema: "spec-driven", folder: "changes/a").trackedTasks == "tasks.md")
        var shadowing = table
        shadowing.schemas["spec-driven"] = WorkflowSchema(
            name: "spec-driven", artifacts: [.init(id: "t", generates: "todo.md")], tracks: "todo.md")
        #expect(shadowing.resolve(changeSchema: "spec-driven", folder: "changes/a").trackedTasks == "todo.md")

        let unknown = table.resolve(changeSchema: "nope", folder: "changes/a")
        #expect(unknown.schema == nil && unknown.trackedTasks == "tasks.md")
        #expect(unknown.issues.map(\.path) == ["changes/a/.openspec.yaml"])
        let broken = table.resolve(changeSchema: "broken", folder: "changes/a")
        #expect(broken.schema == nil && broken.trackedTasks == "tasks.md")
        #expect(broken.issues.first?.message.contains("schemas/broken/schema.yaml:3") == true)
    }

    @Test("tracks naming no artifact's generates tracks nothing, so tasks.md is read")
    func tracksMustBeAnArtifact() {
        let schema = WorkflowSchema.parse(utf8("name: s\nartifacts:\n  - {id: a, generates: a.md}\napply: {tracks: b.md}\n"), path: "p")
        #expect(schema.issues.isEmpty && schema.tracks == "b.md" && schema.trackedTasks == nil)
    }

    @Test("schema files missing what a schema needs give issues with lines")
    func invalidSchemas() {
        let missingName = WorkflowSchema.parse(utf8("artifacts: []\n"), path: "p")
        #expect(missingName.issues.contains { $0.message == "name is required" })
        let badArtifact = WorkflowSchema.parse(utf8("name: s\nartifacts:\n  - id: a\n"), path: "p")
        #expect(badArtifact.issues.contains { $0.line == 3 })
        let notMapping = WorkflowSchema.parse(utf8("- a\n"), path: "p")
        #expect(!notMapping.isUsable)
        #expect(!ProjectConfig.parse(utf8("schema: [a]\n"), path: "config.yaml").issues.isEmpty)
    }

    @Test("task files in glob order, the tasks.md fallback, and which artifacts exist")
    func taskFilesAndArtifacts() throws {
        let multi = try table().resolve(changeSchema: "multi", folder: "changes/m")
        let files = ["tasks.md", "work/2-build.md", "plan.md", "work/1-setup.md", ".openspec.yaml"]
        #expect(multi.taskFiles(in: files) == ["work/1-setup.md", "work/2-build.md"])
        #expect(multi.taskFiles(in: ["tasks.md", "plan.md"]) == ["tasks.md"])
        #expect(multi.taskFiles(in: ["plan.md"]).isEmpty)
        #expect(multi.artifacts(in: ["plan.md"]) == [
            ArtifactPresence(id: "plan", generates: "plan.md", present: true),
            ArtifactPresence(id: "work", generates: "work/*.md", present: false),
        ])
    }

    @Test("a task address across files: a number is the first such task in glob order, #N counts through the files")
    func taskAddress() {
        let content: [String: [UInt8]] = [
            "work/1.md": utf8("- [x] 1.1 a\n- [ ] 1.2 b\n"),
            "work/2.md": utf8("- [ ] 2.1 c\n- [ ] 1.2 again\n"),
        ]
        let files = ["work/1.md", "work/2.md"]
        let locate = { (task: String) in TaskAddress.locate(task, files: files) { content[$0] }.map { "\($0.file) \($0.task)" } }
        #expect(locate("1.2") == "work/1.md 1.2")
        #expect(locate("2.1") == "work/2.md 2.1")
        #expect(locate("#2") == "work/1.md #2")
        #expect(locate("#3") == "work/2.md #1")
        #expect(locate("#4") == "work/2.md #2")
        #expect(locate("#5") == nil)
        #expect(locate("#0") == nil)
        #expect(locate("9.9") == nil)
    }

    @Test("a change read with the project's schemas: schema name, tracked files summed, issue for an unknown schema")
    func snapshotWithSchemas() throws {
        let table = try table()
        let folder = try #require(ChangeFolder(path: "changes/multi-change"))
        let multi = ChangeSnapshot.read(folder: folder, files: try Fixtures.files(under: "schemas/openspec/changes/multi-change"), schemas: table)
        #expect(multi.schema?.name == "multi")
        #expect((multi.completedTasks, multi.totalTasks) == (3, 5))
        #expect(multi.taskLists.keys.sorted() == ["work/1-setup.md", "work/2-build.md"])
        let missingFolder = try #require(ChangeFolder(path: "changes/missing-schema"))
        let missing = ChangeSnapshot.read(folder: missingFolder, files: try Fixtures.files(under: "schemas/openspec/changes/missing-schema"), schemas: table)
        #expect((missing.completedTasks, missing.totalTasks) == (1, 1))
        #expect(missing.issues.contains { $0.level == .error && $0.message.contains("schema \"nope\" not found") })
    }
}
