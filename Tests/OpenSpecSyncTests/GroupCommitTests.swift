import Foundation
import OpenSpecStore
import OpenSpecSyncTestSupport
import Testing
@testable import OpenSpecSync
#if canImport(Glibc)
import Glibc
#endif

/// Changes add-a, add-b, ... committed and synced, each with tasks 1.1 (open) and 1.2 (done).
private func syncedChanges(_ ids: [String], writeFileSystem: WriteFileSystem = PosixWriteFileSystem())
    throws -> (Harness, [String: SpecSummary]) {
    let h = try Harness(writeFileSystem: writeFileSystem)
    for id in ids { try h.writeChange("changes/\(id)") }
    try h.repo.commitAll("add changes")
    try h.reconcile()
    var specs: [String: SpecSummary] = [:]
    for id in ids {
        let spec = try #require(try h.spec("changes/\(id)"))
        specs[id] = spec
    }
    return (h, specs)
}

private func tasksPath(_ id: String) -> String { "openspec/changes/\(id)/tasks.md" }

private func commit(of outcome: WriteOutcome) -> String? {
    if case let .written(commit) = outcome { return commit }
    return nil
}

/// Outcomes gathered from several threads.
private final class Outcomes: @unchecked Sendable {
    private let lock = NSLock()
    private var byChange: [String: Result<WriteOutcome, any Error>] = [:]

    func record(_ change: String, _ result: Result<WriteOutcome, any Error>) {
        lock.withLock { byChange[change] = result }
    }

    var all: [String: Result<WriteOutcome, any Error>] { lock.withLock { byChange } }
}

/// Holds the project's lock (as a commit in progress does) while `edits`
/// run on threads of their own, until every edit is stored and waits for
/// the lock; then lets go and waits for every edit's outcome.
private func whileCommitting(_ h: Harness, expectWaiting count: Int,
                             _ edits: [(String, @Sendable () throws -> WriteOutcome)]) throws -> [String: Result<WriteOutcome, any Error>] {
    let outcomes = Outcomes()
    let group = DispatchGroup()
    try h.engine.lock(for: h.project).exclusively({
        for (change, edit) in edits {
            DispatchQueue.global().async(group: group) { outcomes.record(change, Result { try edit() }) }
        }
        let deadline = Date().addingTimeInterval(30)
        while try h.engine.store.writeCounts(projectId: h.project.id).pendingWrites < count && Date() < deadline {
            usleep(5_000)
        }
    }, whenDirty: {})
    #expect(group.wait(timeout: .now() + 60) == .success, "the edits did not finish")
    return outcomes.all
}

@Suite("Group commit: edits that arrive during a commit are committed together")
struct GroupCommitTests {
    @Test("edits that wait for a commit in progress land in the next one: one commit listing them, one history row each")
    func concurrentEditsShareOneCommit() throws {
        let ids = ["add-a", "add-b", "add-c", "add-d"]
        let (h, specs) = try syncedChanges(ids)
        let head = try h.repo.git("rev-parse", "HEAD")
        let engine = h.engine
        let proposal = "## Why\nRewritten through the database.\n"
        var edits: [(String, @Sendable () throws -> WriteOutcome)] = ids.map { id in
            let spec = specs[id]!
            return (id, { try engine.toggleTask(spec: spec, task: "1.1", done: true) })
        }
        let specD = specs["add-d"]!
        edits.append(("add-d proposal", { try engine.edit(spec: specD, file: "proposal.md", content: Array(proposal.utf8)) }))

        let results = try whileCommitting(h, expectWaiting: edits.count, edits)

        let outcomes = try results.mapValues { try $0.get() }
        let commits = Set(outcomes.values.compactMap(commit(of:)))
        #expect(outcomes.count == 5 && commits.count == 1, "\(outcomes)")
        #expect(try h.repo.git("rev-list", "--count", "\(head)..HEAD") == "1")
        #expect(try h.repo.git("rev-parse", "HEAD") == commits.first)
        let changed = try h.repo.git("diff", "--name-only", head, "HEAD").split(separator: "\n").map(String.init)
        #expect(changed.sorted() == (ids.map(tasksPath) + ["openspec/changes/add-d/proposal.md"]).sorted())
        let message = try h.repo.git("log", "-1", "--format=%B")
        #expect(message.hasPrefix("openspec-sync: update 5 files of 4 changes"))
        for id in ids {
            #expect(message.contains("- \(id)/tasks.md: task 1.1 ticked"), "\(message)")
            #expect(message.contains("OpenSpec-Sync-Spec: \(specs[id]!.id)"))
            #expect(try h.repo.readText(tasksPath(id)).contains("- [x] 1.1 Do it"))
            #expect(try h.repo.git("show", "HEAD:" + tasksPath(id)).contains("- [x] 1.1 Do it"))
        }
        #expect(message.contains("- add-d/proposal.md: replaced"))
        #expect(message.contains("OpenSpec-Sync: db_to_fs"))
        #expect(try h.repo.readText("openspec/changes/add-d/proposal.md") == proposal)
        #expect(try h.repo.git("status", "--porcelain") == "")

        // One history row per edit, each naming the commit; nothing waits.
        let updated = try h.history().filter { $0.syncDirection == "db_to_fs" && $0.action == "updated" }
        #expect(updated.count == 5)
        #expect(updated.allSatisfy { $0.toCommit == commits.first && $0.fromCommit == head })
        #expect(Set(updated.map(\.runId)).count == 5)
        #expect(try h.engine.store.writeCounts(projectId: h.project.id).pendingWrites == 0)
        for id in Int64(1)...5 { #expect(try h.engine.store.pendingWrite(id: id)?.status == .written) }
        #expect(try h.reconcile().changedCount == 0)
    }

    @Test("a conflict among the waiting edits is kept as a conflict; the others are written in the one commit")
    func conflictAmongThemBlocksNoOther() throws {
        let ids = ["add-a", "add-b", "add-c"]
        let (h, specs) = try syncedChanges(ids)
        let head = try h.repo.git("rev-parse", "HEAD")
        // The user rewrote add-b's proposal; the database has not seen it: an edit of it is made against a stale base.
        let theirs = "## Why\nThe user's own rewrite.\n"
        try h.repo.write("openspec/changes/add-b/proposal.md", theirs)
        let engine = h.engine
        let specA = specs["add-a"]!, specB = specs["add-b"]!, specC = specs["add-c"]!
        let results = try whileCommitting(h, expectWaiting: 3, [
            ("add-a", { try engine.toggleTask(spec: specA, task: "1.1", done: true) }),
            ("add-b", { try engine.edit(spec: specB, file: "proposal.md", content: Array("## Why\nOurs.\n".utf8)) }),
            ("add-c", { try engine.toggleTask(spec: specC, task: "1.2", done: false) }),
        ])

        let outcomes = try results.mapValues { try $0.get() }
        guard case let .conflict(id)? = outcomes["add-b"] else {
            Issue.record("expected a conflict for add-b, got \(String(describing: outcomes["add-b"]))"); return
        }
        let written = try #require(outcomes["add-a"].flatMap(commit(of:)))
        #expect(outcomes["add-c"].flatMap(commit(of:)) == written)
        #expect(try h.repo.git("rev-list", "--count", "\(head)..HEAD") == "1")
        let changed = try h.repo.git("diff", "--name-only", head, "HEAD").split(separator: "\n").map(String.init)
        #expect(changed.sorted() == [tasksPath("add-a"), tasksPath("add-c")])
        #expect(try h.repo.readText(tasksPath("add-c")).contains("- [ ] 1.2 Done"))
        // The file won and the edit is kept whole.
        #expect(try h.repo.readText("openspec/changes/add-b/proposal.md") == theirs)
        let conflict = try #require(try h.engine.conflicts(projectId: h.project.id).first)
        #expect(conflict.id == id && conflict.keptContent == "## Why\nOurs.\n")
        let message = try h.repo.git("log", "-1", "--format=%B")
        #expect(!message.contains("add-b"))
        #expect(try h.engine.store.writeCounts(projectId: h.project.id).pendingWrites == 0)
    }

    @Test("edits of one file waiting together compose in queue order, in the group's one commit")
    func sameFileEditsCompose() throws {
        let (h, specs) = try syncedChanges(["add-a", "add-b"])
        let head = try h.repo.git("rev-parse", "HEAD")
        let engine = h.engine
        let specA = specs["add-a"]!, specB = specs["add-b"]!
        let results = try whileCommitting(h, expectWaiting: 3, [
            ("a 1.1", { try engine.toggleTask(spec: specA, task: "1.1", done: true) }),
            ("a 1.2", { try engine.toggleTask(spec: specA, task: "1.2", done: false) }),
            ("b 1.1", { try engine.toggleTask(spec: specB, task: "1.1", done: true) }),
        ])
        let commits = Set(try results.values.map { try $0.get() }.compactMap(commit(of:)))
        #expect(commits.count == 1 && results.count == 3)
        #expect(try h.repo.git("rev-list", "--count", "\(head)..HEAD") == "1")
        #expect(try h.repo.readText(tasksPath("add-a")) == "## 1. Work\n- [x] 1.1 Do it\n- [ ] 1.2 Done\n")
        #expect(try h.repo.git("show", "HEAD:" + tasksPath("add-b")).contains("- [x] 1.1 Do it"))
        #expect(try h.repo.git("log", "-1", "--format=%s") == "openspec-sync: update 2 files of 2 changes")
    }

    @Test("an edit carried by another process's commit gets that commit as its outcome, found in the database")
    func carriedByAnotherProcess() throws {
        let (h, specs) = try syncedChanges(["add-a", "add-b"])
        let head = try h.repo.git("rev-parse", "HEAD")
        // A second engine on the same database: another process, with an outcome board of its own.
        let other = try SyncEngine(databasePath: h.dbPath)
        let engine = h.engine
        let specA = specs["add-a"]!, specB = specs["add-b"]!
        let results = try whileCommitting(h, expectWaiting: 2, [
            ("add-a", { try engine.toggleTask(spec: specA, task: "1.1", done: true) }),
            ("add-b", { try other.toggleTask(spec: specB, task: "1.1", done: true) }),
        ])
        let outcomes = try results.mapValues { try $0.get() }
        let commits = Set(outcomes.values.compactMap(commit(of:)))
        #expect(outcomes.count == 2 && commits.count == 1, "\(outcomes)")
        #expect(try h.repo.git("rev-list", "--count", "\(head)..HEAD") == "1")
        #expect(try h.repo.git("rev-parse", "HEAD") == commits.first)
    }

    @Test("files replaced but never committed (a stop between write and commit): a new engine commits them once, nothing lost")
    func stopBetweenWriteAndCommitConverges() throws {
        let ids = ["add-a", "add-b", "add-c"]
        let stopping = StopAfterSwapsFileSystem(swaps: 3)
        let (h, specs) = try syncedChanges(ids, writeFileSystem: stopping)
        stopping.gitDir = h.repo.path + "/.git"
        let head = try h.repo.git("rev-parse", "HEAD")
        let engine = h.engine
        let specA = specs["add-a"]!, specB = specs["add-b"]!, specC = specs["add-c"]!
        let results = try whileCommitting(h, expectWaiting: 3, [
            ("add-a", { try engine.toggleTask(spec: specA, task: "1.1", done: true) }),
            ("add-b", { try engine.toggleTask(spec: specB, task: "1.1", done: true) }),
            ("add-c", { try engine.toggleTask(spec: specC, task: "1.1", done: true) }),
        ])
        // Stopped after the third file was swapped in: every file is new on disk, nothing is committed, every edit waits.
        #expect(stopping.stopped)
        for result in results.values {
            guard case .pending = try result.get() else { Issue.record("expected pending, got \(result)"); return }
        }
        #expect(try h.repo.git("rev-parse", "HEAD") == head)
        for id in ids { #expect(try h.repo.readText(tasksPath(id)).contains("- [x] 1.1 Do it")) }
        #expect(try h.engine.store.writeCounts(projectId: h.project.id).pendingWrites == 3)
        for id in Int64(1)...3 { #expect(try h.engine.store.pendingWrite(id: id)?.writtenBlobId != nil) }

        // What stopped the commit is gone; a new engine (a restarted process) finishes the job.
        try FileManager.default.removeItem(atPath: h.repo.path + "/.git/index.lock")
        let restarted = try SyncEngine(databasePath: h.dbPath)
        let retried = try restarted.flushPendingWrites(project: h.project, now: Date().addingTimeInterval(3600))
        let commits = Set(retried.compactMap(commit(of:)))
        #expect(retried.count == 3 && commits.count == 1, "\(retried)")
        #expect(try h.repo.git("rev-list", "--count", "\(head)..HEAD") == "1")
        let changed = try h.repo.git("diff", "--name-only", head, "HEAD").split(separator: "\n").map(String.init)
        #expect(changed.sorted() == ids.map(tasksPath))
        for id in ids {
            // Ticked once: the retry commits the file in place, it never toggles it a second time.
            #expect(try h.repo.readText(tasksPath(id)) == "## 1. Work\n- [x] 1.1 Do it\n- [x] 1.2 Done\n")
            #expect(try h.repo.git("show", "HEAD:" + tasksPath(id)).contains("- [x] 1.1 Do it"))
        }
        #expect(try h.repo.git("status", "--porcelain") == "")
        #expect(try restarted.store.writeCounts(projectId: h.project.id) == (0, 0))
        let updated = try h.history().filter { $0.syncDirection == "db_to_fs" && $0.action == "updated" }
        #expect(updated.count == 3 && updated.allSatisfy { $0.toCommit == commits.first })
        #expect(try h.reconcile().changedCount == 0)
    }
}

/// A process that stops right after it swapped its `swaps`-th file in:
/// the commit then finds `index.lock` (so it fails), and no file operation
/// succeeds any more (so nothing is put back), which leaves the files new on
/// disk and uncommitted with their edits still pending, as a crash there would.
final class StopAfterSwapsFileSystem: WriteFileSystem, @unchecked Sendable {
    private let real = PosixWriteFileSystem()
    private let lock = NSLock()
    private let swaps: Int
    private var swapped = 0
    private var pendingStop = false
    private(set) var stopped = false
    var gitDir = ""

    init(swaps: Int) { self.swaps = swaps }

    private func alive(_ path: String) throws {
        if lock.withLock({ stopped }) { throw FileSystemError(path: path, operation: "write (stopped)", code: EIO) }
    }

    func kind(of path: String) -> EntryKind? { real.kind(of: path) }
    func readIfPresent(_ path: String) throws -> [UInt8]? { try real.readIfPresent(path) }
    func permissions(of path: String) -> mode_t? { real.permissions(of: path) }
    func createDirectory(_ path: String) throws { try alive(path); try real.createDirectory(path) }
    func writeNewFile(_ path: String, bytes: [UInt8], mode: mode_t) throws {
        try alive(path)
        try real.writeNewFile(path, bytes: bytes, mode: mode)
    }
    func rename(_ from: String, to: String) throws {
        try alive(to)
        try real.rename(from, to: to)
        lock.withLock {
            if from.hasSuffix(".tmp") { swapped += 1; pendingStop = swapped == swaps }
        }
    }
    func remove(_ path: String) throws { try alive(path); try real.remove(path) }
    func syncDirectory(_ path: String) throws {
        try alive(path)
        try real.syncDirectory(path)
        let stop = lock.withLock { () -> Bool in
            guard pendingStop else { return false }
            pendingStop = false
            stopped = true
            return true
        }
        if stop { _ = FileManager.default.createFile(atPath: gitDir + "/index.lock", contents: Data()) }
    }
}
