import Foundation
import OpenSpecGit
import OpenSpecSyncTestSupport
import Testing

@Suite("Reading HEAD without libgit2")
struct PeekHeadTests {
    @Test("loose refs, packed refs and a detached HEAD agree with git; anything unusual is left to libgit2")
    func agreesWithGit() throws {
        let repo = try TempRepo()
        #expect(Repository.peekHead(workdir: repo.path) == nil, "unborn HEAD")
        try repo.write("a.txt", "a\n")
        let first = try repo.commitAll("one")
        #expect(Repository.peekHead(workdir: repo.path)?.hex == first)

        try repo.write("a.txt", "b\n")
        let second = try repo.commitAll("two")
        try repo.git("pack-refs", "--all", "--prune")
        #expect(!repo.exists(".git/refs/heads/main"), "the ref now lives only in packed-refs")
        #expect(Repository.peekHead(workdir: repo.path)?.hex == second)

        try repo.git("checkout", "-q", "--detach", first)
        #expect(Repository.peekHead(workdir: repo.path)?.hex == first)

        // A linked worktree has a .git file: not answered here.
        let worktree = try makeTemporaryDirectory(prefix: "peek") + "/wt"
        try repo.git("worktree", "add", "-q", worktree, "main")
        #expect(Repository.peekHead(workdir: worktree) == nil)
        #expect(Repository.peekHead(workdir: repo.path + "/missing") == nil)
    }

    @Test("a stopped rebase and git am are seen from the files, as libgit2 sees them")
    func rebasingAgreesWithLibgit2() throws {
        let repo = try TempRepo()
        try repo.write("a.txt", "base\n")
        try repo.commitAll("base")
        #expect(Repository.peekRebasing(workdir: repo.path) == false)
        #expect(try Repository(path: repo.path).state == .clean)

        // Two branches change the same line: the rebase stops on the conflict.
        try repo.git("checkout", "-q", "-b", "topic")
        try repo.write("a.txt", "topic\n")
        try repo.commitAll("topic")
        try repo.git("checkout", "-q", "main")
        try repo.write("a.txt", "main\n")
        try repo.commitAll("main")
        try repo.git("checkout", "-q", "topic")
        _ = try? repo.git("rebase", "main")
        #expect(Repository.peekRebasing(workdir: repo.path) == true)
        #expect([.rebase, .rebaseMerge, .rebaseInteractive].contains(try Repository(path: repo.path).state))
        try repo.git("rebase", "--abort")
        #expect(Repository.peekRebasing(workdir: repo.path) == false)

        // git am stopped on a patch that does not apply.
        let patch = try repo.git("format-patch", "-1", "--stdout", "topic")
        try repo.git("checkout", "-q", "main")
        let patchFile = try makeTemporaryDirectory(prefix: "peek") + "/p.patch"
        try (patch + "\n").write(toFile: patchFile, atomically: true, encoding: .utf8)
        _ = try? repo.git("am", patchFile)
        #expect(Repository.peekRebasing(workdir: repo.path) == true)
        #expect([.applyMailbox, .applyMailboxOrRebase].contains(try Repository(path: repo.path).state))
        try repo.git("am", "--abort")

        let worktree = try makeTemporaryDirectory(prefix: "peek") + "/wt"
        try repo.git("worktree", "add", "-q", "--detach", worktree, "main")
        #expect(Repository.peekRebasing(workdir: worktree) == nil, "a linked worktree is left to libgit2")
    }
}
