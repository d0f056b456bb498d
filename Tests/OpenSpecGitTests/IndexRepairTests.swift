import Foundation
import OpenSpecGit
import OpenSpecSyncTestSupport
import Testing

private let syncAuthor = Signature(name: "openspec-sync", email: "sync@openspec.invalid")
private func isOwn(_ commit: CommitInfo) -> Bool {
    commit.authorName == syncAuthor.name && commit.message.contains("\nSync: yes")
}

private let change = "openspec/changes/add-login"
private let paths = ["\(change)/proposal.md", "\(change)/tasks.md", "\(change)/design.md"]

/// A sync commit that modifies proposal.md, deletes tasks.md and adds design.md,
/// then the index as a kill between the commit and its index update leaves it.
private func commitThenLoseIndexUpdate(_ temp: TempRepo, message: String = "sync\n\nSync: yes\n",
                                       author: Signature = syncAuthor) throws -> Repository {
    try writeAtomically(temp, paths[0], "# Add login\n\nrolled back\n")
    try temp.remove(paths[1])
    try writeAtomically(temp, paths[2], "# Design\n")
    let repo = try Repository(path: temp.path)
    try repo.commitFiles(
        [FileWrite(path: paths[0], content: Array("# Add login\n\nrolled back\n".utf8), mode: nil),
         FileWrite(path: paths[1], content: nil, mode: nil),
         FileWrite(path: paths[2], content: Array("# Design\n".utf8), mode: nil)],
        message: message, author: author, expectedHead: try revParse(temp, "HEAD"))
    #expect(try temp.git("status", "--porcelain") == "")
    for path in paths { try temp.git("reset", "-q", "HEAD~1", "--", path) }
    #expect(try temp.git("status", "--porcelain") != "")
    return repo
}

@Suite("Repairing the index after a commit whose index update was lost")
struct IndexRepairTests {
    @Test("the index left at the parent's entries is set to HEAD's, and git status is clean")
    func repairsIndexLeftAtParent() throws {
        let temp = try makeSpecRepo()
        let repo = try commitThenLoseIndexUpdate(temp)
        let repaired = try Repository(path: temp.path).repairIndexAfterOwnCommit(isOwn: isOwn)
        #expect(Set(repaired) == Set(paths))
        #expect(try temp.git("status", "--porcelain") == "")
        // A second run finds nothing to do.
        #expect(try repo.repairIndexAfterOwnCommit(isOwn: isOwn) == [])
    }

    @Test("a path the user staged something else on stays staged; other staged work is untouched")
    func leavesUserStagedWorkAlone() throws {
        let temp = try makeSpecRepo()
        _ = try commitThenLoseIndexUpdate(temp)
        try temp.write(paths[0], "the user's own version\n")
        try temp.git("add", paths[0])
        try temp.write("src/main.txt", "staged by the user\n")
        try temp.git("add", "src/main.txt")
        let repaired = try Repository(path: temp.path).repairIndexAfterOwnCommit(isOwn: isOwn)
        #expect(Set(repaired) == Set(paths.dropFirst()))
        #expect(lines(try temp.git("status", "--porcelain")) == ["M  \(paths[0])", "M  src/main.txt"])
    }

    @Test("a commit not made by the tool is never repaired")
    func ignoresOtherCommits() throws {
        for (message, author) in [("sync\n\nSync: yes\n", Signature(name: "someone", email: "someone@example.com")),
                                  ("an ordinary commit\n", syncAuthor)] {
            let temp = try makeSpecRepo()
            _ = try commitThenLoseIndexUpdate(temp, message: message, author: author)
            let before = try temp.git("status", "--porcelain")
            #expect(try Repository(path: temp.path).repairIndexAfterOwnCommit(isOwn: isOwn) == [])
            #expect(try temp.git("status", "--porcelain") == before)
        }
    }

    @Test("nothing is repaired while index.lock exists, and the lock is left in place")
    func waitsForIndexLock() throws {
        let temp = try makeSpecRepo()
        _ = try commitThenLoseIndexUpdate(temp)
        try temp.write(".git/index.lock", "")
        #expect(try Repository(path: temp.path).repairIndexAfterOwnCommit(isOwn: isOwn) == [])
        #expect(temp.exists(".git/index.lock"))
        try temp.remove(".git/index.lock")
        #expect(try Repository(path: temp.path).repairIndexAfterOwnCommit(isOwn: isOwn).count == 3)
        #expect(try temp.git("status", "--porcelain") == "")
    }
}
