import Foundation
import OpenSpecGit
import OpenSpecSyncTestSupport
import Testing

private let syncAuthor = Signature(name: "openspec-sync", email: "sync@openspec.invalid")
private let tasksPath = "openspec/changes/add-login/tasks.md"

/// A repository with `config` and `attributes`, whose tasks file (committed as `text`) is checked out as git writes it.
private func checkedOutRepo(config: [(String, String)], attributes: String?, text: String) throws -> TempRepo {
    let temp = try TempRepo()
    for (key, value) in config { try temp.git("config", key, value) }
    if let attributes { try temp.write(".gitattributes", attributes) }
    try temp.write(tasksPath, text)
    try temp.commitAll("initial")
    // The working file as a checkout writes it (CRLF under autocrlf=true, an expanded $Id$, ...).
    try temp.remove(tasksPath)
    try temp.git("checkout", "--", tasksPath)
    return temp
}

/// Commits `working` (the new working-tree bytes of the tasks file) through `commitFiles`, and checks that the
/// blob is the one `git add` stores for the same file, that only one line changed, and that git sees nothing to do.
/// Returns the committed blob's bytes.
private func commitAndCompareWithGitAdd(_ temp: TempRepo, working: [UInt8],
                                        sourceLocation: SourceLocation = #_sourceLocation) throws -> [UInt8] {
    try temp.write(tasksPath, bytes: working)
    let repo = try Repository(path: temp.path)
    let head = try revParse(temp, "HEAD")
    try repo.commitFiles([FileWrite(path: tasksPath, content: working)],
                         message: "sync", author: syncAuthor, expectedHead: head)

    let committed = try temp.git("rev-parse", "HEAD:" + tasksPath)
    let gitAdd = try temp.git("hash-object", "--path=" + tasksPath, tasksPath)
    #expect(committed == gitAdd, "the committed blob differs from what git add stores", sourceLocation: sourceLocation)
    #expect(try temp.git("diff", "--numstat", "HEAD~1", "HEAD") == "1\t1\t\(tasksPath)", sourceLocation: sourceLocation)
    #expect(try rawGit(temp, "status", "--porcelain") == "", sourceLocation: sourceLocation)
    try temp.git("add", "--renormalize", ".")
    #expect(try rawGit(temp, "status", "--porcelain") == "", "git add --renormalize changed the index",
            sourceLocation: sourceLocation)
    return Array(try rawGit(temp, "cat-file", "blob", "HEAD:" + tasksPath).utf8)
}

private let tasks = "## 1. Work\n- [ ] 1.1 Form\n- [ ] 1.2 Session\n- [ ] 1.3 Logout\n"

/// Ticks task 1.2 in `text`, keeping its line endings.
private func tick(_ text: String) -> String {
    text.replacingOccurrences(of: "- [ ] 1.2", with: "- [x] 1.2")
}

@Suite("Committing through git's filters")
struct CommitFiltersTests {
    @Test("core.autocrlf=true: a CRLF working file is committed with LF, as git add stores it")
    func autocrlfTrue() throws {
        let temp = try checkedOutRepo(config: [("core.autocrlf", "true")], attributes: nil, text: tasks)
        let working = try temp.readText(tasksPath)
        #expect(working.contains("\r\n"), "the checkout should have CRLF")
        let blob = try commitAndCompareWithGitAdd(temp, working: Array(tick(working).utf8))
        #expect(String(decoding: blob, as: UTF8.self) == tick(tasks))
    }

    @Test("core.autocrlf=input: CRLF written into the working file is stored as LF")
    func autocrlfInput() throws {
        let temp = try checkedOutRepo(config: [("core.autocrlf", "input")], attributes: nil, text: tasks)
        let working = tick(try temp.readText(tasksPath)).replacingOccurrences(of: "\n", with: "\r\n")
        let blob = try commitAndCompareWithGitAdd(temp, working: Array(working.utf8))
        #expect(String(decoding: blob, as: UTF8.self) == tick(tasks))
    }

    @Test("* text=auto eol=crlf: the CRLF checkout is committed with LF")
    func textAutoEolCRLF() throws {
        let temp = try checkedOutRepo(config: [], attributes: "* text=auto eol=crlf\n", text: tasks)
        let working = try temp.readText(tasksPath)
        #expect(working.contains("\r\n"), "the checkout should have CRLF")
        let blob = try commitAndCompareWithGitAdd(temp, working: Array(tick(working).utf8))
        #expect(String(decoding: blob, as: UTF8.self) == tick(tasks))
    }

    @Test("*.md -text under core.autocrlf=true: the bytes are committed as they are, CRLF included")
    func binaryAttributeKeepsBytes() throws {
        let crlf = tasks.replacingOccurrences(of: "\n", with: "\r\n")
        let temp = try checkedOutRepo(config: [("core.autocrlf", "true")], attributes: "*.md -text\n", text: crlf)
        let blob = try commitAndCompareWithGitAdd(temp, working: Array(tick(try temp.readText(tasksPath)).utf8))
        #expect(String(decoding: blob, as: UTF8.self) == tick(crlf))
    }

    @Test("ident: the expanded $Id$ of the working file is committed collapsed")
    func ident() throws {
        let temp = try checkedOutRepo(config: [], attributes: "*.md ident\n", text: "$Id$\n" + tasks)
        let working = try temp.readText(tasksPath)
        #expect(working.hasPrefix("$Id: "), "the checkout should expand $Id$")
        let blob = try commitAndCompareWithGitAdd(temp, working: Array(tick(working).utf8))
        #expect(String(decoding: blob, as: UTF8.self) == "$Id$\n" + tick(tasks))
    }

    @Test("a path under filter=lfs or a custom filter driver is refused with isUnsupportedFilter, never committed raw")
    func filterDriverRefused() throws {
        for (driver, config) in [("lfs", [(String, String)]()), ("upper", [("filter.upper.clean", "tr a-z A-Z")])] {
            let temp = try checkedOutRepo(config: config, attributes: "*.md filter=\(driver)\n", text: tasks)
            let head = try revParse(temp, "HEAD")
            let working = tick(try temp.readText(tasksPath))
            try temp.write(tasksPath, working)

            let repo = try Repository(path: temp.path)
            let error = try #require(throws: GitError.self) {
                try repo.commitFiles([FileWrite(path: tasksPath, content: Array(working.utf8))],
                                     message: "sync", author: syncAuthor, expectedHead: head)
            }
            #expect(error.isUnsupportedFilter, "\(error)")
            #expect(!error.isLocked && !error.isModified && !error.isMidOperation)
            #expect(error.message.contains(tasksPath) && error.message.contains("'\(driver)'"), "\(error.message)")
            #expect(error.message.contains("commit it with git"), "\(error.message)")
            #expect(try revParse(temp, "HEAD") == head)
            #expect(throws: GitError.self) { try repo.requireRunnableFilters(path: tasksPath) }
            try repo.requireRunnableFilters(path: "openspec/project.txt")
        }
    }
}
