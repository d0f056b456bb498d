import Foundation
import OpenSpecGit
import OpenSpecSyncTestSupport
import Testing

@Suite("Trees, tree diffs and history")
struct TreeTests {
    @Test("files(at:under:) lists exactly what git ls-tree lists")
    func filesMatchLsTree() throws {
        let temp = try makeSpecRepo()
        try temp.write("openspec/changes/a-b/proposal.md", "dash sorts before slash\n")
        try temp.write("openspec/changes/archive/2024-01-01-old/proposal.md", "old\n")
        try temp.write("openspec/tools/run.sh", "#!/bin/sh\n")
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: temp.path + "/openspec/tools/run.sh")
        try temp.commitAll("more")
        try FileManager.default.createSymbolicLink(
            atPath: temp.path + "/openspec/specs/link.md", withDestinationPath: "../project.md")
        let head = ObjectID(hex: try temp.commitAll("link"))!
        let repo = try Repository(path: temp.path)

        let files = try repo.files(at: head, under: "openspec")
        #expect(files.map(\.path) == lines(try temp.git("ls-tree", "-r", "--name-only", "HEAD", "openspec")))
        let withIDs = lines(try temp.git("ls-tree", "-r", "HEAD", "openspec"))
        #expect(files.map { "\(String($0.mode.rawValue, radix: 8)) blob \($0.id.hex)\t\($0.path)" }
            == withIDs)
        #expect(files.first { $0.path == "openspec/tools/run.sh" }?.mode == .executable)
        #expect(files.first { $0.path == "openspec/specs/link.md" }?.mode == .symlink)
        #expect(try repo.files(at: head, under: "openspec/") == files)
        #expect(try repo.files(at: head, under: "nothing-here").isEmpty)
        #expect(try repo.files(at: head, under: "openspec/project.md").map(\.path) == ["openspec/project.md"])
    }

    @Test("diff between commits matches git diff --name-status --no-renames; a move is a delete plus an add")
    func diffBetweenCommits() throws {
        let temp = try makeSpecRepo()
        let first = try revParse(temp, "HEAD")
        try temp.write("openspec/changes/add-login/tasks.md", "- [x] one\n- [ ] two\n")
        try temp.write("openspec/changes/add-signup/proposal.md", "# Add signup\n")
        try temp.remove("openspec/specs/auth/spec.md")
        try temp.write("src/main.txt", "outside the prefix\n")
        try temp.git("add", "-A")
        try FileManager.default.createDirectory(
            atPath: temp.path + "/openspec/changes/archive/2024-01-01-add-login", withIntermediateDirectories: true)
        try temp.git(
            "mv", "openspec/changes/add-login/proposal.md",
            "openspec/changes/archive/2024-01-01-add-login/proposal.md")
        try temp.git("commit", "-q", "-m", "many")
        let second = try revParse(temp, "HEAD")
        let repo = try Repository(path: temp.path)

        let changes = try repo.diff(from: first, to: second, under: "openspec")
        let expected = [
            "D\topenspec/changes/add-login/proposal.md",
            "M\topenspec/changes/add-login/tasks.md",
            "A\topenspec/changes/add-signup/proposal.md",
            "A\topenspec/changes/archive/2024-01-01-add-login/proposal.md",
            "D\topenspec/specs/auth/spec.md",
        ]
        #expect(nameStatus(changes) == expected)
        #expect(
            lines(try temp.git("diff", "--name-status", "--no-renames", first.hex, second.hex, "--", "openspec"))
                == expected)

        let modified = try #require(changes.first { $0.kind == .modified })
        #expect(modified.oldID == (try revParse(temp, "\(first.hex):openspec/changes/add-login/tasks.md")))
        #expect(modified.newID == (try revParse(temp, "\(second.hex):openspec/changes/add-login/tasks.md")))
        #expect(modified.oldPath == modified.newPath)
        let deleted = try #require(changes.first { $0.path == "openspec/specs/auth/spec.md" })
        #expect(deleted.newPath == nil && deleted.newID == nil)
        #expect(deleted.oldID == Repository.hashBlob(Array("# Auth\n".utf8)))

        // Backwards is the mirror image.
        #expect(
            nameStatus(try repo.diff(from: second, to: first, under: "openspec"))
                == lines(try temp.git("diff", "--name-status", "--no-renames", second.hex, first.hex, "--", "openspec")))
        #expect(try repo.diff(from: first, to: first, under: "openspec").isEmpty)
        #expect(try repo.diff(from: first, to: second, under: "src").map(\.path) == ["src/main.txt"])
        #expect(try repo.diff(from: first, to: second, under: "absent").isEmpty)
    }

    @Test("diff from nil adds every file; diff to nil deletes every file")
    func diffFromEmptyTree() throws {
        let temp = try makeSpecRepo()
        let head = try revParse(temp, "HEAD")
        let repo = try Repository(path: temp.path)

        let added = try repo.diff(from: nil, to: head, under: "openspec")
        #expect(
            nameStatus(added) == [
                "A\topenspec/changes/add-login/proposal.md",
                "A\topenspec/changes/add-login/tasks.md",
                "A\topenspec/project.md",
                "A\topenspec/specs/auth/spec.md",
            ])
        #expect(added.map(\.newID) == (try repo.files(at: head, under: "openspec")).map(\.id))
        #expect(try repo.diff(from: head, to: nil, under: "openspec").allSatisfy { $0.kind == .deleted })
        #expect(try repo.diff(from: head, to: nil, under: "openspec").count == 4)
        #expect(try repo.diff(from: nil, to: nil, under: "openspec").isEmpty)
    }

    @Test("mode changes, file-to-symlink and file-to-folder changes match git")
    func diffTypeChanges() throws {
        let temp = try makeSpecRepo()
        let first = try revParse(temp, "HEAD")
        try temp.remove("openspec/project.md")
        try FileManager.default.createSymbolicLink(
            atPath: temp.path + "/openspec/project.md", withDestinationPath: "specs/auth/spec.md")
        try FileManager.default.setAttributes(
            [.posixPermissions: 0o755], ofItemAtPath: temp.path + "/openspec/changes/add-login/tasks.md")
        try temp.remove("openspec/specs/auth/spec.md")
        try temp.write("openspec/specs/auth/spec.md/nested.md", "a folder now\n")
        try temp.git("add", "-A")
        try temp.git("commit", "-q", "-m", "types")
        let second = try revParse(temp, "HEAD")
        let repo = try Repository(path: temp.path)

        let changes = try repo.diff(from: first, to: second, under: "openspec")
        #expect(
            nameStatus(changes) == [
                "M\topenspec/changes/add-login/tasks.md",
                "T\topenspec/project.md",
                "D\topenspec/specs/auth/spec.md",
                "A\topenspec/specs/auth/spec.md/nested.md",
            ])
        #expect(
            Set(nameStatus(changes))
                == Set(lines(try temp.git("diff", "--name-status", "--no-renames", first.hex, second.hex, "--", "openspec"))))
    }

    @Test("log(touching:) lists the commits whose first-parent diff touches the prefix, newest first")
    func logTouching() throws {
        let temp = try makeSpecRepo()  // "initial"
        try temp.write("src/main.txt", "v2\n")
        try temp.commitAll("edit src", atSecond: 10)
        try temp.write("openspec/project.md", "v2\n")
        try temp.commitAll("edit project", atSecond: 20)
        try temp.git("checkout", "-q", "-b", "side")
        try temp.write("openspec/changes/add-login/tasks.md", "- [x] one\n- [x] two\n")
        try temp.commitAll("side edits tasks", atSecond: 30)
        try temp.git("checkout", "-q", "main")
        try temp.write("README.md", "v2\n")
        try temp.commitAll("edit readme", atSecond: 40)
        let date = "@\(1_700_000_050) +0000"
        try temp.git(
            "merge", "-q", "--no-ff", "-m", "merge side", "side",
            environment: ["GIT_COMMITTER_DATE": date, "GIT_AUTHOR_DATE": date])
        let repo = try Repository(path: temp.path)

        let log = try repo.log(touching: ["openspec"], limit: 10)
        #expect(log.map(\.summary) == ["merge side", "side edits tasks", "edit project", "initial"])
        #expect(log.first?.id == (try revParse(temp, "HEAD")))
        #expect(log.first?.parents.count == 2)
        #expect(try repo.log(touching: ["openspec"], limit: 2).map(\.summary) == ["merge side", "side edits tasks"])
        #expect(try repo.log(touching: ["src"], limit: 10).map(\.summary) == ["edit src", "initial"])
        #expect(try repo.log(touching: ["openspec/project.md"], limit: 10).map(\.summary) == ["edit project", "initial"])
        #expect(try repo.log(touching: ["README.md", "src/"], limit: 10).map(\.summary)
            == ["edit readme", "edit src", "initial"])
        #expect(try repo.log(touching: ["nothing"], limit: 10).isEmpty)
        #expect(try repo.log(touching: ["openspec"], limit: 0).isEmpty)
    }

    @Test("log(touching:) in a shallow clone lists the fetched commits, in the full clone's order, and stops at the boundary")
    func logInShallowClone() throws {
        let temp = try makeSpecRepo()  // "initial"
        try temp.write("openspec/project.md", "v2\n")
        try temp.commitAll("edit project", atSecond: 10)
        try temp.write("openspec/project.md", "v3\n")
        try temp.commitAll("edit project again", atSecond: 20)
        try temp.git("checkout", "-q", "-b", "side")
        try temp.write("openspec/changes/add-login/tasks.md", "- [x] one\n- [x] two\n")
        try temp.commitAll("side edits tasks", atSecond: 30)
        try temp.write("openspec/changes/add-login/tasks.md", "- [x] one\n- [x] two\n- [ ] three\n")
        try temp.commitAll("side edits tasks again", atSecond: 35)
        try temp.git("checkout", "-q", "main")
        try temp.write("openspec/specs/auth/spec.md", "# Auth v2\n")
        try temp.commitAll("edit spec", atSecond: 40)
        try temp.write("src/main.txt", "v2\n")
        try temp.commitAll("edit src", atSecond: 45)
        let date = "@\(1_700_000_050) +0000"
        try temp.git(
            "merge", "-q", "--no-ff", "-m", "merge side", "side",
            environment: ["GIT_COMMITTER_DATE": date, "GIT_AUTHOR_DATE": date])

        let folder = try makeTemporaryDirectory(prefix: "shallow")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try temp.git("clone", "-q", "--depth", "3", "file://" + temp.path, folder + "/clone")
        let shallow = try Repository(path: folder + "/clone")
        let full = try Repository(path: temp.path)
        #expect(shallow.isShallow)
        #expect(!full.isShallow)

        // Depth 3 from the merge: the merge, then "edit src", "side edits tasks again" and their parents.
        let fetched = try shallow.log(touching: [""], limit: 100).map(\.summary)
        #expect(fetched == ["merge side", "edit src", "edit spec", "side edits tasks again", "side edits tasks"])
        #expect(try full.log(touching: [""], limit: 5).map(\.summary) == fetched)
        // At the boundary, a commit counts as adding what it has: "edit spec" shows under openspec/project.md.
        #expect(try shallow.log(touching: ["openspec"], limit: 100).map(\.summary)
            == ["merge side", "edit spec", "side edits tasks again", "side edits tasks"])
        #expect(try shallow.log(touching: ["openspec/project.md"], limit: 100).map(\.summary) == ["edit spec", "side edits tasks"])
        #expect(try shallow.log(touching: ["openspec"], limit: 2).map(\.summary) == ["merge side", "edit spec"])
    }
}
