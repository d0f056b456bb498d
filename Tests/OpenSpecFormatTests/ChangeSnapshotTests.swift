import OpenSpecFormat
import Testing

@Suite("Change snapshots")
struct ChangeSnapshotTests {
    /// Reads one demo change folder the way the reconciler will: files keyed by path.
    func demo(_ folderPath: String, trackedTasks: String = "tasks.md") throws -> ChangeSnapshot {
        let folder = try #require(ChangeFolder(path: folderPath))
        let files = try Fixtures.files(under: "demo/openspec/" + folderPath)
        return ChangeSnapshot.read(folder: folder, files: files, trackedTasks: trackedTasks)
    }

    @Test("the demo tree: every change in its expected state, and no errors anywhere")
    func demoTree() throws {
        let expected: [(path: String, title: String, done: Int, total: Int, status: TaskStatus, deltas: [String])] = [
            ("changes/add-note-tags", "add-note-tags", 3, 7, .inProgress, ["tags"]),
            ("changes/update-sharing-links", "Expiring share links", 1, 4, .inProgress, ["sharing"]),
            ("changes/refactor-sync-engine", "refactor-sync-engine", 0, 0, .noTasks, []),
            ("changes/improve-offline-mode", "improve-offline-mode", 1, 3, .inProgress, ["platform/session-layout"]),
            ("changes/fix-search-ranking", "Proposal: Better search ranking", 3, 3, .complete, ["search"]),
            ("changes/archive/2026-01-12-add-login-rate-limit", "Rate-limit login attempts", 2, 4, .inProgress, ["auth"]),
            ("changes/archive/2026-02-03-add-note-export", "add-note-export", 2, 2, .complete, ["export"]),
        ]
        for change in expected {
            let snapshot = try demo(change.path)
            #expect(snapshot.title == change.title, "\(change.path)")
            #expect(snapshot.completedTasks == change.done, "\(change.path)")
            #expect(snapshot.totalTasks == change.total, "\(change.path)")
            #expect(snapshot.taskStatus == change.status, "\(change.path)")
            #expect(snapshot.deltas.keys.sorted() == change.deltas, "\(change.path)")
            #expect(snapshot.issues.errors.isEmpty, "\(change.path): \(snapshot.issues.errors)")
        }
        let sharing = try demo("changes/update-sharing-links")
        #expect(sharing.design != nil)
        #expect(sharing.deltas["sharing"]?.deltaCount == 4)
        #expect(sharing.metadata?.affectedAreas == ["sharing", "api"])
        #expect(sharing.tasks?.tasks.map(\.marker) == ["x", "~", " ", " "])

        let metadataOnly = try demo("changes/refactor-sync-engine")
        #expect(metadataOnly.proposal == nil)
        #expect(metadataOnly.tasks == nil)
        #expect(metadataOnly.issues == [
            ValidationIssue(
                level: .info, path: "changes/refactor-sync-engine",
                message:
                    "skip_specs is set in .openspec.yaml: change declares no spec-level behavior changes, zero deltas accepted")
        ])

        let archived = try demo("changes/archive/2026-01-12-add-login-rate-limit")
        #expect(archived.folder.isArchived)
        #expect(archived.folder.changeId == "add-login-rate-limit")
        #expect(archived.folder.archivedOn == "2026-01-12")
    }

    @Test("the demo main specs parse cleanly")
    func demoMainSpecs() throws {
        let files = try Fixtures.files(under: "demo/openspec/specs")
        var capabilities: [String] = []
        for (relative, bytes) in files {
            guard case .mainSpec(let capability) = OpenSpecPath.classify("specs/" + relative) else { continue }
            capabilities.append(capability)
            #expect(MainSpec.parse(bytes, path: "specs/" + relative).issues.isEmpty, "\(relative)")
        }
        #expect(capabilities.sorted() == ["notes", "platform/session-layout", "sharing"])
    }

    @Test("read without task items gives the counts, status and issues of a read with them")
    func countsWithoutItems() throws {
        let folder = try #require(ChangeFolder(path: "changes/x"))
        var cases: [[String: [UInt8]]] = []
        for name in ["bom", "crlf", "fences-comments", "markers", "nested", "no-final-newline", "no-tasks", "numbering", "ordered"] {
            cases.append(["tasks.md": try Fixtures.bytes("tasks/\(name).md")])
        }
        cases.append(["tasks.md": utf8("## 1. A\n- [x] 1.1 a\n- [ ] 2.1 wrong\n- [ ] 1.1 again\n"), "sub/tasks.md": utf8("## 1. B\n- [x] 1.1 c\n")])
        cases.append(["tasks.md": [0xFF] + utf8("\n- [ ] 1.1 a\n")])
        for files in cases {
            for tracked in ["tasks.md", "**/tasks.md"] {
                let full = ChangeSnapshot.read(folder: folder, files: files, trackedTasks: tracked)
                let counted = ChangeSnapshot.read(folder: folder, files: files, trackedTasks: tracked, keepingTaskItems: false)
                #expect(counted.completedTasks == full.completedTasks && counted.totalTasks == full.totalTasks)
                #expect(counted.taskStatus == full.taskStatus)
                #expect(counted.issues == full.issues)
                #expect(counted.tasks?.total == full.tasks?.total && counted.tasks?.tasks.isEmpty != false)
            }
        }
    }

    @Test("issue paths are relative to openspec/")
    func issuePaths() throws {
        let folder = try #require(ChangeFolder(path: "changes/x"))
        let snapshot = ChangeSnapshot.read(
            folder: folder,
            files: ["tasks.md": utf8("## 1. A\n- [ ] 2.1 wrong\n"), "proposal.md": utf8("# T\n")])
        #expect(snapshot.issues.map(\.path) == [
            "changes/x/proposal.md", "changes/x/proposal.md", "changes/x/tasks.md", "changes/x",
        ])
        #expect(snapshot.issues.last?.message.hasPrefix("Change must have at least one delta. No deltas found.") == true)
        #expect(snapshot.title == "T")
    }

    @Test("apply.tracks globs: sums over matches, skips dot folders, falls back to tasks.md")
    func trackedTaskGlobs() throws {
        let folder = try #require(ChangeFolder(path: "changes/x"))
        let files: [String: [UInt8]] = [
            "tasks.md": utf8("## 2. Main\n- [x] 2.1 a\n- [ ] 2.2 b\n"),
            "sub/tasks.md": utf8("## 2. Sub\n- [x] 2.1 c\n"),
            ".checkpoints/tasks.md": utf8("- [ ] copied\n- [ ] copied\n"),
            "loop/checkpoints.md": utf8("- [x] one\n- [x] two\n- [ ] three\n"),
            "specs/a/spec.md": utf8("## ADDED Requirements\n### Requirement: A\nThe system SHALL a.\n#### Scenario: s\nok\n"),
        ]
        let all = ChangeSnapshot.read(folder: folder, files: files, trackedTasks: "**/tasks.md")
        #expect(all.totalTasks == 3)
        #expect(all.completedTasks == 2)
        #expect(all.taskLists.keys.sorted() == ["sub/tasks.md", "tasks.md"])
        // Task ids are checked across files, in path order.
        #expect(all.issues.map(\.message) == [
            "Task ID \"2.1\" is duplicated; it was first declared in sub/tasks.md on line 2."
        ])
        #expect(all.issues.first?.path == "changes/x/tasks.md")

        let loop = ChangeSnapshot.read(folder: folder, files: files, trackedTasks: "loop/checkpoints.md")
        #expect(loop.totalTasks == 3)
        #expect(loop.completedTasks == 2)
        #expect(loop.tasks?.total == 3)
        // A literal pattern matches by segments, as a wildcard one does.
        #expect(ChangeSnapshot.read(folder: folder, files: files, trackedTasks: "/loop//checkpoints.md").totalTasks == 3)
        #expect(ChangeSnapshot.read(folder: folder, files: files, trackedTasks: "tasks.md").taskLists.keys.sorted() == ["tasks.md"])

        let starred = ChangeSnapshot.read(folder: folder, files: files, trackedTasks: "loop/*.md")
        #expect(starred.totalTasks == 3)

        let fallback = ChangeSnapshot.read(folder: folder, files: files, trackedTasks: "nowhere/*.md")
        #expect(fallback.totalTasks == 2)
        #expect(fallback.completedTasks == 1)
        #expect(fallback.taskStatus == .inProgress)
    }

    @Test("specs/spec.md at the root is an error, not a delta, and replaces the no-delta error")
    func rootDeltaSpec() throws {
        let folder = try #require(ChangeFolder(path: "changes/x"))
        let snapshot = ChangeSnapshot.read(
            folder: folder,
            files: ["specs/spec.md": utf8("## ADDED Requirements\n### Requirement: A\nThe system SHALL a.\n#### s\nok\n")])
        #expect(snapshot.deltas.isEmpty)
        #expect(snapshot.issues.count == 1)
        #expect(snapshot.issues.first?.path == "changes/x/specs/spec.md")
        #expect(snapshot.issues.first?.message.hasPrefix("Delta spec found at specs/spec.md.") == true)
    }

    @Test("skip_specs with spec files is a conflict; invalid metadata does not honour it")
    func skipSpecs() throws {
        let folder = try #require(ChangeFolder(path: "changes/x"))
        let conflict = ChangeSnapshot.read(
            folder: folder,
            files: [
                ".openspec.yaml": utf8("schema: spec-driven\nskip_specs: true\n"),
                "specs/README.md": utf8("notes\n"),
            ])
        #expect(conflict.issues.messages() == [
            "skip_specs is set in .openspec.yaml but spec files exist under specs/. Remove skip_specs or delete the delta spec files"
        ])
        let invalid = ChangeSnapshot.read(folder: folder, files: [".openspec.yaml": utf8("skip_specs: true\n")])
        #expect(invalid.issues.messages() == [
            "schema is required",
            "skip_specs is set but .openspec.yaml is not valid change metadata, so the marker is not honored. Fix the metadata (schema is required)",
            invalid.issues.last?.message ?? "",
        ])
        #expect(invalid.issues.last?.message.hasPrefix("Change must have at least one delta.") == true)
    }
}
