import Foundation
import OpenSpecStore
import OpenSpecSyncTestSupport
import Testing
@testable import OpenSpecSync

private let folder = "openspec/changes/add-login"

/// A change with three commits of history: v1 (the target of most rollbacks), v2, v3.
private func changeWithHistory(writeFileSystem: WriteFileSystem = PosixWriteFileSystem()) throws
    -> (Harness, SpecSummary, v1: String)
{
    let h = try Harness(writeFileSystem: writeFileSystem)
    try h.writeChange("changes/add-login", tasks: "## 1. Work\n- [ ] 1.1 Do it\n- [ ] 1.2 Then this\n")
    try h.repo.write("\(folder)/specs/auth/spec.md", "## ADDED Requirements\n### Requirement: Login\nThe system SHALL log in.\n")
    try h.repo.write("\(folder)/check.sh", "#!/bin/sh\nexit 0\n")
    try h.repo.git("add", "-A")
    try h.repo.git("update-index", "--chmod=+x", "\(folder)/check.sh")
    #expect(chmod(h.repo.path + "/\(folder)/check.sh", 0o755) == 0)
    try h.repo.commitAll("v1")
    let v1 = try h.repo.git("rev-parse", "HEAD")
    try h.repo.write("\(folder)/tasks.md", "## 1. Work\n- [x] 1.1 Do it\n- [x] 1.2 Then this\n")
    try h.repo.write("\(folder)/design.md", "## Context\nAdded in v2.\n")
    try h.repo.commitAll("v2")
    try h.repo.write("\(folder)/specs/auth/spec.md", "## ADDED Requirements\n### Requirement: Login\nThe system SHALL log in, v3.\n")
    try h.repo.git("rm", "-q", "\(folder)/check.sh")
    try h.repo.commitAll("v3")
    try h.reconcile()
    return (h, try #require(try h.spec("changes/add-login")), v1)
}

@Suite("Rollback through git history")
struct RollbackTests {
    @Test("rollback restores the change's files at REV as one new commit and syncs the database")
    func restoresAsNewCommit() throws {
        let (h, spec, v1) = try changeWithHistory()
        // The user's own work elsewhere, staged and unstaged.
        try h.repo.write("README.md", "staged\n")
        try h.repo.git("add", "README.md")
        try h.repo.write("notes.txt", "untracked\n")
        let staged = try h.repo.git("diff", "--cached")
        let before = try h.repo.git("rev-parse", "HEAD")

        let result = try h.engine.rollback(spec: spec, to: String(v1.prefix(8)))

        #expect(result.outcome == .written)
        #expect(result.target == v1)
        #expect(Set(result.restored) == ["check.sh", "specs/auth/spec.md", "tasks.md"])
        #expect(result.deleted == ["design.md"])
        let head = try h.repo.git("rev-parse", "HEAD")
        #expect(head == result.commit)
        // History is not rewritten: the rollback sits on top of the old HEAD.
        #expect(try h.repo.git("rev-parse", "HEAD~1") == before)
        #expect(try h.repo.git("diff", "--name-only", v1, "HEAD", "--", folder) == "")
        #expect(try h.repo.git("diff", "HEAD~1", "HEAD", "--name-only").split(separator: "\n").sorted()
            == ["\(folder)/check.sh", "\(folder)/design.md", "\(folder)/specs/auth/spec.md", "\(folder)/tasks.md"])
        #expect(try h.repo.git("ls-files", "-s", "\(folder)/check.sh").hasPrefix("100755"))
        var info = stat()
        #expect(stat(h.repo.path + "/\(folder)/check.sh", &info) == 0 && info.st_mode & 0o111 != 0)
        #expect(!h.repo.exists("\(folder)/design.md"))
        #expect(try h.repo.git("status", "--porcelain", "--", folder) == "")
        #expect(try h.repo.git("diff", "--cached") == staged)
        #expect(try h.repo.readText("notes.txt") == "untracked\n")
        #expect(try h.repo.gitResult(["fsck", "--no-progress"]).status == 0)

        let message = try h.repo.git("log", "-1", "--format=%B")
        #expect(message.hasPrefix("openspec-sync: roll back add-login to \(v1.prefix(12))"))
        #expect(message.contains("OpenSpec-Sync: rollback"))
        #expect(message.contains("OpenSpec-Sync-Rollback-To: \(v1)"))
        #expect(try h.repo.git("log", "-1", "--format=%an") == "openspec-sync")

        // The database follows: tasks as at v1, no design, the rollback logged.
        let row = try #require(try h.spec("changes/add-login"))
        #expect(row.id == spec.id)
        #expect((row.completedTasks, row.totalTasks) == (0, 2))
        #expect(try h.engine.store.specFiles(specId: spec.id, withContent: false).map(\.path).contains("design.md") == false)
        let logged = try #require(try h.history(specId: spec.id).first { $0.action == "rollback" && $0.success && $0.toCommit == head })
        // Subscribers saw it begin: a start mark with the same run id, written before it.
        let all = try h.engine.store.history(after: 0, projectId: h.project.id, limit: 1000)
        #expect(all.contains { $0.action == HistoryRecord.startedAction && $0.runId == logged.runId && $0.id < logged.id })
        let log = try h.engine.log(spec: row).commits
        #expect(log.first?.commit == head && log.first?.syncCommit == true)
    }

    @Test("rolling back a rollback returns every byte, and REV = HEAD changes nothing")
    func rollbackOfRollback() throws {
        let (h, spec, v1) = try changeWithHistory()
        let v3 = try h.repo.git("rev-parse", "HEAD")
        let tasksAtV3 = try h.repo.read("\(folder)/tasks.md")
        _ = try h.engine.rollback(spec: spec, to: v1)
        let undo = try h.engine.rollback(spec: spec, to: "HEAD~1")
        #expect(undo.outcome == .written)
        #expect(undo.target == v3)
        #expect(Set(undo.restored) == ["design.md", "specs/auth/spec.md", "tasks.md"])
        #expect(undo.deleted == ["check.sh"])
        #expect(try h.repo.git("diff", "--name-only", v3, "HEAD") == "")
        #expect(try h.repo.read("\(folder)/tasks.md") == tasksAtV3)
        #expect(try h.repo.git("rev-list", "--count", "HEAD") == "6")  // init, v1-v3, two rollbacks
        #expect((try h.spec("changes/add-login")?.completedTasks) == 2)

        let again = try h.engine.rollback(spec: spec, to: "HEAD")
        #expect(again.outcome == .unchanged && again.commit == nil)
        #expect(try h.repo.git("rev-list", "--count", "HEAD") == "6")  // init, v1-v3, two rollbacks
    }

    @Test("an uncommitted edit wins: nothing is written, the target's version is kept and re-appliable")
    func uncommittedEditWins() throws {
        let (h, spec, v1) = try changeWithHistory()
        let mine = "## 1. Work\n- [x] 1.1 Do it\n- [x] 1.2 Then this\n- [ ] 1.3 Mine, not committed\n"
        try h.repo.write("\(folder)/tasks.md", mine)
        let head = try h.repo.git("rev-parse", "HEAD")

        let result = try h.engine.rollback(spec: spec, to: v1)

        #expect(result.outcome == .conflict)
        #expect(result.conflictPaths == ["tasks.md"])
        #expect(result.conflictIds.count == 1)
        #expect(try h.repo.git("rev-parse", "HEAD") == head)
        #expect(try h.repo.readText("\(folder)/tasks.md") == mine)
        #expect(h.repo.exists("\(folder)/design.md"))
        // The database took the file (the filesystem wins).
        #expect((try h.spec("changes/add-login")?.totalTasks) == 3)
        let kept = try #require(try h.engine.conflicts(projectId: h.project.id).first { $0.id == result.conflictIds[0] })
        #expect(kept.path == "tasks.md")
        #expect(kept.keptContent == "## 1. Work\n- [ ] 1.1 Do it\n- [ ] 1.2 Then this\n")
        #expect(try h.history(specId: spec.id).contains { $0.action == "conflict" && !$0.success })

        // Once the user commits, re-applying writes the target's tasks.md over it.
        try h.repo.commitAll("mine")
        let outcome = try h.engine.resolveConflict(result.conflictIds[0], resolution: .reapply)
        guard case .written = outcome else { Issue.record("expected written, got \(String(describing: outcome))"); return }
        #expect(try h.repo.readText("\(folder)/tasks.md") == kept.keptContent)
    }

    @Test("a commit not yet synced is no conflict: it is in history, so the rollback goes ahead")
    func committedButUnsynced() throws {
        let (h, spec, v1) = try changeWithHistory()
        try h.repo.write("\(folder)/tasks.md", "## 1. Work\n- [ ] 1.1 Changed and committed, no sync\n")
        try h.repo.commitAll("unsynced")
        let result = try h.engine.rollback(spec: spec, to: v1)
        #expect(result.outcome == .written)
        #expect(try h.repo.git("diff", "--name-only", v1, "HEAD", "--", folder) == "")
    }

    @Test("mid-merge or with index.lock held, the rollback refuses and changes nothing")
    func refusals() throws {
        let (h, spec, v1) = try changeWithHistory()
        try h.repo.write(".git/index.lock", "")
        let head = try h.repo.git("rev-parse", "HEAD")
        #expect {
            try h.engine.rollback(spec: spec, to: v1)
        } throws: { error in
            "\(error)".contains("index.lock") && "\(error)".contains("nothing was changed")
        }
        try h.repo.remove(".git/index.lock")

        try h.repo.git("checkout", "-q", "-b", "other")
        try h.repo.write("README.md", "theirs\n")
        try h.repo.commitAll("theirs")
        try h.repo.git("checkout", "-q", "main")
        try h.repo.write("README.md", "ours\n")
        try h.repo.commitAll("ours")
        let merging = try h.repo.git("rev-parse", "HEAD")
        #expect(try h.repo.gitResult(["merge", "other"]).status != 0)
        #expect {
            try h.engine.rollback(spec: spec, to: v1)
        } throws: { error in "\(error)".contains("mid-merge") }
        #expect(try h.repo.git("rev-parse", "HEAD") == merging)
        #expect(try h.repo.git("diff", "--name-only", head, "--", folder) == "")
        try h.repo.git("merge", "--abort")
        #expect(try h.engine.rollback(spec: spec, to: v1).outcome == .written)
    }

    @Test("a revision that names no commit, or predates the change, is refused by name")
    func badRevisions() throws {
        let (h, spec, _) = try changeWithHistory()
        let first = try h.repo.git("rev-list", "--max-parents=0", "HEAD")
        #expect(throws: SyncError.self) { try h.engine.rollback(spec: spec, to: "no-such-branch") }
        do {
            _ = try h.engine.rollback(spec: spec, to: first)
            Issue.record("a commit before the change existed must be refused")
        } catch let error as SyncError {
            guard case .notAtRevision = error else { Issue.record("unexpected \(error)"); return }
        }
        #expect(try h.repo.git("status", "--porcelain") == "")
    }

    @Test("an archived change rolls back to a commit from before the archive")
    func archivedChange() throws {
        let (h, _, v1) = try changeWithHistory()
        try h.gitArchive("add-login", on: "2026-02-01")
        try h.repo.commitAll("archive")
        try h.reconcile()
        let archived = try #require(try h.spec("changes/archive/2026-02-01-add-login"))
        let result = try h.engine.rollback(spec: archived, to: v1)
        #expect(result.outcome == .written)
        let base = "openspec/changes/archive/2026-02-01-add-login"
        #expect(try h.repo.readText("\(base)/tasks.md") == "## 1. Work\n- [ ] 1.1 Do it\n- [ ] 1.2 Then this\n")
        #expect(!h.repo.exists("\(base)/design.md"))
        #expect(!h.repo.exists(folder))
        #expect((try h.spec("changes/archive/2026-02-01-add-login")?.id) == archived.id)
    }

    @Test("a failure injected at each file step puts every file back, commits nothing, and a retry succeeds")
    func faultInjection() throws {
        var step = 1
        while step < 60 {
            let failing = FailingWriteFileSystem(failAt: step)
            let (h, spec, v1) = try changeWithHistory(writeFileSystem: failing)
            let head = try h.repo.git("rev-parse", "HEAD")
            let result: RollbackResult
            do {
                result = try h.engine.rollback(spec: spec, to: v1)
            } catch {
                #expect(failing.failed, "step \(step): \(error)")
                #expect("\(error)".contains("nothing was changed"), "step \(step)")
                #expect(try h.repo.git("rev-parse", "HEAD") == head, "step \(step)")
                #expect(try h.repo.git("status", "--porcelain", "--untracked-files=all", "--", folder) == "", "step \(step)")
                #expect(try h.engine.store.sqlite!.integrityCheck() == "ok")
                #expect(try h.engine.rollback(spec: spec, to: v1).outcome == .written, "step \(step): the retry")
                #expect(try h.repo.git("diff", "--name-only", v1, "HEAD", "--", folder) == "")
                step += 1
                continue
            }
            #expect(!failing.failed && result.outcome == .written)
            #expect(step > 8, "every file step (backups, temp files, renames, deletion, fsyncs) was failed once")
            break
        }
    }
}
