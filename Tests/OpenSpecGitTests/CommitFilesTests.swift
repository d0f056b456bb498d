import Foundation
import OpenSpecGit
import OpenSpecSyncTestSupport
import Testing

private let syncAuthor = Signature(name: "openspec-sync", email: "sync@openspec.invalid")

/// `git fsck` exits 0 and reports nothing broken.
private func expectFsckClean(_ temp: TempRepo, sourceLocation: SourceLocation = #_sourceLocation) throws {
    let fsck = try temp.gitResult(["fsck", "--no-dangling"])
    #expect(fsck.status == 0, "git fsck: \(fsck.stdout) \(fsck.stderr)", sourceLocation: sourceLocation)
    #expect(fsck.stdout.isEmpty && fsck.stderr.isEmpty, "git fsck: \(fsck.stdout) \(fsck.stderr)", sourceLocation: sourceLocation)
}

@Suite("Committing sync writes")
struct CommitFilesTests {
    @Test("a repository kept open sees what git staged in between, and never drops it")
    func longLivedRepositorySeesNewIndex() throws {
        let temp = try makeSpecRepo()
        let repo = try Repository(path: temp.path)
        let path = "openspec/changes/add-login/proposal.md"
        var head = try revParse(temp, "HEAD")
        for round in 1...3 {
            // The user stages something between two sync commits made through one open repository.
            try temp.write("src/staged-\(round).txt", "round \(round)\n")
            try temp.git("add", "src/staged-\(round).txt")
            let cached = try rawGit(temp, "diff", "--cached", "--binary")
            let content = "# Add login\n\nround \(round)\n"
            try writeAtomically(temp, path, content)
            head = try repo.commitFiles([FileWrite(path: path, content: Array(content.utf8), mode: nil)],
                                        message: "sync \(round)", author: syncAuthor, expectedHead: head)
            #expect(try rawGit(temp, "diff", "--cached", "--binary") == cached, "round \(round)")
            #expect(try temp.git("status", "--porcelain", "--", path) == "", "round \(round)")
        }
        #expect(lines(try temp.git("diff", "--cached", "--name-only"))
            == ["src/staged-1.txt", "src/staged-2.txt", "src/staged-3.txt"])
        try expectFsckClean(temp)
    }

    @Test("commits exactly the written path and leaves the user's staged and unstaged work byte-identical")
    func commitLeavesUserWorkAlone() throws {
        let temp = try makeSpecRepo()
        // The user's own work in progress.
        try temp.write("src/main.txt", "staged by the user\n")
        try temp.git("add", "src/main.txt")
        try temp.write("openspec/changes/add-login/tasks.md", "- [x] one\n- [ ] two\n")  // unstaged
        try temp.write("openspec/changes/c/proposal.md", "staged new change\n")
        try temp.git("add", "openspec/changes/c/proposal.md")
        try temp.write("README.md", "staged\n")
        try temp.git("add", "README.md")
        try temp.write("README.md", "staged, then edited\n")  // both staged and unstaged
        try temp.write("notes.txt", "untracked\n")
        let oldHead = try revParse(temp, "HEAD")

        // The sync writer replaces the file, then commits it.
        let content = "# Add login\n\nEdited through the API.\n"
        try writeAtomically(temp, "openspec/changes/add-login/proposal.md", content)
        let cachedBefore = try rawGit(temp, "diff", "--cached", "--binary")
        let unstagedBefore = try rawGit(temp, "diff", "--binary", "--", ".", ":!openspec/changes/add-login/proposal.md")
        let statusBefore = lines(try rawGit(temp, "status", "--porcelain"))

        let repo = try Repository(path: temp.path)
        let newHead = try repo.commitFiles(
            [FileWrite(path: "openspec/changes/add-login/proposal.md", content: Array(content.utf8), mode: nil)],
            message: "openspec-sync: update add-login/proposal.md", author: syncAuthor, expectedHead: oldHead)

        #expect(newHead == (try revParse(temp, "HEAD")))
        #expect(try revParse(temp, "HEAD~1") == oldHead)
        #expect(
            lines(try temp.git("diff", "--name-status", "HEAD~1", "HEAD"))
                == ["M\topenspec/changes/add-login/proposal.md"])
        let stat = lines(try rawGit(temp, "diff", "HEAD~1", "HEAD", "--stat"))
        #expect(stat.count == 2)
        #expect(stat.first?.hasPrefix(" openspec/changes/add-login/proposal.md") == true)
        #expect(stat.last?.contains("1 file changed") == true)
        #expect(try temp.git("show", "HEAD:openspec/changes/add-login/proposal.md") + "\n" == content)

        #expect(try rawGit(temp, "diff", "--cached", "--binary") == cachedBefore)
        #expect(
            try rawGit(temp, "diff", "--binary", "--", ".", ":!openspec/changes/add-login/proposal.md")
                == unstagedBefore)
        #expect(
            lines(try rawGit(temp, "status", "--porcelain"))
                == statusBefore.filter { !$0.hasSuffix("openspec/changes/add-login/proposal.md") })
        #expect(try temp.git("status", "--porcelain", "--", "openspec/changes/add-login/proposal.md").isEmpty)
        #expect(try temp.git("log", "-1", "--format=%an <%ae>|%s") == "openspec-sync <sync@openspec.invalid>|openspec-sync: update add-login/proposal.md")
        #expect(try repo.headCommit() == newHead)
        #expect(try repo.workingTreeChanges(under: "openspec/changes/add-login").map(\.path) == ["openspec/changes/add-login/tasks.md"])
        try expectFsckClean(temp)
    }

    @Test("several files at once, including a new folder and a deletion")
    func severalWrites() throws {
        let temp = try makeSpecRepo()
        let oldHead = try revParse(temp, "HEAD")
        try temp.write("openspec/changes/add-signup/proposal.md", "# Signup\n")
        try temp.write("openspec/changes/add-signup/tasks.md", "- [ ] a\n")
        try temp.remove("openspec/specs/auth/spec.md")

        let repo = try Repository(path: temp.path)
        try repo.commitFiles(
            [
                FileWrite(path: "openspec/changes/add-signup/proposal.md", content: Array("# Signup\n".utf8)),
                FileWrite(path: "openspec/changes/add-signup/tasks.md", content: Array("- [ ] a\n".utf8)),
                .delete("openspec/specs/auth/spec.md"),
                .delete("openspec/never/existed.md"),
            ],
            message: "sync", author: syncAuthor, expectedHead: oldHead)

        #expect(
            lines(try temp.git("diff", "--name-status", "HEAD~1", "HEAD")) == [
                "A\topenspec/changes/add-signup/proposal.md",
                "A\topenspec/changes/add-signup/tasks.md",
                "D\topenspec/specs/auth/spec.md",
            ])
        #expect(try temp.git("status", "--porcelain").isEmpty)
        try expectFsckClean(temp)
    }

    @Test("mode nil keeps an executable bit; an explicit mode is used as given")
    func executableBitKept() throws {
        let temp = try makeSpecRepo()
        try temp.write("openspec/tools/check.sh", "#!/bin/sh\necho one\n")
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: temp.path + "/openspec/tools/check.sh")
        let head = ObjectID(hex: try temp.commitAll("script"))
        #expect(try temp.git("ls-tree", "HEAD", "openspec/tools/check.sh").hasPrefix("100755 "))

        let content = "#!/bin/sh\necho two\n"
        try temp.write("openspec/tools/check.sh", content)  // rewritten in place: the bit stays on disk
        let repo = try Repository(path: temp.path)
        try repo.commitFiles(
            [FileWrite(path: "openspec/tools/check.sh", content: Array(content.utf8), mode: nil)],
            message: "sync", author: syncAuthor, expectedHead: head)
        #expect(try temp.git("ls-tree", "HEAD", "openspec/tools/check.sh").hasPrefix("100755 "))
        #expect(try temp.git("status", "--porcelain").isEmpty)
        #expect(try temp.git("diff", "HEAD~1", "HEAD", "--summary").isEmpty)  // no mode change line

        try temp.write("openspec/project.md", "#!/bin/sh\n")
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: temp.path + "/openspec/project.md")
        try repo.commitFiles(
            [FileWrite(path: "openspec/project.md", content: Array("#!/bin/sh\n".utf8), mode: .executable)],
            message: "sync", author: syncAuthor, expectedHead: try repo.headCommit())
        #expect(try temp.git("ls-tree", "HEAD", "openspec/project.md").hasPrefix("100755 "))
        #expect(try temp.git("status", "--porcelain").isEmpty)
    }

    @Test("committing on an unborn HEAD makes the root commit")
    func unbornHead() throws {
        let temp = try TempRepo()
        try temp.write("openspec/project.md", "# First\n")
        try temp.write("other.txt", "untracked by the user\n")
        let repo = try Repository(path: temp.path)
        let id = try repo.commitFiles(
            [FileWrite(path: "openspec/project.md", content: Array("# First\n".utf8))],
            message: "sync", author: syncAuthor, expectedHead: nil)

        #expect(try revParse(temp, "HEAD") == id)
        #expect(try repo.commit(id).parents.isEmpty)
        #expect(try temp.git("ls-tree", "-r", "--name-only", "HEAD") == "openspec/project.md")
        #expect(lines(try rawGit(temp, "status", "--porcelain")) == ["?? other.txt"])
        #expect(try temp.git("rev-parse", "--abbrev-ref", "HEAD") == "main")
        try expectFsckClean(temp)
    }

    @Test("a stale expectedHead throws isModified and makes no commit")
    func staleHead() throws {
        let temp = try makeSpecRepo()
        let seen = try revParse(temp, "HEAD")
        try temp.write("src/main.txt", "the user committed meanwhile\n")
        let moved = try revParse(temp, temp.commitAll("user commit"))
        try temp.write("openspec/project.md", "sync content\n")

        let repo = try Repository(path: temp.path)
        let error = try #require(throws: GitError.self) {
            try repo.commitFiles(
                [FileWrite(path: "openspec/project.md", content: Array("sync content\n".utf8))],
                message: "sync", author: syncAuthor, expectedHead: seen)
        }
        #expect(error.isModified)
        #expect(try revParse(temp, "HEAD") == moved)
        #expect(try temp.git("rev-list", "--count", "HEAD") == "2")
        #expect(lines(try rawGit(temp, "status", "--porcelain")) == [" M openspec/project.md"])

        let unborn = try #require(throws: GitError.self) {
            try repo.commitFiles(
                [FileWrite(path: "openspec/project.md", content: Array("sync content\n".utf8))],
                message: "sync", author: syncAuthor, expectedHead: nil)
        }
        #expect(unborn.isModified)
    }

    @Test("an existing index.lock throws isLocked and makes no commit")
    func indexLocked() throws {
        let temp = try makeSpecRepo()
        let head = try revParse(temp, "HEAD")
        try temp.write("openspec/project.md", "sync content\n")
        try temp.write(".git/index.lock", "")

        let repo = try Repository(path: temp.path)
        let error = try #require(throws: GitError.self) {
            try repo.commitFiles(
                [FileWrite(path: "openspec/project.md", content: Array("sync content\n".utf8))],
                message: "sync", author: syncAuthor, expectedHead: head)
        }
        #expect(error.isLocked)
        #expect(error.message.contains("index.lock"))
        #expect(try revParse(temp, "HEAD") == head)
        #expect(temp.exists(".git/index.lock"))  // never removed for the user

        try temp.remove(".git/index.lock")
        try repo.commitFiles(
            [FileWrite(path: "openspec/project.md", content: Array("sync content\n".utf8))],
            message: "sync", author: syncAuthor, expectedHead: head)
        #expect(try revParse(temp, "HEAD~1") == head)
    }

    @Test("refuses while a merge is in progress")
    func refusesMidMerge() throws {
        let temp = try makeSpecRepo()
        try makeConflictedMerge(temp)
        let head = try revParse(temp, "HEAD")
        let repo = try Repository(path: temp.path)
        let error = try #require(throws: GitError.self) {
            try repo.commitFiles(
                [FileWrite(path: "openspec/project.md", content: Array("x\n".utf8))],
                message: "sync", author: syncAuthor, expectedHead: head)
        }
        #expect(error.isMidOperation)
        #expect(error.message.contains("mid-merge"))
        #expect(try revParse(temp, "HEAD") == head)
    }

    @Test("refuses a path with unmerged entries even outside a merge")
    func refusesConflictedPath() throws {
        let temp = try makeSpecRepo()
        try makeConflictedMerge(temp)
        // Drop the merge state but keep the unmerged index entries, as a conflicted `stash pop` would.
        try temp.remove(".git/MERGE_HEAD")
        let repo = try Repository(path: temp.path)
        #expect(repo.state == .clean)
        let error = try #require(throws: GitError.self) {
            try repo.commitFiles(
                [FileWrite(path: "openspec/changes/add-login/tasks.md", content: Array("x\n".utf8))],
                message: "sync", author: syncAuthor, expectedHead: try repo.headCommit())
        }
        #expect(error.isMidOperation)
    }

    @Test("a retry with unchanged content makes no empty commit")
    func retryIsIdempotent() throws {
        let temp = try makeSpecRepo()
        let head = try revParse(temp, "HEAD")
        try temp.write("openspec/project.md", "v2\n")
        let repo = try Repository(path: temp.path)
        let write = FileWrite(path: "openspec/project.md", content: Array("v2\n".utf8))
        let first = try repo.commitFiles([write], message: "sync", author: syncAuthor, expectedHead: head)
        let second = try repo.commitFiles([write], message: "sync", author: syncAuthor, expectedHead: first)
        #expect(second == first)
        #expect(try temp.git("rev-list", "--count", "HEAD") == "2")
    }

    @Test("syncIndexWithHead repairs a stale index entry for the given paths only")
    func repairIndex() throws {
        let temp = try makeSpecRepo()
        let oldBlob = try revParse(temp, "HEAD:openspec/project.md")
        try temp.write("openspec/project.md", "committed by sync\n")
        let repo = try Repository(path: temp.path)
        try repo.commitFiles(
            [FileWrite(path: "openspec/project.md", content: Array("committed by sync\n".utf8))],
            message: "sync", author: syncAuthor, expectedHead: try revParse(temp, "HEAD"))
        // Simulate a failed index update: the index still holds the old blob.
        try temp.git("update-index", "--cacheinfo", "100644,\(oldBlob.hex),openspec/project.md")
        try temp.write("src/main.txt", "staged by the user\n")
        try temp.git("add", "src/main.txt")
        #expect(lines(try rawGit(temp, "status", "--porcelain")) == ["MM openspec/project.md", "M  src/main.txt"])

        try repo.syncIndexWithHead(paths: ["openspec/project.md"])
        #expect(lines(try rawGit(temp, "status", "--porcelain")) == ["M  src/main.txt"])
    }

    @Test("content that differs from the file on disk leaves the path visibly modified")
    func diskDiffersFromContent() throws {
        let temp = try makeSpecRepo()
        let head = try revParse(temp, "HEAD")
        try temp.write("openspec/project.md", "what is really on disk\n")
        // An old mtime keeps git's racy-timestamp check from rescuing a wrong stat cache.
        try FileManager.default.setAttributes(
            [.modificationDate: Date().addingTimeInterval(-3600)], ofItemAtPath: temp.path + "/openspec/project.md")
        let repo = try Repository(path: temp.path)
        try repo.commitFiles(
            [FileWrite(path: "openspec/project.md", content: Array("what was committed\n".utf8))],
            message: "sync", author: syncAuthor, expectedHead: head)
        #expect(lines(try rawGit(temp, "status", "--porcelain")) == [" M openspec/project.md"])
        #expect(nameStatus(try repo.workingTreeChanges(under: "openspec")) == ["M\topenspec/project.md"])
    }

    @Test("invalid paths are refused before anything is written", arguments: [
        "", "/abs/path.md", "openspec/../escape.md", "openspec//double.md", "./x.md", ".git/config",
        "openspec/.GIT/x", "openspec/dir/",
    ])
    func invalidPaths(path: String) throws {
        let temp = try makeSpecRepo()
        let head = try revParse(temp, "HEAD")
        let repo = try Repository(path: temp.path)
        let error = try #require(throws: GitError.self) {
            try repo.commitFiles(
                [FileWrite(path: path, content: Array("x\n".utf8))], message: "sync", author: syncAuthor,
                expectedHead: head)
        }
        #expect(error.function == "Repository.commitFiles")
        #expect(try revParse(temp, "HEAD") == head)
    }

    @Test("writing a path twice or writing over a folder is refused")
    func conflictingWrites() throws {
        let temp = try makeSpecRepo()
        let head = try revParse(temp, "HEAD")
        let repo = try Repository(path: temp.path)
        let write = FileWrite(path: "openspec/project.md", content: Array("x\n".utf8))
        #expect(throws: GitError.self) {
            try repo.commitFiles([write, write], message: "sync", author: syncAuthor, expectedHead: head)
        }
        #expect(throws: GitError.self) {
            try repo.commitFiles([.delete("openspec/changes")], message: "sync", author: syncAuthor, expectedHead: head)
        }
        #expect(try revParse(temp, "HEAD") == head)
    }
}
