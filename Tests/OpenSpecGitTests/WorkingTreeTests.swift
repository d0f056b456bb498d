import Foundation
import OpenSpecGit
import OpenSpecSyncTestSupport
import Testing

@Suite("Working tree and index changes, repository state")
struct WorkingTreeTests {
    @Test("workingTreeChanges sees staged, unstaged, untracked and deleted files under the prefix only")
    func uncommittedChanges() throws {
        let temp = try makeSpecRepo()
        try temp.write(".gitignore", "*.bak\n")
        try temp.commitAll("ignore backups")
        let headTasks = try revParse(temp, "HEAD:openspec/changes/add-login/tasks.md")
        let headProposal = try revParse(temp, "HEAD:openspec/changes/add-login/proposal.md")
        let headSpec = try revParse(temp, "HEAD:openspec/specs/auth/spec.md")

        try temp.write("openspec/changes/add-login/tasks.md", "- [x] one\n- [ ] two\n")  // unstaged
        try temp.write("openspec/changes/add-login/proposal.md", "# Add login, staged\n")
        try temp.git("add", "openspec/changes/add-login/proposal.md")  // staged
        try temp.write("openspec/changes/new-thing/specs/x/spec.md", "# New\n")  // untracked, in a new folder
        try temp.write("openspec/changes/new-thing/proposal.md", "# New thing\n")
        try temp.remove("openspec/specs/auth/spec.md")  // deleted
        try temp.write("openspec/changes/add-login/proposal.md.bak", "ignored\n")  // ignored
        try temp.write("src/main.txt", "outside\n")  // outside the prefix
        try temp.write("openspec-notes.md", "a sibling with the same prefix\n")

        let repo = try Repository(path: temp.path)
        let changes = try repo.workingTreeChanges(under: "openspec")
        #expect(
            nameStatus(changes) == [
                "M\topenspec/changes/add-login/proposal.md",
                "M\topenspec/changes/add-login/tasks.md",
                "?\topenspec/changes/new-thing/proposal.md",
                "?\topenspec/changes/new-thing/specs/x/spec.md",
                "D\topenspec/specs/auth/spec.md",
            ])
        #expect(
            lines(try rawGit(temp, "status", "--porcelain", "--untracked-files=all", "--", "openspec")) == [
                "M  openspec/changes/add-login/proposal.md",
                " M openspec/changes/add-login/tasks.md",
                " D openspec/specs/auth/spec.md",
                "?? openspec/changes/new-thing/proposal.md",
                "?? openspec/changes/new-thing/specs/x/spec.md",
            ])

        let staged = try #require(changes.first { $0.path == "openspec/changes/add-login/proposal.md" })
        #expect(staged.oldID == headProposal)
        #expect(staged.newID == Repository.hashBlob(Array("# Add login, staged\n".utf8)))
        let unstaged = try #require(changes.first { $0.path == "openspec/changes/add-login/tasks.md" })
        #expect(unstaged.oldID == headTasks)
        #expect(unstaged.newID == nil || unstaged.newID == Repository.hashBlob(Array("- [x] one\n- [ ] two\n".utf8)))
        let deleted = try #require(changes.first { $0.kind == .deleted })
        #expect(deleted.oldID == headSpec && deleted.newPath == nil)
        #expect(changes.filter { $0.kind == .untracked }.allSatisfy { $0.oldPath == nil && $0.oldID == nil })

        #expect(try repo.workingTreeChanges(under: "src").map(\.path) == ["src/main.txt"])
        #expect(try repo.workingTreeChanges(under: "openspec/specs") == [deleted])
    }

    @Test("a staged new file, a staged-then-edited file and a file removed from the index")
    func mixedIndexAndWorkdir() throws {
        let temp = try makeSpecRepo()
        try temp.write("openspec/changes/c/proposal.md", "staged new\n")
        try temp.git("add", "openspec/changes/c/proposal.md")
        try temp.write("openspec/project.md", "staged\n")
        try temp.git("add", "openspec/project.md")
        try temp.write("openspec/project.md", "staged, then edited again\n")
        try temp.git("rm", "-q", "--cached", "openspec/specs/auth/spec.md")

        let repo = try Repository(path: temp.path)
        let changes = try repo.workingTreeChanges(under: "openspec")
        #expect(
            nameStatus(changes) == [
                "A\topenspec/changes/c/proposal.md",
                "M\topenspec/project.md",
                "M\topenspec/specs/auth/spec.md",
            ])
        #expect(changes[0].newID == Repository.hashBlob(Array("staged new\n".utf8)))
        #expect(changes[1].newID != Repository.hashBlob(Array("staged\n".utf8)))
        #expect(changes[2].oldID == Repository.hashBlob(Array("# Auth\n".utf8)))
    }

    @Test("touching files (mtime only) or rewriting identical content reports nothing")
    func touchIsNotAChange() throws {
        let temp = try makeSpecRepo()
        try temp.git("status", "--porcelain")  // settle the index's stat cache
        let repo = try Repository(path: temp.path)
        #expect(try repo.workingTreeChanges(under: "openspec").isEmpty)

        let later = Date().addingTimeInterval(3600)
        for path in ["openspec/project.md", "openspec/changes/add-login/tasks.md"] {
            try FileManager.default.setAttributes([.modificationDate: later], ofItemAtPath: temp.path + "/" + path)
        }
        try writeAtomically(temp, "openspec/specs/auth/spec.md", "# Auth\n")  // same bytes, new inode
        #expect(try repo.workingTreeChanges(under: "openspec").isEmpty)
        // The index was not written: git still has to look at the touched files itself.
        #expect(try temp.git("status", "--porcelain").isEmpty)

        // A same-size edit with the same (touched) mtime is still caught.
        try temp.write("openspec/project.md", "# Projekt\n")
        try FileManager.default.setAttributes([.modificationDate: later], ofItemAtPath: temp.path + "/openspec/project.md")
        #expect(nameStatus(try repo.workingTreeChanges(under: "openspec")) == ["M\topenspec/project.md"])
    }

    @Test("workingTreeChanges does not write the index")
    func indexUntouched() throws {
        let temp = try makeSpecRepo()
        let indexPath = temp.path + "/.git/index"
        try FileManager.default.setAttributes(
            [.modificationDate: Date().addingTimeInterval(3600)], ofItemAtPath: temp.path + "/openspec/project.md")
        let before = try Data(contentsOf: URL(fileURLWithPath: indexPath))
        let repo = try Repository(path: temp.path)
        _ = try repo.workingTreeChanges(under: "openspec")
        _ = try repo.conflictedPaths(under: "openspec")
        #expect(try Data(contentsOf: URL(fileURLWithPath: indexPath)) == before)
    }

    @Test("a merge conflict is reported once as conflicted, and the state is .merge")
    func mergeConflict() throws {
        let temp = try makeSpecRepo()
        let repo = try Repository(path: temp.path)
        #expect(repo.state == .clean)
        #expect(!repo.state.isMidOperation)

        try makeConflictedMerge(temp)
        #expect(repo.state == .merge)
        #expect(repo.state.isMidOperation)
        #expect(repo.state.description == "mid-merge")
        let changes = try repo.workingTreeChanges(under: "openspec")
        #expect(nameStatus(changes) == ["U\topenspec/changes/add-login/tasks.md"])
        #expect(try repo.conflictedPaths(under: "openspec") == ["openspec/changes/add-login/tasks.md"])
        #expect(try repo.conflictedPaths(under: "src").isEmpty)

        try temp.git("merge", "--abort")
        #expect(repo.state == .clean)
        #expect(try repo.conflictedPaths(under: "openspec").isEmpty)
        #expect(try repo.workingTreeChanges(under: "openspec").isEmpty)
    }

    @Test("the index scan finds what libgit2 finds, in index versions 2, 3 and 4, and defers on a split index", arguments: [2, 3, 4])
    func indexScan(version: Int) throws {
        let temp = try makeSpecRepo()
        let repo = try Repository(path: temp.path)
        let index = temp.path + "/.git/index"
        // Names of many lengths exercise the padding.
        try temp.write("openspec/changes/add-login/" + String(repeating: "n", count: 120) + ".md", "x\n")
        try temp.git("add", "-A")
        try temp.git("update-index", "--index-version", String(version))
        #expect(Repository.scanConflictedPaths(indexPath: index, under: "openspec") == [])
        try temp.git("commit", "-q", "-m", "long names")

        try makeConflictedMerge(temp)
        if version >= 3 {
            // An intent-to-add entry carries version 3's extended flags.
            try temp.write("openspec/changes/add-login/draft.md", "x\n")
            try temp.git("add", "-N", "openspec/changes/add-login/draft.md")
        }
        try temp.git("update-index", "--index-version", String(version))
        let header = try #require(FileManager.default.contents(atPath: index))
        #expect(header[7] == UInt8(version), "git wrote index version \(version)")
        let scanned = Repository.scanConflictedPaths(indexPath: index, under: "openspec")
        #expect(scanned == ["openspec/changes/add-login/tasks.md"])
        #expect(scanned == (try repo.conflictedPaths(under: "openspec")))
        #expect(Repository.scanConflictedPaths(indexPath: index, under: "src") == [])

        if version >= 3 { try temp.git("rm", "-q", "--cached", "openspec/changes/add-login/draft.md") }
        try temp.git("merge", "--abort")
        #expect(Repository.scanConflictedPaths(indexPath: index, under: "openspec") == [])
        try temp.git("update-index", "--split-index")
        #expect(Repository.scanConflictedPaths(indexPath: index, under: "openspec") == nil, "a split index is libgit2's to read")
    }

    @Test("the index scan gives nil for damaged bytes and [] for no index")
    func indexScanDamaged() throws {
        let temp = try makeSpecRepo()
        let index = temp.path + "/.git/index"
        let good = try #require(FileManager.default.contents(atPath: index))
        for damaged in [Data(), Data("DIRC".utf8), good.prefix(good.count / 2), Data(repeating: 0xFF, count: 200)] {
            try damaged.write(to: URL(fileURLWithPath: index))
            #expect(Repository.scanConflictedPaths(indexPath: index, under: "openspec") == nil)
        }
        try FileManager.default.removeItem(atPath: index)
        #expect(Repository.scanConflictedPaths(indexPath: index, under: "openspec") == [])
    }

    @Test("a rebase or git am stopped by a conflict is a rebase state, from libgit2 and from the files")
    func rebaseConflict() throws {
        let temp = try makeSpecRepo()
        #expect(Repository.peekRebasing(workdir: temp.path) == false)
        try temp.git("checkout", "-q", "-b", "feature")
        try temp.write("openspec/project.md", "feature\n")
        try temp.commitAll("feature edit")
        try temp.git("checkout", "-q", "main")
        try temp.write("openspec/project.md", "main\n")
        try temp.commitAll("main edit")
        try temp.git("checkout", "-q", "feature")
        let rebase = try temp.gitResult(["rebase", "main"])
        #expect(rebase.status != 0)

        let repo = try Repository(path: temp.path)
        #expect([RepositoryState.rebase, .rebaseMerge, .rebaseInteractive].contains(repo.state))
        #expect(repo.state.description == "mid-rebase")
        #expect(Repository.peekRebasing(workdir: temp.path) == true)
        #expect(try repo.conflictedPaths(under: "openspec") == ["openspec/project.md"])

        try temp.git("rebase", "--abort")
        #expect(repo.state == .clean)
        #expect(Repository.peekRebasing(workdir: temp.path) == false)

        // git am of the feature commit onto main stops on the same conflict.
        let patch = try temp.git("format-patch", "-1", "--stdout", "feature")
        try temp.git("checkout", "-q", "main")
        let patchFile = try makeTemporaryDirectory(prefix: "am") + "/p.patch"
        try (patch + "\n").write(toFile: patchFile, atomically: true, encoding: .utf8)
        #expect(try temp.gitResult(["am", patchFile]).status != 0)
        #expect([RepositoryState.applyMailbox, .applyMailboxOrRebase].contains(repo.state))
        #expect(Repository.peekRebasing(workdir: temp.path) == true)
        try temp.git("am", "--abort")
    }

    @Test("a cherry-pick stopped by a conflict is .cherryPick")
    func cherryPickConflict() throws {
        let temp = try makeSpecRepo()
        try temp.git("checkout", "-q", "-b", "feature")
        try temp.write("openspec/project.md", "feature\n")
        let pick = try temp.commitAll("feature edit")
        try temp.git("checkout", "-q", "main")
        try temp.write("openspec/project.md", "main\n")
        try temp.commitAll("main edit")
        #expect(try temp.gitResult(["cherry-pick", pick]).status != 0)
        #expect(try Repository(path: temp.path).state == .cherryPick)
    }
}
