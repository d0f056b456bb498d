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

    @Test("a linked worktree's git folder and HEAD are read from its .git file, its branches from the main repository")
    func linkedWorktree() throws {
        let repo = try TempRepo()
        try repo.write("a.txt", "a\n")
        let first = try repo.commitAll("one")
        let worktree = try makeTemporaryDirectory(prefix: "peek") + "/wt"
        try repo.git("worktree", "add", "-q", "-b", "side", worktree)
        let gitDir = try #require(Repository.peekGitDir(workdir: worktree))
        #expect(URL(fileURLWithPath: gitDir).resolvingSymlinksInPath().path
            == URL(fileURLWithPath: try Repository(path: worktree).gitDir).resolvingSymlinksInPath().path)
        #expect(Repository.peekGitDir(workdir: repo.path) == repo.path + "/.git")
        #expect(Repository.peekHead(gitDir: gitDir)?.hex == first)

        try repo.git("-C", worktree, "commit", "-q", "--allow-empty", "-m", "two")
        let second = try repo.git("-C", worktree, "rev-parse", "HEAD")
        #expect(Repository.peekHead(gitDir: gitDir)?.hex == second, "the worktree's own HEAD")
        #expect(Repository.peekHead(workdir: repo.path)?.hex == first, "the main working tree's HEAD is its own")
        try repo.git("pack-refs", "--all", "--prune")
        #expect(Repository.peekHead(gitDir: gitDir)?.hex == second, "the branch in the main repository's packed-refs")
        #expect(Repository.peekGitDir(workdir: repo.path + "/missing") == nil)
    }
}
