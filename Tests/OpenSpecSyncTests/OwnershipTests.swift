import Foundation
import OpenSpecPostgres
import OpenSpecStore
import OpenSpecSyncTestSupport
import Synchronization
import Testing
@testable import OpenSpecSync

/// Hosts sharing one database, each an engine with its own host name and
/// its own clone of one origin: who owns a project, how a standby takes
/// over, and how an edit made where there is no clone reaches the owner.
@Suite("Project owners and standbys")
struct OwnershipTests {
    /// An origin with one change, two clones of it, and a database.
    final class Hosts: @unchecked Sendable {
        let origin: TempRepo
        let cloneA: TempRepo
        let cloneB: TempRepo
        let folder: TempFolder
        let store: any SyncStore

        init(store makeStore: ((TempFolder) throws -> any SyncStore)? = nil) throws {
            origin = try TempRepo()
            try origin.write("openspec/changes/add-login/proposal.md", "# Change: Add login\n\n## Why\nUsers.\n")
            try origin.write("openspec/changes/add-login/tasks.md", "## 1. Work\n- [ ] 1.1 Form\n")
            try origin.commitAll("openspec")
            cloneA = try TempRepo(cloning: origin.path)
            cloneB = try TempRepo(cloning: origin.path)
            folder = try TempFolder(prefix: "owners")
            store = try makeStore?(folder) ?? SQLiteStore(path: folder.file("sync.sqlite"))
        }

        func engine(_ host: String, ownerTimeout: TimeInterval = 10,
                    writeFileSystem: WriteFileSystem = PosixWriteFileSystem()) -> SyncEngine {
            SyncEngine(store: store, lockBase: folder.file("locks-\(host)"), writeFileSystem: writeFileSystem,
                       host: host, ownerTimeout: ownerTimeout)
        }

        /// What the other hosts do while the owner is frozen: its lease runs
        /// out and `standby` takes the project (a `StallingWriteFileSystem`'s stall).
        func takeOver(_ project: ProjectRecord, by standby: SyncEngine) -> () throws -> Void {
            { [self] in
                try expireLease(project.id)
                _ = try standby.role(in: project)
            }
        }

        /// Ends the owner's lease as if its time had run out.
        func expireLease(_ projectId: String) throws {
            try store.ownershipWrite { w in
                var owner = try #require(try w.projectOwner(projectId: projectId))
                owner.leaseExpiresAt = try w.databaseNow().addingTimeInterval(-1)
                try w.saveProjectOwner(owner)
            }
        }
    }

    @Test("a second host's clone of the same origin joins the project as a standby, which takes over when the lease runs out")
    func standbyTakesOver() throws {
        try standbyTakesOver(Hosts())
    }

    @Test("the same on PostgreSQL", .enabled(if: PostgresTestServer.isAvailable, Comment(rawValue: PostgresTestServer.unavailableReason)))
    func standbyTakesOverOnPostgres() throws {
        try standbyTakesOver(Hosts { _ in try PostgresStore(url: DatabaseURL(PostgresTestServer.newDatabaseURL()), timeout: 30) })
    }

    private func standbyTakesOver(_ hosts: Hosts) throws {
        let a = hosts.engine("host-a"), b = hosts.engine("host-b")
        let project = try a.register(repo: hosts.cloneA.path, name: nil, openspecDir: nil)
        let joined = try b.register(repo: hosts.cloneB.path, name: "ignored", openspecDir: nil)
        #expect(joined.id == project.id && joined.name == project.name, "the clone made a project of its own")
        #expect(try hosts.store.projects().count == 1)
        #expect(try a.role(in: project) == .owner)
        guard case let .standby(owner, _) = try b.role(in: project) else { Issue.record("host-b is not a standby"); return }
        #expect(owner == "host-a")
        #expect(try b.project(forRepo: hosts.cloneB.path).id == project.id, "host-b finds the project from its clone")
        #expect(throws: SyncError.self) { _ = try b.reconcileExclusively(project, options: ReconcileOptions(), mode: .wait) }
        #expect(try b.flushPendingWrites(project: project).isEmpty)

        _ = try a.reconcileExclusively(project, options: ReconcileOptions(), mode: .wait)
        #expect(try hosts.store.specSummaries(projectId: project.id).map(\.changeId) == ["add-login"])
        // The daemon's heartbeat sets the lease; a command beside it does not stretch it.
        #expect(try a.heartbeat(lease: 2).held == [project.id])
        let beaten = try hosts.store.projectOwner(projectId: project.id)?.leaseExpiresAt
        _ = try a.reconcileExclusively(project, options: ReconcileOptions(), mode: .wait)
        #expect(try a.role(in: project) == .owner)
        #expect(try hosts.store.projectOwner(projectId: project.id)?.leaseExpiresAt == beaten, "a command stretched the daemon's lease")
        let status = try #require(try b.status(owners: true).first)
        #expect(status.owner?.host == "host-a" && status.owner?.held == true && status.owner?.isThisHost == false)
        #expect(status.standbys?.map(\.host) == ["host-b"] && status.standbys?.first?.repoPath == hosts.cloneB.path)

        // host-b's clone has moved on; host-a's lease runs out.
        try hosts.cloneB.write("openspec/changes/add-logout/proposal.md", "# Change: Add logout\n\n## Why\nLeave.\n")
        try hosts.cloneB.commitAll("logout")
        try hosts.expireLease(project.id)
        #expect(try b.role(in: project) == .owner)
        let moved = try #require(try hosts.store.project(id: project.id))
        #expect(moved.repoPath == hosts.cloneB.path && moved.lastReconciledCommit == nil, "the new owner starts from its own clone")
        #expect(try hosts.store.projectOwner(projectId: project.id)?.epoch == 2)
        guard case .standby(owner: "host-b", _) = try a.role(in: project) else { Issue.record("host-a did not become a standby"); return }
        guard case let .ran(runs) = try b.reconcileExclusively(project, options: ReconcileOptions(), mode: .wait) else {
            Issue.record("no run"); return
        }
        #expect(runs.first?.mode == .full, "a takeover compares everything")
        #expect(try hosts.store.specSummaries(projectId: project.id).map(\.changeId) == ["add-login", "add-logout"])
        // An old owner that stalled past its check (as if frozen in mid-run) writes nothing over the new one.
        let history = try hosts.store.history(projectId: project.id, limit: 1000).count
        #expect(throws: SyncError.self) { _ = try a.reconciler.reconcile(projectId: project.id, options: ReconcileOptions(full: true)) }
        #expect(try hosts.store.specSummaries(projectId: project.id).map(\.changeId) == ["add-login", "add-logout"])
        #expect(try hosts.store.history(projectId: project.id, limit: 1000).count == history, "the stale run left rows")
        #expect(try hosts.store.project(id: project.id)?.lastError == nil)

        // A host that stops lets go at once; taking back its own clone forgets nothing.
        try b.releaseLeases()
        #expect(try b.role(in: project) == .owner)
        #expect(try hosts.store.project(id: project.id)?.lastReconciledCommit != nil)
    }

    @Test("an edit made on a host without a clone waits for the owner, which claims it and commits it in its clone")
    func editsReachTheOwner() throws {
        let hosts = try Hosts()
        let a = hosts.engine("host-a")
        let project = try a.register(repo: hosts.cloneA.path, name: nil, openspecDir: nil)
        _ = try a.reconcileExclusively(project, options: ReconcileOptions(), mode: .wait)
        let spec = try a.resolveSpec("add-login")

        // No owner at work: the caller hears that the edit waits, and it is kept.
        let server = hosts.engine("server", ownerTimeout: 0.3)
        #expect(try server.role(in: project) == .elsewhere(owner: "host-a"))
        guard case let .pending(reason) = try server.edit(spec: spec, file: "tasks.md", content: Array("## 1. Work\n- [x] 1.1 Form\n".utf8)) else {
            Issue.record("the edit did not wait"); return
        }
        #expect(reason.contains("host-a"), "\(reason)")
        #expect(try hosts.cloneA.readText("openspec/changes/add-login/tasks.md") == "## 1. Work\n- [ ] 1.1 Form\n")
        let beat = try a.heartbeat(lease: 30)
        #expect(beat.claimed == [project.id] && beat.held == [project.id])
        #expect(try a.heartbeat(lease: 30).claimed.isEmpty, "an edit claimed twice")
        _ = try a.flushPendingWrites(project: project)
        #expect(try hosts.cloneA.readText("openspec/changes/add-login/tasks.md") == "## 1. Work\n- [x] 1.1 Form\n")

        // The owner at work (a thread of its own, as the daemon's heartbeat has): the caller gets the commit.
        let stop = Mutex(false)
        let stopped = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            while !stop.withLock({ $0 }) {
                for projectId in (try? a.heartbeat(lease: 30).claimed) ?? [] {
                    if let claimed = try? hosts.store.project(id: projectId) { _ = try? a.flushPendingWrites(project: claimed) }
                }
                Thread.sleep(forTimeInterval: 0.05)
            }
            stopped.signal()
        }
        defer {
            stop.withLock { $0 = true }
            stopped.wait()
        }
        let patient = hosts.engine("server", ownerTimeout: 20)
        let outcome = try patient.toggleTask(spec: spec, task: "1.1", done: false)
        guard case let .written(commit) = outcome else { Issue.record("not written: \(outcome)"); return }
        #expect(try hosts.cloneA.git("log", "-1", "--format=%H").trimmingCharacters(in: .whitespacesAndNewlines) == commit)
        #expect(try hosts.cloneA.readText("openspec/changes/add-login/tasks.md") == "## 1. Work\n- [ ] 1.1 Form\n")
        #expect(throws: SyncError.self) { _ = try patient.rollback(spec: spec, to: "HEAD~1") }

        // The file changed on the owner's disk meanwhile: the file wins, the edit is kept, and the caller hears so.
        try hosts.cloneA.write("openspec/changes/add-login/tasks.md", "## 1. Work\n- [ ] 1.1 Form, changed on disk\n")
        let version = try hosts.store.specFile(specId: spec.id, path: "tasks.md")?.blobId
        let lost = try patient.edit(spec: spec, file: "tasks.md", content: Array("mine\n".utf8), expecting: ExpectedVersion(blobId: version))
        guard case let .conflict(id) = lost else { Issue.record("not a conflict: \(lost)"); return }
        #expect(try hosts.store.conflict(id: id)?.dbContent == Data("mine\n".utf8))
        #expect(try hosts.cloneA.readText("openspec/changes/add-login/tasks.md") == "## 1. Work\n- [ ] 1.1 Form, changed on disk\n")
    }

    @Test("an owner that stalls past its lease in the middle of a write leaves the edit to the new owner, which writes it in its clone")
    func staleWriteIsFenced() throws {
        try staleWriteIsFenced(Hosts())
    }

    @Test("the same on PostgreSQL (stalled write)", .enabled(if: PostgresTestServer.isAvailable, Comment(rawValue: PostgresTestServer.unavailableReason)))
    func staleWriteIsFencedOnPostgres() throws {
        try staleWriteIsFenced(Hosts { _ in try PostgresStore(url: DatabaseURL(PostgresTestServer.newDatabaseURL()), timeout: 30) })
    }

    private func staleWriteIsFenced(_ hosts: Hosts) throws {
        let stall = StallingWriteFileSystem()
        let a = hosts.engine("host-a", writeFileSystem: stall)
        let b = hosts.engine("host-b")
        let project = try a.register(repo: hosts.cloneA.path, name: nil, openspecDir: nil)
        _ = try b.register(repo: hosts.cloneB.path, name: nil, openspecDir: nil)
        _ = try a.reconcileExclusively(project, options: ReconcileOptions(), mode: .wait)
        let spec = try a.resolveSpec("add-login")
        let path = "openspec/changes/add-login/proposal.md"
        let edited = "# Change: Add login\n\n## Why\nUsers, edited.\n"

        // host-a stalls as it swaps the file in; meanwhile its lease runs out and host-b takes the project.
        stall.onStall = hosts.takeOver(project, by: b)
        let outcome = try a.edit(spec: spec, file: "proposal.md", content: Array(edited.utf8))
        guard case let .pending(reason) = outcome else { Issue.record("not left waiting: \(outcome)"); return }
        #expect(reason.contains("host host-b took the project over"), "\(reason)")
        #expect(stall.stalls == 1)
        #expect(try hosts.cloneA.readText(path) == edited, "host-a's own clone keeps its commit")
        let waiting = try hosts.store.pendingWrites(specId: spec.id, path: "proposal.md")
        #expect(waiting.count == 1 && waiting.first?.status == .pending, "the stale owner counted the edit done")
        #expect(try hosts.store.history(projectId: project.id, limit: 10).first?.action == WriteAction.pending.rawValue)

        // The new owner writes it in its own clone, and the database follows that clone.
        let moved = try #require(try hosts.store.project(id: project.id))
        let flushed = try b.flushPendingWrites(project: moved)
        guard flushed.count == 1, case let .written(commit) = flushed[0] else { Issue.record("not written: \(flushed)"); return }
        #expect(try hosts.cloneB.readText(path) == edited)
        #expect(try hosts.cloneB.git("log", "-1", "--format=%H").trimmingCharacters(in: .whitespacesAndNewlines) == commit)
        #expect(try hosts.store.pendingWrite(id: waiting[0].id)?.status == .written)
        #expect(try hosts.store.specFile(specId: spec.id, path: "proposal.md")?.content == Data(edited.utf8))
    }

    @Test("an edit that a stalled owner finds already made in its own clone is not counted done either")
    func staleUnchangedEditIsFenced() throws {
        let hosts = try Hosts()
        let stall = StallingWriteFileSystem(stallAt: .read(suffix: "/proposal.md"))
        let a = hosts.engine("host-a", writeFileSystem: stall)
        let b = hosts.engine("host-b")
        let project = try a.register(repo: hosts.cloneA.path, name: nil, openspecDir: nil)
        _ = try b.register(repo: hosts.cloneB.path, name: nil, openspecDir: nil)
        _ = try a.reconcileExclusively(project, options: ReconcileOptions(), mode: .wait)
        let spec = try a.resolveSpec("add-login")
        let path = "openspec/changes/add-login/proposal.md"
        let same = try hosts.cloneA.readText(path)

        stall.onStall = hosts.takeOver(project, by: b)
        let outcome = try a.edit(spec: spec, file: "proposal.md", content: Array(same.utf8))
        guard case let .pending(reason) = outcome else { Issue.record("not left waiting: \(outcome)"); return }
        #expect(stall.stalls == 1)
        #expect(reason.contains("host host-b took the project over") && !reason.contains("commit"), "\(reason)")
        #expect(try hosts.store.pendingWrites(specId: spec.id, path: "proposal.md").first?.status == .pending)
        let flushed = try b.flushPendingWrites(project: try #require(try hosts.store.project(id: project.id)))
        #expect(flushed.count == 1 && flushed.first.map { if case .unchanged = $0 { true } else { false } } == true, "\(flushed)")
    }

    @Test("an owner that stalls past its lease in the middle of a rollback does not count it done")
    func staleRollbackIsFenced() throws {
        let hosts = try Hosts()
        let stall = StallingWriteFileSystem()
        let a = hosts.engine("host-a", writeFileSystem: stall)
        let b = hosts.engine("host-b")
        let project = try a.register(repo: hosts.cloneA.path, name: nil, openspecDir: nil)
        _ = try b.register(repo: hosts.cloneB.path, name: nil, openspecDir: nil)
        try hosts.cloneA.write("openspec/changes/add-login/proposal.md", "# Change: Add login\n\n## Why\nUsers, later.\n")
        _ = try hosts.cloneA.commitAll("later")
        _ = try a.reconcileExclusively(project, options: ReconcileOptions(), mode: .wait)
        let spec = try a.resolveSpec("add-login")

        stall.onStall = hosts.takeOver(project, by: b)
        do {
            _ = try a.rollback(spec: spec, to: "HEAD~1")
            Issue.record("the stale owner's rollback counted as done")
        } catch let SyncError.notOwner(_, role) {
            guard case .standby(owner: "host-b", _) = role else { Issue.record("\(role)"); return }
        }
        #expect(stall.stalls == 1)
        let rows = try hosts.store.history(projectId: project.id, limit: 20)
        #expect(!rows.contains { $0.action == WriteAction.rollback.rawValue }, "a rollback row names a commit the project does not have")
        #expect(rows.first?.action == WriteAction.failed.rawValue)
        #expect(rows.first?.errorMessage?.contains("host host-b took the project over while this host rolled back") == true,
                "\(rows.first?.errorMessage ?? "")")
    }

    @Test("an owner whose clone is gone lets the project go to a host with a clone; with no other clone it keeps it")
    func ownerWithoutItsCloneLetsGo() throws {
        let hosts = try Hosts()
        let a = hosts.engine("host-a"), b = hosts.engine("host-b")
        let project = try a.register(repo: hosts.cloneA.path, name: nil, openspecDir: nil)
        _ = try a.reconcileExclusively(project, options: ReconcileOptions(), mode: .wait)
        #expect(try a.heartbeat(lease: 30).held == [project.id])

        // Alone, the clone's loss changes nothing: host-a's runs say what is missing.
        let moved = hosts.cloneA.path + "-moved"
        try FileManager.default.moveItem(atPath: hosts.cloneA.path, toPath: moved)
        #expect(try a.role(in: project) == .owner)
        #expect(throws: (any Error).self) { _ = try a.reconcileExclusively(project, options: ReconcileOptions(), mode: .wait) }
        try FileManager.default.moveItem(atPath: moved, toPath: hosts.cloneA.path)

        // With host-b's clone registered, host-a lets go even while its heartbeat keeps the lease running.
        _ = try b.register(repo: hosts.cloneB.path, name: nil, openspecDir: nil)
        #expect(try a.role(in: project) == .owner)
        try FileManager.default.removeItem(atPath: hosts.cloneA.path)
        guard case .standby(owner: nil, _) = try a.role(in: project) else { Issue.record("host-a kept the project"); return }
        #expect(try a.heartbeat(lease: 30).held.isEmpty, "the heartbeat renewed a project whose clone is gone")
        #expect(try a.role(in: project) != .owner, "host-a took the project back without its clone")
        #expect(try b.role(in: project) == .owner)
        #expect(try hosts.store.project(id: project.id)?.repoPath == hosts.cloneB.path)
        guard case .ran = try b.reconcileExclusively(project, options: ReconcileOptions(), mode: .wait) else {
            Issue.record("host-b did not run"); return
        }
        #expect(try hosts.store.specSummaries(projectId: project.id).map(\.changeId) == ["add-login"])
    }

    @Test("a project registered before hosts were recorded is adopted by the host with its clone, under its origin's key")
    func legacyProjectsAreAdopted() throws {
        let hosts = try Hosts()
        let legacy = try hosts.store.registerProject(name: "old", repoPath: hosts.cloneA.path, openspecPath: "openspec")
        #expect(try hosts.store.projectOwner(projectId: legacy.id) == nil)
        let a = hosts.engine("host-a")
        #expect(try a.project(forRepo: hosts.cloneA.path).id == legacy.id)
        #expect(try a.role(in: legacy) == .owner)
        let owner = try #require(try hosts.store.projectOwner(projectId: legacy.id))
        #expect(owner.projectKey == ProjectKey.normalisedRemote(hosts.origin.path)! + "#openspec" && owner.ownerHost == "host-a")
        // The other clone of the same origin now joins it.
        let b = hosts.engine("host-b")
        #expect(try b.register(repo: hosts.cloneB.path, name: nil, openspecDir: nil).id == legacy.id)
        // A second clone on the same host is a project of its own.
        let third = try TempRepo(cloning: hosts.origin.path)
        let own = try a.register(repo: third.path, name: "third", openspecDir: nil)
        #expect(try own.id != legacy.id && a.role(in: own) == .owner)
    }

    @Test("origin URLs of one repository give one key; without an origin, --name or the path makes it")
    func keys() throws {
        for url in ["git@GitHub.com:acme/app.git", "ssh://git@github.com:22/acme/app", "https://user:secret@github.com/acme/app/",
                    "https://github.com/acme/app.git", "ssh://github.com/acme/app.git/"] {
            #expect(ProjectKey.normalisedRemote(url) == "github.com/acme/app", "\(url)")
        }
        #expect(ProjectKey.normalisedRemote("file:///srv/git/app.git") == "/srv/git/app")
        #expect(ProjectKey.normalisedRemote("/srv/git/app/") == "/srv/git/app")
        #expect(ProjectKey.normalisedRemote("  ") == nil)
        let bare = try TempRepo()
        #expect(ProjectKey.make(repo: bare.path, folder: "openspec", name: "app", host: "h") == "name:app#openspec")
        #expect(ProjectKey.make(repo: bare.path, folder: "openspec", name: nil, host: "h") == "path:h:\(bare.path)#openspec")
        _ = try bare.git("remote", "add", "origin", "git@example.com:acme/app.git")
        #expect(ProjectKey.make(repo: bare.path, folder: "docs/openspec", name: "app", host: "h") == "example.com/acme/app#docs/openspec")
    }
}

/// The real file system, but a write stalls once, as it swaps a file in or
/// as it reads one whose path ends with `stallAt`'s suffix: `onStall` runs
/// there, standing for what other hosts do while this one is frozen.
final class StallingWriteFileSystem: WriteFileSystem, @unchecked Sendable {
    enum Moment { case swap, read(suffix: String) }
    private let real = PosixWriteFileSystem()
    let stallAt: Moment
    var onStall: (() throws -> Void)?
    private(set) var stalls = 0

    init(stallAt: Moment = .swap) { self.stallAt = stallAt }

    private func stall() throws {
        guard let body = onStall else { return }
        onStall = nil
        stalls += 1
        try body()
    }

    func kind(of path: String) -> EntryKind? { real.kind(of: path) }
    func readIfPresent(_ path: String) throws -> [UInt8]? {
        if case let .read(suffix) = stallAt, path.hasSuffix(suffix) { try stall() }
        return try real.readIfPresent(path)
    }
    func permissions(of path: String) -> mode_t? { real.permissions(of: path) }
    func createDirectory(_ path: String) throws { try real.createDirectory(path) }
    func writeNewFile(_ path: String, bytes: [UInt8], mode: mode_t) throws { try real.writeNewFile(path, bytes: bytes, mode: mode) }
    func rename(_ from: String, to: String) throws {
        try real.rename(from, to: to)
        if case .swap = stallAt, from.hasSuffix(".tmp") { try stall() }
    }
    func remove(_ path: String) throws { try real.remove(path) }
    func syncDirectory(_ path: String) throws { try real.syncDirectory(path) }
}
