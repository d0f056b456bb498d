import Foundation
import OpenSpecGit
import OpenSpecSyncTestSupport
import Testing

/// A repository with a small OpenSpec tree and some files outside it, in one commit.
func makeSpecRepo() throws -> TempRepo {
    let repo = try TempRepo()
    try repo.write("openspec/project.md", "# Project\n")
    try repo.write("openspec/changes/add-login/proposal.md", "# Add login\n")
    try repo.write("openspec/changes/add-login/tasks.md", "- [ ] one\n- [ ] two\n")
    try repo.write("openspec/specs/auth/spec.md", "# Auth\n")
    try repo.write("src/main.txt", "main\n")
    try repo.write("README.md", "readme\n")
    try repo.commitAll("initial")
    return repo
}

/// Writes a file the way the sync writer does: a temporary file in the same folder, then a rename.
func writeAtomically(_ repo: TempRepo, _ path: String, _ text: String) throws {
    let target = repo.url(path)
    try FileManager.default.createDirectory(
        at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
    let temporary = target.deletingLastPathComponent().appendingPathComponent(".\(target.lastPathComponent).tmp")
    try Data(text.utf8).write(to: temporary)
    guard rename(temporary.path, target.path) == 0 else { throw CocoaError(.fileWriteUnknown) }
}

/// `git rev-parse <revision>` as an ObjectID.
func revParse(_ repo: TempRepo, _ revision: String) throws -> ObjectID {
    let hex = try repo.git("rev-parse", revision)
    guard let id = ObjectID(hex: hex) else { throw HelperError("git rev-parse \(revision) printed '\(hex)'") }
    return id
}

struct HelperError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// One line per change in `git diff --name-status` form ("M\tpath").
func nameStatus(_ changes: [PathChange]) -> [String] {
    changes.map { change in
        let letter: String =
            switch change.kind {
            case .added: "A"
            case .deleted: "D"
            case .modified: "M"
            case .renamed: "R"
            case .typeChanged: "T"
            case .untracked: "?"
            case .conflicted: "U"
            }
        return "\(letter)\t\(change.path)"
    }
}

/// Raw stdout of a git command, untrimmed, for byte-for-byte comparisons.
func rawGit(_ repo: TempRepo, _ arguments: String...) throws -> String {
    let result = try repo.gitResult(arguments)
    guard result.status == 0 else {
        throw HelperError("git \(arguments.joined(separator: " ")) exited \(result.status): \(result.stderr)")
    }
    return result.stdout
}

/// Makes a merge with a conflict on openspec/changes/add-login/tasks.md and leaves it unresolved.
func makeConflictedMerge(_ repo: TempRepo) throws {
    try repo.git("checkout", "-q", "-b", "other")
    try repo.write("openspec/changes/add-login/tasks.md", "- [x] one\n- [ ] two\n")
    try repo.commitAll("other edits tasks")
    try repo.git("checkout", "-q", "main")
    try repo.write("openspec/changes/add-login/tasks.md", "- [ ] one\n- [x] two\n")
    try repo.commitAll("main edits tasks")
    let merge = try repo.gitResult(["merge", "-q", "other"])
    #expect(merge.status != 0, "the merge was meant to conflict")
}
