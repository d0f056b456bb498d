import Foundation
import OpenSpecGit
import OpenSpecSyncTestSupport
import Testing

@Suite("Opening repositories, HEAD, commits, blobs")
struct RepositoryTests {
    @Test("an unborn HEAD has no commit but still names its branch")
    func unbornHead() throws {
        let temp = try TempRepo(initialBranch: "trunk")
        let repo = try Repository(path: temp.path)
        #expect(try repo.headCommit() == nil)
        #expect(try repo.headBranch() == "trunk")
        #expect(try repo.log(touching: ["openspec"], limit: 10).isEmpty)
        #expect(try repo.workingTreeChanges(under: "openspec").isEmpty)

        try temp.write("openspec/project.md", "# Staged\n")
        try temp.git("add", "openspec/project.md")
        try temp.write("openspec/changes/x/proposal.md", "# Untracked\n")
        let changes = try repo.workingTreeChanges(under: "openspec")
        #expect(nameStatus(changes) == ["?\topenspec/changes/x/proposal.md", "A\topenspec/project.md"])
        #expect(changes.last?.newID == Repository.hashBlob(Array("# Staged\n".utf8)))
        #expect(try repo.headCommit() == nil)
    }

    @Test("headCommit and headBranch follow git; a detached HEAD has no branch")
    func headAndBranch() throws {
        let temp = try makeSpecRepo()
        let repo = try Repository(path: temp.path)
        #expect(try repo.headCommit() == revParse(temp, "HEAD"))
        #expect(try repo.headBranch() == "main")
        try temp.git("checkout", "-q", "--detach")
        #expect(try repo.headBranch() == nil)
        #expect(try repo.headCommit() == revParse(temp, "HEAD"))
    }

    @Test("workdir and gitDir are absolute without a trailing slash")
    func paths() throws {
        let temp = try makeSpecRepo()
        let repo = try Repository(path: temp.path + "/")
        let root = try #require(realpath(temp.path, nil).map { pointer in
            defer { free(pointer) }
            return String(cString: pointer)
        })
        #expect(repo.workdir == root)
        #expect(repo.gitDir == root + "/.git")
    }

    @Test("discoverRoot searches upwards; init(path:) does not")
    func discoverAndOpen() throws {
        let temp = try makeSpecRepo()
        let root = try Repository(path: temp.path).workdir
        #expect(try Repository.discoverRoot(from: temp.path + "/openspec/changes/add-login") == root)
        #expect(try Repository.discoverRoot(from: temp.path) == root)
        #expect(throws: GitError.self) { try Repository(path: temp.path + "/openspec") }
        #expect(throws: GitError.self) { try Repository(path: temp.path + "/.git") }

        let outside = try makeTemporaryDirectory(prefix: "norepo")
        defer { try? FileManager.default.removeItem(atPath: outside) }
        let error = try #require(throws: GitError.self) { try Repository.discoverRoot(from: outside) }
        #expect(error.isNotFound)
        #expect(error.function == "git_repository_discover")
    }

    @Test("a linked worktree opens with its own HEAD and git folder")
    func linkedWorktree() throws {
        let temp = try makeSpecRepo()
        let folder = try makeTemporaryDirectory(prefix: "worktree")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try temp.git("worktree", "add", "-q", "-b", "feature", folder + "/wt")
        let repo = try Repository(path: folder + "/wt")
        #expect(try repo.headBranch() == "feature")
        #expect(repo.gitDir.hasSuffix("/.git/worktrees/wt"))
        let head = try #require(try repo.headCommit())
        #expect(try repo.files(at: head, under: "openspec").count == 4)
        #expect(try Repository.discoverRoot(from: folder + "/wt/openspec") == repo.workdir)
    }

    @Test("a bare repository is refused")
    func bareRepository() throws {
        let folder = try makeTemporaryDirectory(prefix: "bare")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try runProcess("git", ["init", "-q", "--bare", folder], environment: gitTestEnvironment())
        let error = try #require(throws: GitError.self) { try Repository(path: folder) }
        #expect(error.description.contains("bare"))
        #expect(throws: GitError.self) { try Repository.discoverRoot(from: folder) }
    }

    @Test("a SHA-256 repository, and a linked worktree of one, is refused with isUnsupportedObjectFormat")
    func sha256Repository() throws {
        let folder = try makeTemporaryDirectory(prefix: "sha256")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let main = folder + "/main"
        try runProcess("git", ["init", "-q", "--object-format=sha256", main], environment: gitTestEnvironment())
        try Data("text\n".utf8).write(to: URL(fileURLWithPath: main + "/file.txt"))
        try runProcess("git", ["-C", main, "add", "file.txt"], environment: gitTestEnvironment())
        try runProcess("git", ["-C", main, "commit", "-q", "-m", "first"], environment: gitTestEnvironment())
        let worktree = try runProcess("git", ["-C", main, "worktree", "add", "-q", folder + "/wt"],
                                      environment: gitTestEnvironment())
        #expect(worktree.status == 0, "\(worktree.stderr)")

        for path in [main, folder + "/wt"] {
            let opened = try #require(throws: GitError.self) { try Repository(path: path) }
            #expect(opened.isUnsupportedObjectFormat, "\(opened)")
            #expect(opened.message.contains("SHA-256") && opened.message.contains("libgit2 1.5"), "\(opened)")
            let discovered = try #require(throws: GitError.self) { try Repository.discoverRoot(from: path) }
            #expect(discovered.isUnsupportedObjectFormat, "\(discovered)")
        }
        // Other failures keep their own cause.
        let missing = try #require(throws: GitError.self) { try Repository(path: folder) }
        #expect(!missing.isUnsupportedObjectFormat && missing.isNotFound, "\(missing)")
    }

    @Test("resolveCommit understands HEAD~1, a short id and a branch name")
    func resolveRevisions() throws {
        let temp = try makeSpecRepo()
        let first = try revParse(temp, "HEAD")
        try temp.write("openspec/project.md", "# Project v2\n")
        let second = ObjectID(hex: try temp.commitAll("second"))
        try temp.git("branch", "old", first.hex)
        try temp.git("tag", "-a", "v1", "-m", "annotated", first.hex)
        let repo = try Repository(path: temp.path)

        #expect(try repo.resolveCommit("HEAD") == second)
        #expect(try repo.resolveCommit("HEAD~1") == first)
        #expect(try repo.resolveCommit(String(first.hex.prefix(8))) == first)
        #expect(try repo.resolveCommit("old") == first)
        #expect(try repo.resolveCommit("v1") == first)
        let error = try #require(throws: GitError.self) { try repo.resolveCommit("no-such-branch") }
        #expect(error.isNotFound)
        #expect(error.function == "git_revparse_single")
    }

    @Test("commitExists is false for unknown ids and for non-commits")
    func commitExists() throws {
        let temp = try makeSpecRepo()
        let repo = try Repository(path: temp.path)
        #expect(repo.commitExists(try revParse(temp, "HEAD")))
        #expect(!repo.commitExists(try revParse(temp, "HEAD^{tree}")))
        #expect(!repo.commitExists(try #require(ObjectID(hex: String(repeating: "ab", count: 20)))))
    }

    @Test("commit(_:) copies the metadata out")
    func commitInfo() throws {
        let temp = try makeSpecRepo()
        let parent = try revParse(temp, "HEAD")
        try temp.write("openspec/project.md", "changed\n")
        try temp.git("add", "-A")
        try temp.git(
            "commit", "-q", "-m", "Summary line\n\nBody text.",
            environment: ["GIT_COMMITTER_DATE": "2024-03-01T12:00:00Z", "GIT_AUTHOR_DATE": "2024-02-01T12:00:00Z"])
        let repo = try Repository(path: temp.path)
        let info = try repo.commit(try revParse(temp, "HEAD"))
        #expect(info.id == (try revParse(temp, "HEAD")))
        #expect(info.parents == [parent])
        #expect(info.summary == "Summary line")
        #expect(info.message == "Summary line\n\nBody text.\n")
        #expect(info.authorName == "Test Author")
        #expect(info.authorEmail == "author@example.invalid")
        #expect(info.time == Date(timeIntervalSince1970: 1_709_294_400))
        #expect(info.authorTime == Date(timeIntervalSince1970: 1_706_788_800))
    }

    @Test("hashBlob equals git hash-object", arguments: [
        "", "hello\n", "no newline", "ü ñ 日本\r\n", String(repeating: "x", count: 100_000),
    ])
    func hashBlob(text: String) throws {
        let temp = try TempRepo()
        try temp.write("f", text)
        let gitHash = try temp.git("hash-object", "f")
        #expect(Repository.hashBlob(Array(text.utf8)).hex == gitHash)
    }

    @Test("blob and file(at:path:) return committed bytes; absent paths give nil")
    func blobsAndFiles() throws {
        let temp = try makeSpecRepo()
        let bytes: [UInt8] = [0, 1, 2, 255, 10]
        try temp.write("openspec/binary.bin", bytes: bytes)
        let head = ObjectID(hex: try temp.commitAll("binary"))!
        let repo = try Repository(path: temp.path)

        let file = try #require(try repo.file(at: head, path: "openspec/binary.bin"))
        #expect(file.content == bytes)
        #expect(file.mode == .regular)
        #expect(file.id == Repository.hashBlob(bytes))
        #expect(try repo.blob(file.id) == bytes)
        #expect(try repo.file(at: head, path: "openspec/missing.md") == nil)
        #expect(try repo.file(at: head, path: "openspec/changes") == nil)
    }

    @Test("a missing blob fails blob() with isNotFound while trees, files and diffs still work")
    func missingBlob() throws {
        let temp = try makeSpecRepo()
        let first = try revParse(temp, "HEAD")
        try temp.write("openspec/changes/add-login/design.md", "unique design content 42\n")
        let second = try revParse(temp, temp.commitAll("design"))
        let blobID = try revParse(temp, "HEAD:openspec/changes/add-login/design.md")
        try temp.remove(".git/objects/\(blobID.hex.prefix(2))/\(blobID.hex.dropFirst(2))")

        let repo = try Repository(path: temp.path)
        let error = try #require(throws: GitError.self) { try repo.blob(blobID) }
        #expect(error.isNotFound)
        #expect(error.function == "git_blob_lookup")
        #expect(try repo.files(at: second, under: "openspec").contains {
            $0.path == "openspec/changes/add-login/design.md" && $0.id == blobID
        })
        #expect(try repo.diff(from: first, to: second, under: "openspec")
            == [PathChange(kind: .added, oldPath: nil, newPath: "openspec/changes/add-login/design.md", oldID: nil, newID: blobID)])
        #expect(throws: GitError.self) { try repo.file(at: second, path: "openspec/changes/add-login/design.md") }
    }

    @Test("isIgnored follows .gitignore")
    func ignored() throws {
        let temp = try makeSpecRepo()
        try temp.write(".gitignore", "*.bak\nbuild/\n")
        let repo = try Repository(path: temp.path)
        #expect(try repo.isIgnored("openspec/changes/add-login/proposal.md.bak"))
        #expect(try repo.isIgnored("build/out.txt"))
        #expect(try !repo.isIgnored("openspec/changes/add-login/proposal.md"))
    }

    @Test("ObjectID parses, normalises case, rejects junk and encodes as a bare string")
    func objectID() throws {
        let upper = "E69DE29BB2D1D6434B8B29AE775AD8C2E48C5391"
        #expect(ObjectID(hex: upper) == .emptyBlob)
        #expect(ObjectID(hex: upper)?.hex == ObjectID.emptyBlob.hex)
        #expect(ObjectID(hex: "e69de29") == nil)
        #expect(ObjectID(hex: String(repeating: "g", count: 40)) == nil)
        let data = try JSONEncoder().encode([ObjectID.emptyBlob])
        #expect(String(decoding: data, as: UTF8.self) == "[\"e69de29bb2d1d6434b8b29ae775ad8c2e48c5391\"]")
        #expect(try JSONDecoder().decode([ObjectID].self, from: data) == [.emptyBlob])
        #expect(throws: DecodingError.self) { try JSONDecoder().decode([ObjectID].self, from: Data("[\"xyz\"]".utf8)) }
        #expect(Repository.hashBlob([]) == .emptyBlob)
    }

    @Test("libgit2 is the system's shared library, and the library alone leaves its CA loading alone")
    func libgit2IsShared() throws {
        let temp = try makeSpecRepo()
        _ = try Repository(path: temp.path)
        // /proc files report a size of 0: read to the end rather than by size.
        let maps = String(decoding: FileHandle(forReadingAtPath: "/proc/self/maps")?.readDataToEndOfFile() ?? Data(), as: UTF8.self)
        #expect(maps.contains("libgit2.so"), "libgit2 did not come from its shared library")
        // Only an executable linked with `make release SKIP_CA_BUNDLE=1` skips it.
        #expect(caBundleLoadsSkipped() == 0)
    }
}
