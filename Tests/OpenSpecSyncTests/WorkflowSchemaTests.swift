import Foundation
import OpenSpecFormat
import OpenSpecStore
import OpenSpecSyncTestSupport
import Testing
@testable import OpenSpecSync

@Suite("Reconciler: workflow schemas decide which files hold a change's tasks")
struct WorkflowSchemaTests {
    /// `Fixtures/schemas/openspec` copied over the harness's `openspec/` and committed.
    static func schemaProject() throws -> Harness {
        let h = try Harness()
        let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Fixtures/schemas/openspec")
        let walker = FileManager.default.enumerator(at: fixtures, includingPropertiesForKeys: [.isRegularFileKey])
        while let url = walker?.nextObject() as? URL {
            guard (try url.resourceValues(forKeys: [.isRegularFileKey])).isRegularFile == true else { continue }
            let relative = String(url.standardizedFileURL.path.dropFirst(fixtures.standardizedFileURL.path.count + 1))
            try h.repo.write("openspec/" + relative, bytes: [UInt8](try Data(contentsOf: url)))
        }
        try h.repo.commitAll("workflow schemas")
        return h
    }

    func counts(_ h: Harness, _ path: String) throws -> String {
        guard let row = try h.record(path) else { return "missing" }
        return "\(row.completedTasks)/\(row.totalTasks) \(row.taskStatus) \(row.schemaName ?? "nil")"
    }

    @Test("each change counts the files its schema tracks: config default, a glob over several files, built-in spec-driven, archived")
    func resolvedSchemasCountTheirTrackedFiles() throws {
        let h = try Self.schemaProject()
        try h.reconcile()
        #expect(try counts(h, "changes/loop-change") == "1/2 in-progress loop")
        // Two files summed (1/2 and 2/3); tasks.md is not tracked by this schema.
        #expect(try counts(h, "changes/multi-change") == "3/5 in-progress multi")
        #expect(try counts(h, "changes/default-change") == "1/1 complete spec-driven")
        #expect(try counts(h, "changes/archive/2026-01-02-old-loop") == "2/3 in-progress loop")
        #expect(try h.record("changes/loop-change")?.issues.contains("schema") == false)
    }

    @Test("a schema whose tracked file is absent falls back to tasks.md")
    func fallsBackToTasksFile() throws {
        let h = try Self.schemaProject()
        try h.reconcile()
        #expect(try counts(h, "changes/fallback-change") == "2/3 in-progress loop")
    }

    @Test("an unknown or unreadable schema is an error issue of the change, whose tasks come from tasks.md")
    func unknownSchemaIsAnIssue() throws {
        let h = try Self.schemaProject()
        try h.reconcile()
        #expect(try counts(h, "changes/missing-schema") == "1/1 complete nope")
        let missing = try #require(try h.record("changes/missing-schema")).issues
        #expect(missing.contains("schema \\\"nope\\\" not found"), "\(missing)")
        #expect(missing.contains("changes/missing-schema/.openspec.yaml"))
        #expect(try counts(h, "changes/broken-schema") == "0/2 in-progress broken")
        let broken = try #require(try h.record("changes/broken-schema")).issues
        #expect(broken.contains("schema \\\"broken\\\" cannot be used"), "\(broken)")
        #expect(broken.contains("schemas/broken/schema.yaml:3"), "\(broken)")
    }

    @Test("a committed config change re-reads every change in one incremental reconcile, and the next run writes nothing")
    func configChangeRereadsChanges() throws {
        let h = try Harness()
        try h.repo.write("openspec/schemas/loop/schema.yaml",
                         "name: loop\nartifacts:\n  - {id: c, generates: loop/checkpoints.md}\napply: {tracks: loop/checkpoints.md}\n")
        for id in ["a", "b"] {
            try h.writeChange("changes/\(id)", tasks: "- [ ] 1.1 tasks.md task\n")
            try h.repo.write("openspec/changes/\(id)/loop/checkpoints.md", "- [x] 1.1 one\n- [x] 1.2 two\n")
        }
        try h.repo.commitAll("two changes")
        try h.reconcile()
        #expect(try counts(h, "changes/a") == "0/1 in-progress spec-driven")

        try h.repo.write("openspec/config.yaml", "schema: loop\n")
        try h.repo.commitAll("switch the project to loop")
        let run = try h.reconcile()
        #expect(run.mode == .incremental)
        #expect(run.updated == 2)
        #expect(try counts(h, "changes/a") == "2/2 complete loop")
        #expect(try counts(h, "changes/b") == "2/2 complete loop")
        #expect(try h.reconcile().changedCount == 0)
    }

    @Test("an uncommitted edit of a schema file that moves the tracked file is seen by the next reconcile")
    func schemaEditInWorkingTree() throws {
        let h = try Harness()
        try h.repo.write("openspec/config.yaml", "schema: loop\n")
        try h.repo.write("openspec/schemas/loop/schema.yaml",
                         "name: loop\nartifacts:\n  - {id: c, generates: loop/checkpoints.md}\napply: {tracks: loop/checkpoints.md}\n")
        try h.writeChange("changes/a", tasks: "- [ ] 1.1 tasks.md task\n")
        try h.repo.write("openspec/changes/a/loop/checkpoints.md", "- [x] 1.1 one\n")
        try h.repo.write("openspec/changes/a/loop/next.md", "- [ ] 2.1 two\n- [ ] 2.2 three\n")
        try h.repo.commitAll("loop")
        try h.reconcile()
        #expect(try counts(h, "changes/a") == "1/1 complete loop")

        try h.repo.write("openspec/schemas/loop/schema.yaml",
                         "name: loop\nartifacts:\n  - {id: c, generates: \"loop/*.md\"}\napply: {tracks: \"loop/*.md\"}\n")
        let run = try h.reconcile()
        #expect(run.mode == .incremental)
        #expect(try counts(h, "changes/a") == "1/3 in-progress loop")
    }

    @Test("a commit that switches a change's schema in .openspec.yaml moves its count to the new schema's file")
    func schemaSwitchedMidHistory() throws {
        let h = try Self.schemaProject()
        try h.reconcile()
        #expect(try counts(h, "changes/default-change") == "1/1 complete spec-driven")
        try h.repo.write("openspec/changes/default-change/loop/checkpoints.md", "- [ ] 1.1 a\n- [ ] 1.2 b\n- [x] 1.3 c\n")
        try h.repo.commitAll("add checkpoints, still spec-driven")
        try h.reconcile()
        #expect(try counts(h, "changes/default-change") == "1/1 complete spec-driven")
        try h.repo.write("openspec/changes/default-change/.openspec.yaml", "schema: loop\n")
        try h.repo.commitAll("switch to loop")
        try h.reconcile()
        #expect(try counts(h, "changes/default-change") == "1/3 in-progress loop")
        try h.repo.write("openspec/changes/default-change/.openspec.yaml", "schema: spec-driven\n")
        try h.repo.commitAll("switch back")
        try h.reconcile()
        #expect(try counts(h, "changes/default-change") == "1/1 complete spec-driven")
    }

    @Test("show's detail lists each task with its file in glob order, the schema, the task files and which artifacts exist")
    func detailAcrossFiles() throws {
        let h = try Self.schemaProject()
        try h.reconcile()
        let detail = try h.engine.detail(of: try #require(try h.spec("changes/multi-change")))
        #expect(detail.schemaName == "multi")
        #expect(detail.trackedTasks == "work/*.md")
        #expect(detail.taskFiles == ["work/1-setup.md", "work/2-build.md"])
        #expect(detail.tasks.map { "\($0.file ?? "") \($0.number ?? "")" } == [
            "work/1-setup.md 1.1", "work/1-setup.md 1.2", "work/2-build.md 2.1", "work/2-build.md 2.2", "work/2-build.md 2.3",
        ])
        #expect(detail.artifacts == [
            ArtifactPresence(id: "plan", generates: "plan.md", present: true),
            ArtifactPresence(id: "work", generates: "work/*.md", present: true),
        ])
        let loop = try h.engine.detail(of: try #require(try h.spec("changes/loop-change")))
        #expect(loop.artifacts.map { "\($0.id) \($0.present)" } == ["proposal true", "checkpoints true"])
        let fallback = try h.engine.detail(of: try #require(try h.spec("changes/fallback-change")))
        #expect(fallback.taskFiles == ["tasks.md"] && fallback.tasks.allSatisfy { $0.file == "tasks.md" })
        #expect(fallback.artifacts.map(\.present) == [false, false])
    }

    @Test("task #N counts through the files in glob order and a number finds its file; each write commits only that file")
    func toggleAcrossFiles() throws {
        let h = try Self.schemaProject()
        try h.reconcile()
        let spec = try #require(try h.spec("changes/multi-change"))
        let first = try h.engine.toggleTask(spec: spec, task: "#5", done: true)
        guard case .written = first else { Issue.record("\(first)"); return }
        #expect(try h.repo.readText("openspec/changes/multi-change/work/2-build.md") == "## 2. Build\n- [x] 2.1 Parser\n- [x] 2.2 Writer\n- [x] 2.3 Docs\n")
        #expect(try h.repo.git("show", "--name-only", "--format=", "HEAD") == "openspec/changes/multi-change/work/2-build.md")
        guard case .written = try h.engine.toggleTask(spec: spec, task: "1.2", done: true) else { Issue.record("1.2"); return }
        #expect(try h.repo.readText("openspec/changes/multi-change/work/1-setup.md") == "## 1. Setup\n- [x] 1.1 Repo\n- [x] 1.2 CI\n")
        #expect(try h.repo.git("show", "--name-only", "--format=", "HEAD") == "openspec/changes/multi-change/work/1-setup.md")
        // tasks.md is not tracked by this schema: its task is not found, and the error names the tracked files.
        #expect(throws: SyncError.self) { try h.engine.toggleTask(spec: spec, task: "9.1", done: true) }
        do {
            _ = try h.engine.toggleTask(spec: spec, task: "9.1", done: true)
        } catch {
            #expect("\(error)".contains("in work/1-setup.md, work/2-build.md"), "\(error)")
        }
        #expect(try h.repo.readText("openspec/changes/multi-change/tasks.md") == "- [ ] 9.1 Not tracked by this schema\n")
        #expect(try counts(h, "changes/multi-change") == "5/5 complete multi")
    }

    @Test("a git hook's run hands a schema change to the background instead of re-reading every change itself")
    func hookHandsSchemaChangeOff() throws {
        let h = try Harness()
        try h.writeChange("changes/a")
        try h.repo.commitAll("a")
        try h.reconcile()
        try h.repo.write("openspec/config.yaml", "schema: loop\n")
        try h.repo.commitAll("switch the project to loop")
        var hook = ReconcileOptions(trigger: .postCommit)
        hook.committedOnly = true
        hook.workLimit = 1000
        #expect(throws: SyncError.self) { try h.engine.reconcile(h.project, options: hook) }
        #expect(try h.reconcile().mode == .incremental)
        #expect(try counts(h, "changes/a") == "1/2 in-progress loop")
        #expect(try h.record("changes/a")?.issues.contains("schema \\\"loop\\\" not found") == true)
    }
}
