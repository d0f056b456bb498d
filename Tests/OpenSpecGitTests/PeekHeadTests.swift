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
        #expect(Repository.peekRebasing(workdir: worktree) == nil)
        #expect(Repository.peekHead(workdir: repo.path + "/missing") == nil)
    }
}
