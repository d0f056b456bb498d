import Foundation
import OpenSpecStore
import OpenSpecSyncTestSupport
import Testing
@testable import OpenSpecSync
#if canImport(Glibc)
import Glibc
#endif

/// A change committed and synced, plus the user's own work elsewhere.
private func syncedChange(tasks: String = "## 1. Work\n- [ ] 1.1 Do it\n- [x] 1.2 Done\n",
                          tasksBytes: [UInt8]? = nil,
                          writeFileSystem: WriteFileSystem = PosixWriteFileSystem()) throws -> (Harness, SpecSummary) {
    let h = try Harness(writeFileSystem: writeFileSystem)
    try h.writeChange("changes/add-login", tasks: tasks)
    if let tasksBytes { try h.repo.write("openspec/changes/add-login/tasks.md", bytes: tasksBytes) }
    try h.repo.write("README.md", "readme\n")
    try h.repo.write("src.txt", "source\n")
    try h.repo.commitAll("add change")
    try h.reconcile()
    let spec = try #require(try h.spec("changes/add-login"))
    return (h, spec)
}

private let tasksPath = "openspec/changes/add-login/tasks.md"

private func commit(of outcome: WriteOutcome) -> String? {
    if case let .written(commit) = outcome { return commit }
    return nil
}

private func pendingCount(_ h: Harness) throws -> Int {
    try h.engine.store.writeCounts(projectId: h.project.id).pendingWrites
}

@Suite("Writes: database to filesystem")
struct WriteTests {
    @Test("a task toggle commits exactly tasks.md, leaves the user's work alone and does not echo")
    func toggleCommitsOneFile() throws {
        let (h, spec) = try syncedChange()
        // The user's own work in progress: one staged edit, one unstaged.
        try h.repo.write("README.md", "readme, staged edit\n")
        try h.repo.git("add", "README.md")
        try h.repo.write("src.txt", "source, unstaged edit\n")
        let staged = try h.repo.git("diff", "--cached")
        let unstaged = try h.repo.git("diff")
        let before = try h.repo.read(tasksPath)
        // A temporary file left by a write that was killed before its rename.
        let leftover = "openspec/changes/add-login/.tasks.md.openspec-sync-0a1b2c.tmp"
        try h.repo.write(leftover, "half")

        let outcome = try h.engine.toggleTask(spec: spec, task: "1.1", done: true)
        let written = try #require(commit(of: outcome))

        #expect(try h.repo.git("rev-parse", "HEAD") == written)
        #expect(try h.repo.git("diff", "HEAD~1", "HEAD", "--name-only") == tasksPath)
        #expect(try h.repo.git("diff", "--cached") == staged)
        #expect(try h.repo.git("diff") == unstaged)
        #expect(try h.repo.git("status", "--porcelain", "--", tasksPath) == "")
        #expect(!h.repo.exists(leftover))
        #expect(try h.repo.gitResult(["fsck", "--no-progress"]).status == 0)
        let after = try h.repo.read(tasksPath)
        #expect(after.count == before.count)
        #expect(zip(before, after).filter { $0 != $1 }.count == 1)
        #expect(String(decoding: after, as: UTF8.self).contains("- [x] 1.1 Do it"))

        #expect(try h.repo.git("log", "-1", "--format=%an <%ae>") == "openspec-sync <openspec-sync@localhost>")
        let message = try h.repo.git("log", "-1", "--format=%B")
        #expect(message.hasPrefix("openspec-sync: update add-login/tasks.md"))
        #expect(message.contains("OpenSpec-Sync: db_to_fs"))
        #expect(message.contains("OpenSpec-Sync-Spec: \(spec.id)"))

        let row = try #require(try h.spec("changes/add-login"))
        #expect((row.completedTasks, row.totalTasks) == (2, 2))
        #expect(row.syncError == nil)
        let history = try h.history(specId: spec.id)
        #expect(history.contains { $0.syncDirection == "db_to_fs" && $0.success && $0.toCommit == written
            && $0.filesChangedList == ["changes/add-login/tasks.md"] && $0.triggeredBy == "user_edit" })
        #expect(try h.engine.store.pendingWrite(id: 1)?.status == .written)

        // No echo: the next reconcile finds nothing to do.
        let next = try h.reconcile()
        #expect(next.changedCount == 0)
        // The old content was backed up outside the working tree.
        let backups = h.repo.path + "/.git/openspec-sync/backups"
        let folders = try FileManager.default.contentsOfDirectory(atPath: backups)
        #expect(folders.count == 1)
        #expect(try Data(contentsOf: URL(fileURLWithPath: backups + "/" + folders[0] + "/changes/add-login/tasks.md")) == Data(before))
    }

    @Test("a toggle on a CRLF + BOM tasks.md without a final newline changes exactly one byte")
    func toggleKeepsBytes() throws {
        let original = Array("\u{FEFF}## 1. Work\r\n- [ ] 1.1 Do it\r\n- [x] 1.2 Done\r\n- [] 1.3 Empty".utf8)
        let (h, spec) = try syncedChange(tasksBytes: original)

        _ = try #require(commit(of: try h.engine.toggleTask(spec: spec, task: "1.1", done: true)))
        let first = try h.repo.read(tasksPath)
        #expect(first.count == original.count)
        let differing = zip(original, first).enumerated().filter { $0.element.0 != $0.element.1 }
        #expect(differing.count == 1)
        #expect(differing.first?.element.1 == UInt8(ascii: "x"))
        #expect(first.last == UInt8(ascii: "y"))  // still no final newline

        _ = try #require(commit(of: try h.engine.toggleTask(spec: spec, task: "#2", done: false)))
        let second = try h.repo.read(tasksPath)
        #expect(zip(first, second).filter { $0 != $1 }.count == 1)
        #expect(String(decoding: second, as: UTF8.self).contains("- [ ] 1.2 Done\r\n"))

        // "[]" gets one inserted byte.
        _ = try #require(commit(of: try h.engine.toggleTask(spec: spec, task: "1.3", done: true)))
        let third = try h.repo.read(tasksPath)
        #expect(third == Array(second.dropLast(" 1.3 Empty".utf8.count + 1)) + Array("x] 1.3 Empty".utf8))
        #expect(third.starts(with: [0xEF, 0xBB, 0xBF]))
        #expect(try h.reconcile().changedCount == 0)

        #expect(throws: SyncError.self) { try h.engine.toggleTask(spec: spec, task: "9.9", done: true) }
        #expect(throws: SyncError.self) { try h.engine.toggleTask(spec: spec, task: "#99", done: true) }
    }

    @Test("an edit keeps the executable bit, and a new file in a new folder is created and committed")
    func modeAndNewFile() throws {
        let (h, spec) = try syncedChange()
        chmod(h.repo.path + "/" + tasksPath, 0o755)
        try h.repo.commitAll("make tasks executable")
        try h.reconcile()

        _ = try #require(commit(of: try h.engine.edit(spec: spec, file: "tasks.md", content: Array("- [x] all\n".utf8))))
        var info = stat()
        #expect(lstat(h.repo.path + "/" + tasksPath, &info) == 0)
        #expect(info.st_mode & 0o111 != 0)
        #expect(try h.repo.git("ls-tree", "HEAD", tasksPath).hasPrefix("100755"))
        #expect(try h.repo.git("status", "--porcelain", "--", tasksPath) == "")

        let delta = Array("## ADDED Requirements\n### Requirement: Login\nThe system SHALL log in.\n".utf8)
        _ = try #require(commit(of: try h.engine.edit(spec: spec, file: "specs/auth/spec.md", content: delta)))
        #expect(try h.repo.read("openspec/changes/add-login/specs/auth/spec.md") == delta)
        #expect(try h.repo.git("diff", "HEAD~1", "HEAD", "--name-only") == "openspec/changes/add-login/specs/auth/spec.md")
        #expect(try h.repo.git("ls-tree", "HEAD", "openspec/changes/add-login/specs/auth/spec.md").hasPrefix("100644"))
        #expect(try h.reconcile().changedCount == 0)
        let files = try h.engine.store.specFiles(specId: spec.id, withContent: false).map(\.path)
        #expect(files.contains("specs/auth/spec.md"))
    }

    @Test("a file changed on disk since the last sync wins; the edit is kept whole and can be re-applied",
          arguments: [true, false])
    func conflict(committed: Bool) throws {
        let (h, spec) = try syncedChange()
        let theirs = "## 1. Work\n- [ ] 1.1 Do it, changed on disk\n"
        try h.repo.write(tasksPath, theirs)
        if committed { try h.repo.commitAll("user edit") }
        let head = try h.repo.git("rev-parse", "HEAD")

        let mine = Array("## 1. Work\n- [x] 1.1 Mine\n- [x] 1.2 Mine too\n".utf8)
        let outcome = try h.engine.edit(spec: spec, file: "tasks.md", content: mine)
        guard case let .conflict(id) = outcome else { Issue.record("expected a conflict, got \(outcome)"); return }
        #expect(try h.repo.readText(tasksPath) == theirs)
        #expect(try h.repo.git("rev-parse", "HEAD") == head)
        #expect(try h.record("changes/add-login")?.tasksContent == theirs)
        let kept = try #require(try h.engine.store.conflict(id: id))
        #expect(kept.dbContent == Data(mine))
        #expect(kept.fsBlobId != nil && kept.fsBlobId != kept.baseBlobId)
        #expect(kept.dbModifiedAt != nil)
        let views = try h.engine.conflicts(projectId: h.project.id)
        #expect(views.map(\.id) == [id])
        #expect(views.first?.keptContent == String(decoding: mine, as: UTF8.self))
        #expect(views.first?.changeId == "add-login")
        #expect(try h.history(specId: spec.id).contains { $0.action == "conflict" && !$0.success })
        #expect(try h.engine.status().first?.openConflicts == 1)

        if committed {
            let reapplied = try #require(try h.engine.resolveConflict(id, resolution: .reapply))
            _ = try #require(commit(of: reapplied))
            #expect(try h.repo.read(tasksPath) == mine)
            #expect(try h.record("changes/add-login")?.tasksContent == String(decoding: mine, as: UTF8.self))
        } else {
            #expect(try h.engine.resolveConflict(id, resolution: .filesystem) == nil)
            #expect(try h.repo.readText(tasksPath) == theirs)
        }
        #expect(try h.engine.conflicts(projectId: h.project.id).isEmpty)
        #expect(throws: SyncError.self) { try h.engine.resolveConflict(id, resolution: .filesystem) }
    }

    @Test("the conflict to resolve: the only open one, the one named, or an error naming the choices")
    func choosingAConflict() throws {
        let (h, spec) = try syncedChange()
        #expect(throws: SyncError.self) { try h.engine.openConflict(of: spec, id: nil) }
        var ids: [Int64] = []
        for round in 1...2 {
            try h.repo.write(tasksPath, "## 1. Work\n- [ ] 1.1 Changed on disk, round \(round)\n")
            guard case let .conflict(id) = try h.engine.edit(spec: spec, file: "tasks.md", content: Array("mine \(round)\n".utf8)) else {
                Issue.record("round \(round): expected a conflict"); return
            }
            ids.append(id)
            if round == 1 { #expect(try h.engine.openConflict(of: spec, id: nil).id == id) }
        }
        do {
            _ = try h.engine.openConflict(of: spec, id: nil)
            Issue.record("two open conflicts and no id must be refused")
        } catch let SyncError.severalConflicts(change, listed) {
            #expect(change == "add-login" && listed.sorted() == ids.sorted())
        }
        #expect(try h.engine.openConflict(of: spec, id: ids[1]).keptContent == "mine 2\n")
        #expect(throws: SyncError.self) { try h.engine.openConflict(of: spec, id: 999) }
    }

    @Test("mid-merge, the write waits with its reason and succeeds after the merge is aborted")
    func midMerge() throws {
        let (h, spec) = try syncedChange()
        try h.repo.git("checkout", "-q", "-b", "other")
        try h.repo.write("README.md", "theirs\n")
        try h.repo.commitAll("theirs")
        try h.repo.git("checkout", "-q", "main")
        try h.repo.write("README.md", "ours\n")
        try h.repo.commitAll("ours")
        #expect(try h.repo.gitResult(["merge", "other"]).status != 0)
        let before = try h.repo.read(tasksPath)
        let head = try h.repo.git("rev-parse", "HEAD")

        let outcome = try h.engine.toggleTask(spec: spec, task: "1.1", done: true)
        guard case let .pending(reason) = outcome else { Issue.record("expected pending, got \(outcome)"); return }
        #expect(reason.contains("mid-merge"))
        #expect(try h.repo.read(tasksPath) == before)
        #expect(try h.repo.git("rev-parse", "HEAD") == head)
        #expect(try pendingCount(h) == 1)
        #expect(try h.spec("changes/add-login")?.syncError?.contains("mid-merge") == true)
        let write = try #require(try h.engine.store.pendingWrite(id: 1))
        #expect(write.attempts == 1 && write.nextAttemptAt > Date())
        #expect(try h.history(specId: spec.id).contains { $0.syncDirection == "db_to_fs" && !$0.success && $0.action == "pending" })
        // Not due yet: nothing is retried.
        #expect(try h.engine.flushPendingWrites(project: h.project).isEmpty)

        try h.repo.git("merge", "--abort")
        let results = try h.engine.flushPendingWrites(project: h.project, now: Date().addingTimeInterval(3600))
        #expect(results.count == 1)
        _ = try #require(results.first.flatMap(commit(of:)))
        #expect(String(decoding: try h.repo.read(tasksPath), as: UTF8.self).contains("- [x] 1.1 Do it"))
        #expect(try h.repo.git("diff", "HEAD~1", "HEAD", "--name-only") == tasksPath)
        #expect(try pendingCount(h) == 0)
        #expect(try h.spec("changes/add-login")?.syncError == nil)
    }

    @Test("mid-rebase, the write waits and succeeds after the rebase is aborted")
    func midRebase() throws {
        let (h, spec) = try syncedChange()
        // A rebase that stops on a conflict in a file outside openspec/.
        try h.repo.git("checkout", "-q", "-b", "topic")
        try h.repo.write("README.md", "topic\n")
        try h.repo.commitAll("topic")
        try h.repo.git("checkout", "-q", "main")
        try h.repo.write("README.md", "main\n")
        try h.repo.commitAll("main")
        try h.repo.git("checkout", "-q", "topic")
        #expect(try h.repo.gitResult(["rebase", "main"]).status != 0, "the rebase must stop for this test")
        let before = try h.repo.read(tasksPath)

        let outcome = try h.engine.toggleTask(spec: spec, task: "1.1", done: true)
        guard case let .pending(reason) = outcome else { Issue.record("expected pending, got \(outcome)"); return }
        #expect(reason.contains("mid-rebase"))
        #expect(try h.repo.read(tasksPath) == before)
        #expect(try pendingCount(h) == 1)

        try h.repo.git("rebase", "--abort")
        let results = try h.engine.flushPendingWrites(project: h.project, now: Date().addingTimeInterval(3600))
        _ = try #require(results.first.flatMap(commit(of:)))
        #expect(String(decoding: try h.repo.read(tasksPath), as: UTF8.self).contains("- [x] 1.1 Do it"))
        #expect(try h.repo.git("diff", "HEAD~1", "HEAD", "--name-only") == tasksPath)
        #expect(try pendingCount(h) == 0)
    }

    @Test("a held index.lock makes the write wait; it is never removed, and the retry succeeds after")
    func indexLock() throws {
        let (h, spec) = try syncedChange()
        let lock = h.repo.path + "/.git/index.lock"
        #expect(FileManager.default.createFile(atPath: lock, contents: Data()))
        let before = try h.repo.read(tasksPath)

        let outcome = try h.engine.edit(spec: spec, file: "tasks.md", content: Array("- [x] new\n".utf8))
        guard case let .pending(reason) = outcome else { Issue.record("expected pending, got \(outcome)"); return }
        #expect(reason.contains("index.lock"))
        #expect(try h.repo.read(tasksPath) == before)
        #expect(FileManager.default.fileExists(atPath: lock))
        #expect(try h.engine.status().first?.pendingWrites == 1)

        try FileManager.default.removeItem(atPath: lock)
        let results = try h.engine.flushPendingWrites(project: h.project, now: Date().addingTimeInterval(3600))
        _ = try #require(results.first.flatMap(commit(of:)))
        #expect(try h.repo.readText(tasksPath) == "- [x] new\n")
        #expect(try h.reconcile().changedCount == 0)
    }

    @Test("waiting toggles and a whole-file edit of one file all reach it, in queue order, in one commit")
    func waitingEditsCompose() throws {
        let (h, spec) = try syncedChange(tasks: "## 1. Work\n- [ ] 1.1 Do it\n- [x] 1.2 Done\n- [ ] 1.3 Three\n")
        let lock = h.repo.path + "/.git/index.lock"
        #expect(FileManager.default.createFile(atPath: lock, contents: Data()))
        let head = try h.repo.git("rev-parse", "HEAD")

        var outcomes = [try h.engine.toggleTask(spec: spec, task: "1.1", done: true),
                        try h.engine.toggleTask(spec: spec, task: "1.3", done: true)]
        // Made with the waiting toggles in view: it applies on top of them.
        let edited = "## 1. Work\n- [x] 1.1 Do it\n- [x] 1.2 Done\n- [x] 1.3 Three\n- [ ] 1.4 Added\n"
        outcomes.append(try h.engine.edit(spec: spec, file: "tasks.md", content: Array(edited.utf8)))
        // A task that exists only in the queued result can be toggled too.
        outcomes.append(try h.engine.toggleTask(spec: spec, task: "1.4", done: true))
        for outcome in outcomes {
            guard case .pending = outcome else { Issue.record("expected pending, got \(outcome)"); return }
        }
        #expect(try pendingCount(h) == 4)
        #expect(try h.repo.git("rev-parse", "HEAD") == head)

        try FileManager.default.removeItem(atPath: lock)
        let results = try h.engine.flushPendingWrites(project: h.project, now: Date().addingTimeInterval(3600))
        #expect(results.count == 4)
        let commits = Set(results.compactMap(commit(of:)))
        #expect(commits.count == 1 && results.allSatisfy { commit(of: $0) != nil }, "\(results)")
        #expect(try h.repo.readText(tasksPath) == edited.replacingOccurrences(of: "[ ] 1.4", with: "[x] 1.4"))
        #expect(try h.repo.git("show", "HEAD:" + tasksPath) + "\n" == (try h.repo.readText(tasksPath)))
        #expect(try h.repo.git("rev-parse", "HEAD~1") == head)
        #expect(try pendingCount(h) == 0)
        #expect(try h.engine.conflicts(projectId: h.project.id).isEmpty)
        for id in Int64(1)...4 { #expect(try h.engine.store.pendingWrite(id: id)?.status == .written) }
        let updated = try h.history(specId: spec.id).filter { $0.syncDirection == "db_to_fs" && $0.action == "updated" }
        #expect(updated.count == 4)
        #expect(try h.reconcile().changedCount == 0)
    }

    @Test("a waiting edit made against neither the file nor the queued result is kept as a conflict with its content")
    func staleEditAmongWaitingOnesIsKept() throws {
        let (h, spec) = try syncedChange()
        let lock = h.repo.path + "/.git/index.lock"
        #expect(FileManager.default.createFile(atPath: lock, contents: Data()))
        _ = try h.engine.toggleTask(spec: spec, task: "1.1", done: true)
        _ = try h.engine.edit(spec: spec, file: "tasks.md", content: Array("mine\n".utf8))
        // The file changes on disk while the edits wait.
        let theirs = "## 1. Work\n- [ ] 1.1 Do it\n- [x] 1.2 Done\n- [ ] 1.3 Theirs\n"
        try h.repo.write(tasksPath, theirs)

        try FileManager.default.removeItem(atPath: lock)
        let results = try h.engine.flushPendingWrites(project: h.project, now: Date().addingTimeInterval(3600))
        #expect(results.count == 2)
        _ = try #require(commit(of: results[0]))
        guard case let .conflict(id) = results[1] else { Issue.record("expected a conflict, got \(results[1])"); return }
        // The toggle applied to the file as it is; the edit is kept whole with the reason.
        #expect(try h.repo.readText(tasksPath) == theirs.replacingOccurrences(of: "[ ] 1.1", with: "[x] 1.1"))
        let kept = try #require(try h.engine.conflicts(projectId: h.project.id).first)
        #expect(kept.id == id && kept.keptContent == "mine\n")
        #expect(kept.reason?.contains("changed on disk") == true)
        #expect(try pendingCount(h) == 0)
    }

    @Test("a toggle that changes nothing is unchanged: no commit")
    func toggleThatChangesNothing() throws {
        let (h, spec) = try syncedChange()
        let head = try h.repo.git("rev-parse", "HEAD")
        let outcome = try h.engine.toggleTask(spec: spec, task: "1.2", done: true)
        #expect(outcome == .unchanged)
        #expect(try h.repo.git("rev-parse", "HEAD") == head)
        #expect(try h.engine.store.pendingWrite(id: 1)?.status == .unchanged)
        #expect(try pendingCount(h) == 0)
    }

    @Test("a change folder that became a submodule in HEAD: the edit is kept as a conflict at once, never retried")
    func submoduleChangeFolder() throws {
        let (h, spec) = try syncedChange()
        let folder = "openspec/changes/add-login"
        let head = try h.repo.git("rev-parse", "HEAD")
        try h.repo.git("rm", "-r", "-q", "--cached", folder)
        try h.repo.git("update-index", "--add", "--cacheinfo", "160000,\(head),\(folder)")
        try h.repo.git("commit", "-q", "-m", "add-login becomes a submodule")
        let submoduleHead = try h.repo.git("rev-parse", "HEAD")

        let outcome = try h.engine.edit(spec: spec, file: "tasks.md", content: Array("mine\n".utf8))
        guard case let .conflict(id) = outcome else { Issue.record("expected a conflict, got \(outcome)"); return }
        let kept = try #require(try h.engine.conflicts(projectId: h.project.id).first { $0.id == id })
        #expect(kept.keptContent == "mine\n")
        #expect(kept.reason?.contains("submodule") == true, "\(kept.reason ?? "")")
        #expect(try pendingCount(h) == 0)
        #expect(try h.engine.flushPendingWrites(project: h.project, now: Date().addingTimeInterval(86_400)).isEmpty)
        #expect(try h.repo.git("rev-parse", "HEAD") == submoduleHead)
    }

    @Test("a write that keeps failing is kept as a conflict after the bound; a held index.lock does not count")
    func failuresAreBounded() throws {
        let (h, spec) = try syncedChange()
        // Backups cannot be made while .git/openspec-sync is a file: every attempt fails the same way.
        try h.repo.write(".git/openspec-sync", "in the way\n")
        let lock = h.repo.path + "/.git/index.lock"
        #expect(FileManager.default.createFile(atPath: lock, contents: Data()))
        let mine = Array("## 1. Work\n- [x] 1.1 Mine\n".utf8)
        guard case .pending = try h.engine.edit(spec: spec, file: "tasks.md", content: mine) else {
            Issue.record("expected pending"); return
        }
        for _ in 1...20 { _ = try h.engine.flushPendingWrites(project: h.project, now: Date().addingTimeInterval(86_400)) }
        #expect(try pendingCount(h) == 1, "waiting for index.lock never gives up")
        try FileManager.default.removeItem(atPath: lock)

        var last: [WriteOutcome] = []
        for attempt in 1...SyncCommit.maxFailedAttempts {
            last = try h.engine.flushPendingWrites(project: h.project, now: Date().addingTimeInterval(86_400))
            if attempt < SyncCommit.maxFailedAttempts {
                guard case .pending = last.first else { Issue.record("attempt \(attempt): \(last)"); return }
            }
        }
        guard case let .conflict(id) = last.first else { Issue.record("expected a conflict, got \(last)"); return }
        let kept = try #require(try h.engine.conflicts(projectId: h.project.id).first { $0.id == id })
        #expect(kept.keptContent == String(decoding: mine, as: UTF8.self))
        #expect(kept.reason?.contains("given up after \(SyncCommit.maxFailedAttempts) failed attempts") == true)
        #expect(kept.reason?.contains("cannot create the folder") == true, "the last failure is named: \(kept.reason ?? "")")
        #expect(kept.reason?.contains("waits and retries") == false, "a given-up edit no longer waits: \(kept.reason ?? "")")
        #expect(try pendingCount(h) == 0)
        #expect(try h.engine.flushPendingWrites(project: h.project, now: Date().addingTimeInterval(86_400)).isEmpty)
    }

    @Test("unsafe paths are refused before anything is queued or touched")
    func pathValidation() throws {
        let (h, spec) = try syncedChange()
        let outside = try makeTemporaryDirectory(prefix: "outside")
        defer { try? FileManager.default.removeItem(atPath: outside) }
        try FileManager.default.createSymbolicLink(atPath: h.repo.path + "/openspec/changes/add-login/specs",
                                                   withDestinationPath: outside)
        let head = try h.repo.git("rev-parse", "HEAD")
        for bad in ["../x", "/etc/passwd", "a\\b", ".git/config", "specs/../../x", "a\0b", "", "./tasks.md", "a//b",
                    String(repeating: "n", count: 300) + ".md", "specs/auth/spec.md"] {
            #expect(throws: SyncError.self, "\(bad.debugDescription)") {
                try h.engine.edit(spec: spec, file: bad, content: Array("x\n".utf8))
            }
        }
        #expect(throws: SyncError.self) {
            try h.engine.edit(spec: spec, file: "tasks.md", content: [UInt8](repeating: 0x61, count: (8 << 20) + 1))
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: outside).isEmpty)
        #expect(try pendingCount(h) == 0)
        #expect(try h.engine.store.pendingWrite(id: 1) == nil)
        #expect(try h.repo.git("rev-parse", "HEAD") == head)
        #expect(try h.repo.git("status", "--porcelain", "--", "openspec", ":!openspec/changes/add-login/specs") == "")
    }

    @Test("a failure injected at each file step leaves the file old or new and the write pending, then retried")
    func faultInjection() throws {
        let new = Array("## 1. Work\n- [x] 1.1 Do it\n- [x] 1.2 Done\n".utf8)
        var step = 1
        while step < 40 {
            let failing = FailingWriteFileSystem(failAt: step)
            let (h, spec) = try syncedChange(writeFileSystem: failing)
            let old = try h.repo.read(tasksPath)
            let outcome = try h.engine.edit(spec: spec, file: "tasks.md", content: new)
            let content = try h.repo.read(tasksPath)
            #expect(content == old || content == new, "step \(step)")
            #expect(try h.engine.store.sqlite!.integrityCheck() == "ok")
            #expect(try FileManager.default.contentsOfDirectory(atPath: h.repo.path + "/openspec/changes/add-login")
                .allSatisfy { !$0.hasSuffix(".tmp") }, "step \(step): a temp file was left")
            guard failing.failed else {
                // Past the last step: the write went through untouched.
                _ = try #require(commit(of: outcome))
                #expect(step >= 9, "every file step (backup folders, backup, temp file, rename, folder fsync) was failed once")
                break
            }
            guard case let .pending(reason) = outcome else {
                Issue.record("step \(step): expected pending, got \(outcome)"); break
            }
            #expect(reason.contains("tasks.md"), "step \(step)")
            #expect(content == old, "step \(step): a failed write must leave the old file")
            #expect(try h.repo.git("status", "--porcelain", "--", tasksPath) == "")
            #expect(try pendingCount(h) == 1)
            let retry = try h.engine.flushPendingWrites(project: h.project, now: Date().addingTimeInterval(3600))
            _ = try #require(retry.first.flatMap(commit(of:)), "step \(step)")
            #expect(try h.repo.read(tasksPath) == new)
            #expect(try h.reconcile().changedCount == 0)
            step += 1
        }
    }

    @Test("an edit saved but never attempted (a crash right after saving) is written by the next scan round")
    func scanRoundFlushes() throws {
        let (h, spec) = try syncedChange()
        let base = try h.engine.store.specFiles(specId: spec.id, withContent: false).first { $0.path == "tasks.md" }?.blobId
        _ = try h.engine.store.write { w in
            try w.insertPendingWrite(projectId: h.project.id, specId: spec.id, path: "tasks.md", operation: .replace,
                                     content: Data("- [x] from the crash\n".utf8), baseBlobId: base, at: Date())
        }
        let round = h.engine.scanRound(ScanOptions(), retries: RetrySchedule())
        #expect(round.failures.isEmpty && round.warnings.isEmpty, "\(round)")
        #expect(try h.repo.readText(tasksPath) == "- [x] from the crash\n")
        #expect(try h.repo.git("log", "-1", "--format=%an") == "openspec-sync")
        #expect(try pendingCount(h) == 0)
        #expect(try h.record("changes/add-login")?.tasksContent == "- [x] from the crash\n")
        #expect(try h.reconcile().changedCount == 0)
    }

    @Test("a file that changes between the check and the rename is never overwritten (check before replace)")
    func checkBeforeReplace() throws {
        let racing = RacingWriteFileSystem()
        let (h, spec) = try syncedChange(writeFileSystem: racing)
        racing.target = h.repo.path + "/" + tasksPath
        let head = try h.repo.git("rev-parse", "HEAD")

        let outcome = try h.engine.edit(spec: spec, file: "tasks.md", content: Array("- [x] mine\n".utf8))
        guard case let .conflict(id) = outcome else { Issue.record("expected a conflict, got \(outcome)"); return }
        #expect(try h.repo.readText(tasksPath) == "- [ ] an editor saved this\n")
        #expect(try h.repo.git("rev-parse", "HEAD") == head)
        #expect(try FileManager.default.contentsOfDirectory(atPath: h.repo.path + "/openspec/changes/add-login")
            .allSatisfy { !$0.hasSuffix(".tmp") })
        #expect(try h.engine.store.conflict(id: id)?.dbContent == Data("- [x] mine\n".utf8))
        #expect(try h.record("changes/add-login")?.tasksContent == "- [ ] an editor saved this\n")
    }

    @Test("backup rotation keeps the newest folders")
    func backupRotation() throws {
        let root = try makeTemporaryDirectory(prefix: "backups")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let names = (1...5).map { "2026010\($0)-120000-abcdef" }
        for name in names { try FileManager.default.createDirectory(atPath: root + "/" + name, withIntermediateDirectories: true) }
        SyncEngine.rotateBackups(root, keep: 3)
        #expect(try FileManager.default.contentsOfDirectory(atPath: root).sorted() == Array(names.suffix(3)))
    }
}

/// Fails the Nth mutating file operation once with EIO; everything else is real.
final class FailingWriteFileSystem: WriteFileSystem, @unchecked Sendable {
    private let real = PosixWriteFileSystem()
    private let lock = NSLock()
    private let failAt: Int
    private var calls = 0
    private(set) var failed = false

    init(failAt: Int) { self.failAt = failAt }

    private func step(_ path: String) throws {
        try lock.withLock {
            calls += 1
            if calls == failAt {
                failed = true
                throw FileSystemError(path: path, operation: "write (injected)", code: EIO)
            }
        }
    }

    func kind(of path: String) -> EntryKind? { real.kind(of: path) }
    func readIfPresent(_ path: String) throws -> [UInt8]? { try real.readIfPresent(path) }
    func permissions(of path: String) -> mode_t? { real.permissions(of: path) }
    func createDirectory(_ path: String) throws { try step(path); try real.createDirectory(path) }
    func writeNewFile(_ path: String, bytes: [UInt8], mode: mode_t) throws {
        try step(path)
        try real.writeNewFile(path, bytes: bytes, mode: mode)
    }
    func rename(_ from: String, to: String) throws { try step(to); try real.rename(from, to: to) }
    func remove(_ path: String) throws { try step(path); try real.remove(path) }
    func syncDirectory(_ path: String) throws { try step(path); try real.syncDirectory(path) }
}

/// An editor that saves the target file while the temporary file is being written.
final class RacingWriteFileSystem: WriteFileSystem, @unchecked Sendable {
    private let real = PosixWriteFileSystem()
    var target = ""

    func kind(of path: String) -> EntryKind? { real.kind(of: path) }
    func readIfPresent(_ path: String) throws -> [UInt8]? { try real.readIfPresent(path) }
    func permissions(of path: String) -> mode_t? { real.permissions(of: path) }
    func createDirectory(_ path: String) throws { try real.createDirectory(path) }
    func writeNewFile(_ path: String, bytes: [UInt8], mode: mode_t) throws {
        if path.hasPrefix((target as NSString).deletingLastPathComponent + "/.") {
            try Data("- [ ] an editor saved this\n".utf8).write(to: URL(fileURLWithPath: target))
        }
        try real.writeNewFile(path, bytes: bytes, mode: mode)
    }
    func rename(_ from: String, to: String) throws { try real.rename(from, to: to) }
    func remove(_ path: String) throws { try real.remove(path) }
    func syncDirectory(_ path: String) throws { try real.syncDirectory(path) }
}
