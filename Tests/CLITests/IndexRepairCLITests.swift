import Foundation
import OpenSpecSyncTestSupport
import Testing

/// A rollback (or write) killed after its commit moved HEAD but before the
/// index entries of its paths were written leaves `git status` showing the
/// commit staged in reverse, and the user's next commit would undo it. The
/// next run of the tool finishes the index update for exactly those paths.
@Suite("Index repair after a write killed between its commit and its index update")
struct IndexRepairCLITests {
    private static let change = "openspec/changes/add-login"
    private static let paths = ["design.md", "specs/x/spec.md", "tasks.md"].map { change + "/" + $0 }

    /// A change changed by three commits, synced; returns the first commit.
    private func makeChange(_ cli: CLI) throws -> (repo: TempRepo, first: String) {
        let repo = try TempRepo()
        let change = Self.change
        try repo.write("\(change)/proposal.md", "# Add login\n\n## Why\nUsers sign in.\n")
        try repo.write("\(change)/tasks.md", "## 1. Work\n- [ ] 1.1 Form\n")
        let first = try repo.commitAll("v1")
        try repo.write("\(change)/design.md", "# Design\n")
        try repo.write("\(change)/specs/x/spec.md", "## ADDED Requirements\n")
        try repo.write("\(change)/tasks.md", "## 1. Work\n- [x] 1.1 Form\n- [ ] 1.2 More\n")
        try repo.commitAll("v2")
        try repo.write("\(change)/tasks.md", "## 1. Work\n- [x] 1.1 Form\n- [x] 1.2 More\n")
        try repo.commitAll("v3")
        #expect(try cli.run(["init", "--repo", repo.path]).status == 0)
        #expect(try cli.run(["reconcile", "--repo", repo.path]).status == 0)
        return (repo, first)
    }

    /// The index a kill between the rollback's commit and its index update leaves:
    /// the change's paths still at the parent's entries.
    private func loseIndexUpdate(_ repo: TempRepo) throws {
        for path in Self.paths { try repo.git("reset", "-q", "HEAD~1", "--", path) }
        let status = lines(try repo.git("status", "--porcelain"))
        #expect(status.contains("AD \(Self.change)/design.md") && status.contains("MM \(Self.change)/tasks.md"), "\(status)")
    }

    /// The database files as they are, put back by the returned closure (what a kill before the database update keeps).
    private func snapshot(_ cli: CLI) throws -> () throws -> Void {
        let files = [cli.dbPath, cli.dbPath + "-wal", cli.dbPath + "-shm"]
        let saved = files.map { FileManager.default.contents(atPath: $0) }
        return {
            for (file, data) in zip(files, saved) {
                try? FileManager.default.removeItem(atPath: file)
                if let data { try data.write(to: URL(fileURLWithPath: file)) }
            }
        }
    }

    /// `git status` is clean for the change, and committing an unrelated file changes nothing else in HEAD.
    private func expectRepaired(_ repo: TempRepo, when: String) throws {
        #expect(try repo.git("status", "--porcelain", "--", Self.change) == "", "\(when)")
        try repo.write("notes.txt", "unrelated\n")
        try repo.git("add", "notes.txt")
        try repo.git("commit", "-q", "-m", "notes")
        #expect(lines(try repo.git("diff", "--name-only", "HEAD~1", "HEAD")) == ["notes.txt"], "\(when)")
        #expect(try repo.gitResult(["cat-file", "-e", "HEAD:\(Self.change)/design.md"]).status != 0, "\(when)")
    }

    @Test("rollback run again after the kill repairs the index, leaving the user's staged work staged")
    func rollbackAgainRepairs() throws {
        let cli = try CLI()
        let (repo, first) = try makeChange(cli)
        let rollback = try cli.run(["rollback", "add-login", "--to", first])
        #expect(rollback.status == 0, "\(rollback.stderr)")
        try loseIndexUpdate(repo)
        try repo.write("src/main.txt", "staged by the user\n")
        try repo.git("add", "src/main.txt")

        let again = try cli.run(["rollback", "add-login", "--to", first])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(lines(try repo.git("status", "--porcelain")) == ["A  src/main.txt"])
        try repo.git("reset", "-q", "--", "src/main.txt")
        try expectRepaired(repo, when: "after the second rollback")
    }

    @Test("the next reconcile after the kill repairs the index")
    func reconcileRepairs() throws {
        let cli = try CLI()
        let (repo, first) = try makeChange(cli)
        let restoreDatabase = try snapshot(cli)
        let rollback = try cli.run(["rollback", "add-login", "--to", first])
        #expect(rollback.status == 0, "\(rollback.stderr)")
        try loseIndexUpdate(repo)
        try restoreDatabase()

        let reconcile = try cli.run(["reconcile", "--repo", repo.path])
        #expect(reconcile.status == 0, "\(reconcile.stderr)")
        try expectRepaired(repo, when: "after reconcile")
    }

    @Test("a reconcile that finds index.lock repairs nothing, and the first reconcile after the lock is gone repairs")
    func reconcileWaitsForIndexLock() throws {
        let cli = try CLI()
        let (repo, first) = try makeChange(cli)
        let restoreDatabase = try snapshot(cli)
        let rollback = try cli.run(["rollback", "add-login", "--to", first])
        #expect(rollback.status == 0, "\(rollback.stderr)")
        try loseIndexUpdate(repo)
        try restoreDatabase()
        try repo.write(".git/index.lock", "")

        let locked = try cli.run(["reconcile", "--repo", repo.path])
        #expect(locked.status == 0, "\(locked.stderr)")
        #expect(repo.exists(".git/index.lock"))
        #expect(try repo.git("status", "--porcelain", "--", Self.change) != "")
        try repo.remove(".git/index.lock")
        let reconcile = try cli.run(["reconcile", "--repo", repo.path])
        #expect(reconcile.status == 0, "\(reconcile.stderr)")
        try expectRepaired(repo, when: "after the lock was removed and reconcile ran")
    }

    @Test("a write after the kill repairs the index first, then writes the file it would have refused as staged")
    func writeRepairs() throws {
        let cli = try CLI()
        let (repo, first) = try makeChange(cli)
        let rollback = try cli.run(["rollback", "add-login", "--to", first])
        #expect(rollback.status == 0, "\(rollback.stderr)")
        try loseIndexUpdate(repo)

        let task = try cli.run(["task", "add-login", "1.1", "--done"])
        #expect(task.status == 0, "\(task.stderr)")
        #expect(try repo.readText("\(Self.change)/tasks.md") == "## 1. Work\n- [x] 1.1 Form\n")
        #expect(try repo.git("show", "HEAD:\(Self.change)/tasks.md") + "\n" == "## 1. Work\n- [x] 1.1 Form\n")
        try expectRepaired(repo, when: "after task")
    }

    /// `makeChange`'s commits, with the change registered and synced in a linked
    /// worktree (`git worktree add`, branch `side`), whose git folder is
    /// `.git/worktrees/wt` of the main one; returns the worktree and the first commit.
    private func makeWorktreeChange(_ cli: CLI) throws -> (repo: TempRepo, worktree: String, first: String) {
        let repo = try TempRepo()
        let change = Self.change
        try repo.write("\(change)/proposal.md", "# Add login\n\n## Why\nUsers sign in.\n")
        try repo.write("\(change)/tasks.md", "## 1. Work\n- [ ] 1.1 Form\n")
        let first = try repo.commitAll("v1")
        try repo.write("\(change)/design.md", "# Design\n")
        try repo.write("\(change)/specs/x/spec.md", "## ADDED Requirements\n")
        try repo.write("\(change)/tasks.md", "## 1. Work\n- [x] 1.1 Form\n- [ ] 1.2 More\n")
        try repo.commitAll("v2")
        let worktree = repo.path + "/.worktrees/wt"
        try repo.git("worktree", "add", "-q", "-b", "side", worktree)
        #expect(try cli.run(["init", "--repo", worktree]).status == 0)
        #expect(try cli.run(["reconcile", "--repo", worktree]).status == 0)
        return (repo, worktree, first)
    }

    /// The worktree's `git status` for the change.
    private func worktreeStatus(_ repo: TempRepo, _ worktree: String) throws -> String {
        try repo.git("-C", worktree, "status", "--porcelain", "--", Self.change)
    }

    @Test("in a linked worktree, a reconcile where HEAD has not moved since the last sync leaves the index alone")
    func worktreeReconcileAtSyncedHeadLeavesIndex() throws {
        let cli = try CLI()
        let (repo, worktree, first) = try makeWorktreeChange(cli)
        let rollback = try cli.run(["rollback", "add-login", "--to", first])
        #expect(rollback.status == 0, "\(rollback.stderr)")
        // Unstaged on purpose, after the rollback was synced: the database is at HEAD.
        for path in Self.paths { try repo.git("-C", worktree, "reset", "-q", "HEAD~1", "--", path) }
        let unstaged = try worktreeStatus(repo, worktree)
        #expect(unstaged != "")

        let reconcile = try cli.run(["reconcile", "--repo", worktree])
        #expect(reconcile.status == 0, "\(reconcile.stderr)")
        #expect(try worktreeStatus(repo, worktree) == unstaged, "HEAD did not move: the index is not looked at")
    }

    @Test("in a linked worktree, index.lock leaves the mark in the worktree's git folder, and the next reconcile repairs")
    func worktreeReconcileWaitsForIndexLock() throws {
        let cli = try CLI()
        let (repo, worktree, first) = try makeWorktreeChange(cli)
        let restoreDatabase = try snapshot(cli)
        let rollback = try cli.run(["rollback", "add-login", "--to", first])
        #expect(rollback.status == 0, "\(rollback.stderr)")
        for path in Self.paths { try repo.git("-C", worktree, "reset", "-q", "HEAD~1", "--", path) }
        try restoreDatabase()
        let gitDir = ".git/worktrees/wt"
        try repo.write("\(gitDir)/index.lock", "")

        let locked = try cli.run(["reconcile", "--repo", worktree])
        #expect(locked.status == 0, "\(locked.stderr)")
        #expect(try worktreeStatus(repo, worktree) != "")
        #expect(repo.exists("\(gitDir)/openspec-sync/index-repair-pending"), "the mark is in the worktree's git folder")
        try repo.remove("\(gitDir)/index.lock")
        let reconcile = try cli.run(["reconcile", "--repo", worktree])
        #expect(reconcile.status == 0, "\(reconcile.stderr)")
        #expect(try worktreeStatus(repo, worktree) == "", "repaired once the lock was gone, though HEAD did not move")
        #expect(!repo.exists("\(gitDir)/openspec-sync/index-repair-pending"))
    }
}
