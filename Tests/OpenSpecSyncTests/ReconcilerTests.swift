import Foundation
import OpenSpecStore
import OpenSpecSyncTestSupport
import Testing
@testable import OpenSpecSync

@Suite("Reconciler: filesystem to database")
struct ReconcilerTests {
    @Test("first sync imports every change, archive and main spec")
    func fullImport() throws {
        let h = try Harness()
        try h.writeChange("changes/add-login", title: "Add login")
        try h.writeChange("changes/add-search", tasks: "- [x] one\n- [X] two\n")
        try h.writeChange("changes/archive/2026-01-12-add-rate-limit", tasks: "- [ ] unfinished\n")
        try h.repo.write("openspec/changes/only-metadata/.openspec.yaml", "schema: spec-driven\ncreated: 2026-06-04\n")
        try h.repo.write("openspec/specs/auth/spec.md", "# auth\n\n## Purpose\nWho may log in.\n\n## Requirements\n### Requirement: Login\nThe system SHALL log users in.\n\n#### Scenario: ok\n- works\n")
        try h.repo.write("openspec/changes/IMPLEMENTATION_ORDER.md", "stray file, not a change\n")
        try h.repo.commitAll("specs")

        let summary = try h.reconcile()
        #expect(summary.mode == .full)
        #expect(summary.created == 4)
        #expect(summary.mainSpecsChanged == 1)
        #expect(summary.problems.isEmpty)

        let specs = try h.specs()
        #expect(specs.map(\.path) == [
            "changes/add-login", "changes/add-search", "changes/archive/2026-01-12-add-rate-limit", "changes/only-metadata",
        ])
        let login = try #require(try h.spec("changes/add-login"))
        #expect(login.title == "Add login")
        #expect(login.status == .active)
        #expect((login.completedTasks, login.totalTasks, login.taskStatus) == (1, 2, "in-progress"))
        let search = try #require(try h.spec("changes/add-search"))
        #expect(search.title == "add-search")
        #expect(search.taskStatus == "complete")
        let archived = try #require(try h.spec("changes/archive/2026-01-12-add-rate-limit"))
        #expect(archived.status == .archived)
        #expect(archived.changeId == "add-rate-limit")
        #expect(archived.archivedOn == "2026-01-12")
        let meta = try #require(try h.record("changes/only-metadata"))
        #expect(meta.createdOn == "2026-06-04")
        #expect(meta.taskStatus == "no-tasks")

        let files = try h.engine.store.specFiles(specId: login.id, withContent: true)
        #expect(files.map(\.path) == ["proposal.md", "tasks.md"])
        let onDisk = try h.repo.read("openspec/changes/add-login/tasks.md")
        #expect(files[1].content.map { [UInt8]($0) } == onDisk)
        #expect(files[1].blobId == (try h.repo.git("hash-object", "openspec/changes/add-login/tasks.md")))

        let mainSpecs = try h.engine.store.mainSpecs(projectId: h.project.id)
        #expect(mainSpecs.map(\.capability) == ["auth"])
        #expect(mainSpecs[0].requirementCount == 1)

        // Every spec touched has a history row, plus the run's own row.
        let history = try h.history()
        #expect(history.filter { $0.specId != nil }.count == 4)
        #expect(history.filter { $0.specId == nil }.count == 1)
        #expect(history.allSatisfy { $0.triggeredBy == "manual" && $0.syncDirection == "fs_to_db" })

        // Converges: the next run changes nothing and logs one "no changes" row.
        let again = try h.reconcile()
        #expect(again.mode == .incremental)
        #expect(again.changedCount == 0 && again.mainSpecsChanged == 0)
        let after = try h.history()
        #expect(after.count == history.count + 1)
        #expect(after.first?.action == "unchanged")
    }

    @Test("a commit touching some changes updates exactly those")
    func commitUpdatesExactlyTouched() throws {
        let h = try Harness()
        for i in 1...6 { try h.writeChange("changes/change-\(i)") }
        try h.repo.commitAll("six changes")
        try h.reconcile()
        let before = try h.specs()

        try h.repo.write("openspec/changes/change-2/tasks.md", "## 1. Work\n- [x] 1.1 Do it\n- [x] 1.2 Done\n")
        try h.repo.write("openspec/changes/change-5/proposal.md", "# Change: Renamed five\n\n## Why\nNew text.\n")
        let head = try h.repo.commitAll("touch two")

        let summary = try h.reconcile(trigger: .postCommit)
        #expect(summary.mode == .incremental)
        #expect(summary.changes.map(\.path) == ["changes/change-2", "changes/change-5"])
        #expect(summary.changes.map(\.files) == [["changes/change-2/tasks.md"], ["changes/change-5/proposal.md"]])
        #expect(summary.toCommit == head)
        #expect(try h.spec("changes/change-2")?.taskStatus == "complete")
        #expect(try h.spec("changes/change-5")?.title == "Renamed five")

        let after = try h.specs()
        for (old, new) in zip(before, after) where !["changes/change-2", "changes/change-5"].contains(old.path) {
            #expect(old == new, "untouched \(old.path) must not be rewritten")
        }
        let rows = try h.history().filter { $0.triggeredBy == "post-commit" }
        #expect(rows.compactMap(\.specId).count == 2)
        #expect(rows.allSatisfy { $0.toCommit == head })
    }

    @Test("an uncommitted edit is seen, and so is its revert")
    func uncommittedEdit() throws {
        let h = try Harness()
        try h.writeChange("changes/add-x")
        try h.repo.commitAll("x")
        try h.reconcile()

        try h.repo.write("openspec/changes/add-x/tasks.md", "- [x] 1.1 Do it\n- [x] 1.2 Done\n- [ ] 1.3 New\n")
        try h.reconcile()
        let edited = try #require(try h.spec("changes/add-x"))
        #expect((edited.completedTasks, edited.totalTasks) == (2, 3))

        // Reverting the edit leaves no trace in git's diffs: the reconciler
        // must remember the path it saw dirty.
        try h.repo.git("checkout", "--", "openspec/changes/add-x/tasks.md")
        try h.reconcile()
        let reverted = try #require(try h.spec("changes/add-x"))
        #expect((reverted.completedTasks, reverted.totalTasks) == (1, 2))

        // A new untracked change folder counts too.
        try h.writeChange("changes/draft-y")
        let summary = try h.reconcile()
        #expect(summary.changes.map(\.path) == ["changes/draft-y"])
    }

    @Test("once folders are old enough to be trusted unread, new, removed and edited files in them are still seen")
    func trustedFolderListings() throws {
        let h = try Harness()
        try h.writeChange("changes/add-x")
        try h.writeChange("changes/add-y")
        try h.repo.write("openspec/changes/add-y/specs/auth/spec.md", "## ADDED Requirements\n### Requirement: A\nThe system SHALL a.\n")
        try h.repo.commitAll("x")
        try h.reconcile()
        // Folders changed within a second of a walk are listed again; after
        // this pause and one more run, the next run trusts their listings.
        Thread.sleep(forTimeInterval: 1.2)
        try h.reconcile()

        try h.repo.write("openspec/changes/add-x/design.md", "# Design\nNew.\n")
        try h.repo.write("openspec/changes/add-y/specs/billing/spec.md", "## ADDED Requirements\n### Requirement: B\nThe system SHALL b.\n")
        try FileManager.default.removeItem(atPath: h.repo.path + "/openspec/changes/add-y/specs/auth/spec.md")
        try h.repo.write("openspec/changes/add-y/tasks.md", "- [x] 1.1 Do it\n")
        let summary = try h.reconcile()
        #expect(Set(summary.changes.map(\.path)) == ["changes/add-x", "changes/add-y"])
        let x = try #require(try h.record("changes/add-x"))
        #expect(x.designContent == "# Design\nNew.\n")
        let y = try #require(try h.spec("changes/add-y"))
        #expect((y.completedTasks, y.totalTasks) == (1, 1))
        let files = try h.engine.store.specFiles(specId: y.id, withContent: false).map(\.path).sorted()
        #expect(files.contains("specs/billing/spec.md") && !files.contains("specs/auth/spec.md"), "\(files)")
        #expect(try h.reconcile().changes.isEmpty, "and then the tree is settled")
    }

    @Test("a file replaced by a folder, and a folder replaced by a file, are seen by an incremental run")
    func typeChangesSeen() throws {
        let h = try Harness()
        try h.writeChange("changes/add-x")
        try h.repo.write("openspec/changes/add-x/specs/auth/spec.md", "## ADDED Requirements\n### Requirement: A\nThe system SHALL a.\n")
        try h.repo.commitAll("x")
        try h.reconcile()
        Thread.sleep(forTimeInterval: 1.2)
        try h.reconcile()
        let id = try #require(try h.spec("changes/add-x")).id
        func files() throws -> [String] { try h.engine.store.specFiles(specId: id, withContent: false).map(\.path).sorted() }

        let root = h.repo.path + "/openspec/changes/add-x"
        try FileManager.default.removeItem(atPath: root + "/tasks.md")
        try FileManager.default.createDirectory(atPath: root + "/tasks.md", withIntermediateDirectories: false)
        let first = try h.reconcile()
        #expect(first.examined == 1)
        #expect(first.changes.map(\.path) == ["changes/add-x"])
        let afterFolder = try files()
        #expect(!afterFolder.contains("tasks.md"), "\(afterFolder)")
        #expect(try h.record("changes/add-x")?.tasksContent == nil)
        #expect(try h.reconcile().changes.isEmpty, "and then the tree is settled")

        try FileManager.default.removeItem(atPath: root + "/specs")
        try "# specs as a file\n".write(toFile: root + "/specs", atomically: false, encoding: .utf8)
        let second = try h.reconcile()
        #expect(second.changes.map(\.path) == ["changes/add-x"])
        let afterFile = try files()
        #expect(afterFile == ["proposal.md", "specs"], "\(afterFile)")
        #expect(try h.reconcile().changes.isEmpty, "and then the tree is settled")
    }

    @Test("a git submodule under changes/ is not a change: skipped with one warning in status, removed if it was a change")
    func submoduleSkipped() throws {
        let h = try Harness()
        try h.writeChange("changes/add-x")
        try h.writeChange("changes/becomes-sub")
        try h.repo.commitAll("x")
        try h.reconcile()
        let other = try TempRepo()
        try other.write("proposal.md", "## Why\nAnother repository.\n")
        try other.commitAll("other")
        func addSubmodule(_ path: String) throws {
            _ = try h.repo.git(["-c", "protocol.file.allow=always", "submodule", "--quiet", "add", other.path, path])
        }
        try addSubmodule("openspec/changes/sub")
        _ = try h.repo.git("rm", "-r", "-q", "openspec/changes/becomes-sub")
        try addSubmodule("openspec/changes/becomes-sub")
        _ = try h.repo.commitAll("submodules")
        let expected = [SkippedPath(path: "changes/becomes-sub", reason: .submodule), SkippedPath(path: "changes/sub", reason: .submodule)]
        for full in [false, false, true, false] {
            let summary = try h.reconcile(full: full)
            #expect(summary.problems.isEmpty, "\(summary.problems)")
            #expect(try h.spec("changes/sub") == nil)
            #expect(try h.spec("changes/becomes-sub")?.status == .removed)
            #expect(try h.spec("changes/add-x")?.status == .active)
            let skipped = try #require(try h.engine.status().first).skipped
            #expect(skipped == expected, "\(skipped)")
        }
        #expect(try h.history().filter { $0.action == "removed" }.count == 1)

        // Not checked out (an empty folder, as after a clone without submodules): still not a change.
        _ = try h.repo.git("submodule", "--quiet", "deinit", "-f", "openspec/changes/sub")
        for full in [true, false] {
            #expect(try h.reconcile(full: full).problems.isEmpty)
            #expect(try h.spec("changes/sub") == nil)
            #expect(try h.engine.status().first?.skipped == expected)
        }

        _ = try h.repo.git("rm", "-q", "-f", "openspec/changes/sub")
        _ = try h.repo.commitAll("no submodule")
        try h.reconcile()
        #expect(try h.engine.status().first?.skipped == [expected[0]])
    }

    @Test("a full compare empties the write-ahead log; a small run leaves it for a later checkpoint")
    func fullCompareTruncatesLog() throws {
        let h = try Harness()
        for i in 1...30 { try h.writeChange("changes/change-\(i)") }
        try h.repo.commitAll("x")
        func logSize() -> Int {
            ((try? FileManager.default.attributesOfItem(atPath: h.engine.store.sqlite!.path + "-wal"))?[.size] as? Int) ?? 0
        }
        try h.reconcile()
        #expect(logSize() == 0, "the import's log is copied into the database and truncated")
        try h.repo.write("openspec/changes/change-1/tasks.md", "- [x] 1.1 Done\n")
        try h.reconcile()
        #expect(logSize() > 0, "an incremental run leaves its few pages in the log")
        try h.reconcile(full: true)
        #expect(logSize() == 0)
        #expect(try h.engine.store.sqlite!.integrityCheck() == "ok")
    }

    @Test("archive by git mv keeps the row and its history")
    func archiveByGitMove() throws {
        let h = try Harness()
        try h.writeChange("changes/add-login")
        try h.repo.commitAll("add")
        try h.reconcile()
        let original = try #require(try h.spec("changes/add-login"))

        try h.gitArchive("add-login", on: "2026-02-03")
        try h.repo.commitAll("archive")
        let summary = try h.reconcile()

        #expect(summary.archived == 1 && summary.created == 0 && summary.removed == 0)
        let moved = try #require(try h.spec("changes/archive/2026-02-03-add-login"))
        #expect(moved.id == original.id)
        #expect(moved.status == .archived)
        #expect(moved.archivedOn == "2026-02-03")
        #expect(try h.specs().count == 1)
        #expect(try h.history(specId: original.id).map(\.action) == ["archived", "created"])
    }

    @Test("archive by delete plus add with edits keeps identity")
    func archiveByDeleteAndAdd() throws {
        let h = try Harness()
        try h.writeChange("changes/add-search")
        try h.repo.commitAll("add")
        try h.reconcile()
        let original = try #require(try h.spec("changes/add-search"))

        try h.repo.remove("openspec/changes/add-search")
        try h.writeChange("changes/archive/2026-03-01-add-search", title: "Search, finished",
                          tasks: "- [x] 1.1 Do it\n- [x] 1.2 Done\n- [x] 1.3 Extra\n")
        try h.repo.write("openspec/changes/archive/2026-03-01-add-search/specs/search/spec.md", "## ADDED Requirements\n### Requirement: Find\nThe system SHALL find.\n\n#### Scenario: hit\n- found\n")
        try h.repo.commitAll("archive with edits")
        let summary = try h.reconcile()

        #expect(summary.archived == 1 && summary.created == 0 && summary.removed == 0)
        let moved = try #require(try h.spec("changes/archive/2026-03-01-add-search"))
        #expect(moved.id == original.id)
        #expect(moved.title == "Search, finished")
        #expect((moved.completedTasks, moved.totalTasks) == (3, 3))
        let files = try h.engine.store.specFiles(specId: moved.id, withContent: false).map(\.path)
        #expect(files == ["proposal.md", "specs/search/spec.md", "tasks.md"])
    }

    @Test("delete and archive synced in separate runs still keep identity")
    func archiveAcrossRuns() throws {
        let h = try Harness()
        try h.writeChange("changes/add-export")
        try h.repo.commitAll("add")
        try h.reconcile()
        let original = try #require(try h.spec("changes/add-export"))

        try h.repo.remove("openspec/changes/add-export")
        try h.repo.commitAll("delete")
        #expect(try h.reconcile().removed == 1)
        #expect(try h.spec("changes/add-export")?.status == .removed)

        try h.writeChange("changes/archive/2026-03-02-add-export")
        try h.repo.commitAll("re-add archived")
        #expect(try h.reconcile().archived == 1)
        #expect(try h.spec("changes/archive/2026-03-02-add-export")?.id == original.id)
    }

    @Test("a change folder that disappears without archive becomes removed, history kept")
    func removal() throws {
        let h = try Harness()
        try h.writeChange("changes/add-a")
        try h.writeChange("changes/add-b")
        try h.repo.commitAll("two")
        try h.reconcile()
        let a = try #require(try h.spec("changes/add-a"))

        try h.repo.git("rm", "-r", "-q", "openspec/changes/add-a")
        try h.repo.commitAll("drop a")
        let summary = try h.reconcile()
        #expect(summary.removed == 1)
        #expect(summary.changes.first?.files == ["changes/add-a/proposal.md", "changes/add-a/tasks.md"])
        let removed = try #require(try h.spec("changes/add-a"))
        #expect(removed.id == a.id && removed.status == .removed)
        #expect(try h.history(specId: a.id).map(\.action) == ["removed", "created"])
        #expect(try h.spec("changes/add-b")?.status == .active)

        // Bringing the folder back restores the same row.
        try h.repo.git("revert", "--no-edit", "HEAD")
        let back = try h.reconcile()
        #expect(back.restored == 1)
        #expect(try h.spec("changes/add-a")?.status == .active)
        #expect(try h.spec("changes/add-a")?.id == a.id)
    }

    @Test("the same change id archived twice gives two rows")
    func archivedTwice() throws {
        let h = try Harness()
        try h.writeChange("changes/fix-sync")
        try h.repo.commitAll("first")
        try h.reconcile()
        try h.gitArchive("fix-sync", on: "2026-01-01")
        try h.repo.commitAll("archive first")
        try h.reconcile()

        try h.writeChange("changes/fix-sync", title: "Fix sync again")
        try h.repo.commitAll("second")
        try h.reconcile()
        try h.gitArchive("fix-sync", on: "2026-05-01")
        try h.repo.commitAll("archive second")
        try h.reconcile()

        let rows = try h.specs().filter { $0.changeId == "fix-sync" }
        #expect(rows.map(\.path) == ["changes/archive/2026-01-01-fix-sync", "changes/archive/2026-05-01-fix-sync"])
        #expect(rows.allSatisfy { $0.status == .archived })
        #expect(Set(rows.map(\.id)).count == 2)
        #expect(rows[1].title == "Fix sync again")
        // An id that names two archived changes is ambiguous; paths are not.
        #expect(throws: SyncError.self) { try h.engine.resolveSpec("fix-sync") }
        #expect(try h.engine.resolveSpec("changes/archive/2026-05-01-fix-sync").id == rows[1].id)
    }

    @Test("a last-synced commit rebased away falls back to a full compare")
    func rebasedAwayCommit() throws {
        let h = try Harness()
        try h.writeChange("changes/add-a")
        try h.repo.commitAll("a")
        try h.writeChange("changes/add-b")
        let doomed = try h.repo.commitAll("b")
        try h.reconcile()
        #expect(try h.engine.store.project(id: h.project.id)?.lastReconciledCommit == doomed)

        // Rewrite history and make the old commit truly unreachable and pruned.
        try h.repo.git("reset", "-q", "--hard", "HEAD~1")
        try h.writeChange("changes/add-c")
        try h.repo.commitAll("c instead of b")
        try h.repo.git("reflog", "expire", "--expire=now", "--all")
        try h.repo.git("gc", "-q", "--prune=now")
        #expect((try h.repo.gitResult(["cat-file", "-e", doomed])).status != 0)

        let summary = try h.reconcile()
        #expect(summary.mode == .full)
        #expect(summary.fullReason?.contains("gone") == true)
        #expect(summary.problems.isEmpty)
        #expect(try h.spec("changes/add-b")?.status == .removed)
        #expect(try h.spec("changes/add-c")?.status == .active)
        #expect(try h.reconcile().mode == .incremental)
    }

    @Test("an unborn HEAD syncs the working tree, then the first commit changes nothing")
    func unbornHead() throws {
        let h = try Harness(commitInitial: false)
        try h.writeChange("changes/add-first")
        let summary = try h.reconcile()
        #expect(summary.toCommit == nil)
        #expect(summary.created == 1)
        #expect(try h.engine.store.project(id: h.project.id)?.lastReconciledCommit == nil)

        try h.repo.commitAll("first commit")
        let next = try h.reconcile()
        #expect(next.mode == .incremental)
        #expect(next.changedCount == 0)
        #expect(next.toCommit != nil)
    }

    @Test("touching files (mtime only) causes no sync")
    func mtimeOnly() throws {
        let h = try Harness()
        for i in 1...3 { try h.writeChange("changes/c-\(i)") }
        try h.repo.commitAll("three")
        try h.reconcile()
        let before = try h.specs()
        let future = Date().addingTimeInterval(3600)
        let enumerator = FileManager.default.enumerator(atPath: h.repo.path + "/openspec")
        while let path = enumerator?.nextObject() as? String {
            try FileManager.default.setAttributes([.modificationDate: future], ofItemAtPath: h.repo.path + "/openspec/" + path)
        }
        let full = try h.reconcile(full: true)
        #expect(full.changedCount == 0)
        // A full compare only records that each row was verified.
        var verified = try h.specs()
        for index in verified.indices { verified[index].lastSyncedAt = before[index].lastSyncedAt }
        #expect(verified == before)
        let afterFull = try h.specs()
        // An ordinary run after the touch rewrites nothing at all.
        #expect(try h.reconcile().changedCount == 0)
        #expect(try h.specs() == afterFull)
    }

    @Test("a git checkout of another branch is followed")
    func branchSwitch() throws {
        let h = try Harness()
        try h.writeChange("changes/on-main")
        try h.repo.commitAll("main")
        try h.repo.git("checkout", "-q", "-b", "feature")
        try h.writeChange("changes/on-feature")
        try h.repo.commitAll("feature")
        try h.reconcile()
        #expect(try h.spec("changes/on-feature")?.status == .active)
        try h.repo.git("checkout", "-q", "main")
        let summary = try h.reconcile(trigger: .postCheckout)
        #expect(summary.removed == 1)
        #expect(try h.spec("changes/on-feature")?.status == .removed)
    }
}
