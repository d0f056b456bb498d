import OpenSpecGit
import OpenSpecSync
import Testing
@testable import openspec_sync

/// The command line's table of error messages: every library error has a
/// message, a hint and the exit code docs/cli.md gives it.
@Suite("CLI error wording")
struct ErrorWordingTests {
    static let gitFailure = GitError(code: -14, errorClass: 10, message: "index is locked", function: "git_index_write")

    /// One of each error. `exitCode` below switches over them without a
    /// default, so a new error cannot be added without a row here.
    static let samples: [SyncError] = [
        .notARepository(path: "/srv/x", cause: gitFailure),
        .noOpenSpecFolder(repo: "/srv/x", folder: "openspec"),
        .notRegistered(repo: "/srv/x"),
        .unknownProject("demo"),
        .unknownSpec("add-login"),
        .ambiguousSpec("add-login", candidates: [SpecCandidate(project: "demo", path: "changes/add-login", status: "archived")]),
        .invalidWritePath("../x", reason: .leavesChangeFolder),
        .symlinkInPath("openspec/changes/add-login/tasks.md"),
        .unknownTask(spec: "add-login", task: "9.9", files: ["tasks.md"]),
        .contentTooLarge(path: "tasks.md", size: 10, limit: 5),
        .unknownConflict(id: 3, change: "add-login"),
        .severalConflicts(change: "add-login", ids: [1, 2]),
        .changeGone("changes/add-login"),
        .staleVersion(path: "tasks.md", expected: "0123456789abcdef", current: nil),
        .tooMuchWork(.changedPaths(500)),
        .unknownRevision("nope"),
        .notAtRevision(change: "add-login", revision: "abc123"),
        .rollbackRefused(.cannotCommit(cause: gitFailure, restored: false)),
        .unsupportedObjectFormat(path: "/srv/x"),
        .notOwner(project: "app", role: .standby(owner: "host-b", leaseExpiresAt: nil)),
    ]

    /// docs/cli.md, "Exit codes".
    static func exitCode(_ error: SyncError) -> Int32 {
        switch error {
        case .unknownProject, .unknownSpec, .ambiguousSpec, .notRegistered, .unknownTask, .unknownConflict, .changeGone,
             .unknownRevision, .notAtRevision:
            4
        case .invalidWritePath, .severalConflicts:
            64
        case .notARepository, .noOpenSpecFolder, .symlinkInPath, .contentTooLarge, .staleVersion, .tooMuchWork,
             .rollbackRefused, .unsupportedObjectFormat, .notOwner:
            1
        }
    }

    /// The case's name, to check that the samples hold every case once.
    static func name(_ error: SyncError) -> String { Mirror(reflecting: error).children.first?.label ?? "\(error)" }

    @Test("every error has a message, the documented exit code, and a hint unless there is nothing to do")
    func everyCase() {
        #expect(Set(Self.samples.map(Self.name)).count == Self.samples.count, "one sample per case")
        for error in Self.samples {
            let wording = CLIErrorWording(error)
            #expect(!wording.message.isEmpty, "\(error)")
            #expect(wording.exit.rawValue == Self.exitCode(error), "\(error)")
            if case .tooMuchWork = error { continue }
            #expect(wording.hint?.isEmpty == false, "\(error)")
        }
    }

    @Test("the library's own descriptions are facts, without command-line advice")
    func descriptionsAreFacts() {
        for error in Self.samples {
            let text = "\(error)"
            #expect(!text.contains("openspec-sync ") && !text.contains("--repo") && !text.contains("`"), "\(text)")
        }
    }

    @Test("a refused rollback says whether anything changed")
    func rollbackHints() {
        #expect(CLIErrorWording(.rollbackRefused(.indexLocked)).text.contains("nothing was changed"))
        let notRestored = CLIErrorWording(.rollbackRefused(.cannotWrite(folder: "openspec/changes/x", cause: nil, restored: false)))
        #expect(!notRestored.text.contains("nothing was changed") && notRestored.text.contains("openspec-sync reconcile"))
    }
}
