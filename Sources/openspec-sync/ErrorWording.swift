import OpenSpecSync

/// What the command line says about a library error: the message, a hint
/// (what to do next) and the exit code documented in docs/cli.md.
struct CLIErrorWording: Equatable {
    /// Exit codes for errors (docs/cli.md, "Exit codes").
    enum Exit: Int32 {
        case failure = 1
        case notFound = 4
        case badArguments = 64
    }

    var message: String
    var hint: String?
    var exit: Exit

    /// The line printed after `openspec-sync: error: `.
    var text: String { hint.map { "\(message); \($0)" } ?? message }
}

extension CLIErrorWording {
    /// The table: one row per error, no default, so a new error cannot reach the user without words.
    init(_ error: SyncError) {
        switch error {
        case let .notARepository(path, cause):
            self.init(message: "\(path) is not inside a git repository" + (cause.map { " (\($0))" } ?? ""),
                      hint: "pass --repo PATH or run `git init` first", exit: .failure)
        case let .noOpenSpecFolder(repo, folder):
            self.init(message: "\(repo) has no \(folder)/ folder",
                      hint: "create it with `openspec init`, or pass --openspec-dir DIR", exit: .failure)
        case let .notRegistered(repo):
            self.init(message: "\(repo) is not registered", hint: "run `openspec-sync init --repo \(repo)` first", exit: .notFound)
        case let .unknownProject(name):
            self.init(message: "no project named \"\(name)\"", hint: "`openspec-sync status` lists the registered projects",
                      exit: .notFound)
        case let .unknownSpec(key):
            self.init(message: "no change \"\(key)\"", hint: "`openspec-sync list --all` shows every change id and path",
                      exit: .notFound)
        case let .ambiguousSpec(key, candidates):
            self.init(message: "\"\(key)\" names more than one change",
                      hint: "use one of these paths instead:\n  " + candidates.map(\.description).joined(separator: "\n  "),
                      exit: .notFound)
        case let .invalidWritePath(path, reason):
            self.init(message: "cannot write \"\(path)\": \(reason)",
                      hint: "give a path relative to the change folder, such as tasks.md or specs/auth/spec.md", exit: .badArguments)
        case let .symlinkInPath(path):
            self.init(message: "cannot write \(path): a component of the path is a symbolic link, and writes never follow links",
                      hint: "replace the link with a real folder or file", exit: .failure)
        case let .unknownTask(spec, task, files):
            self.init(message: "change \(spec) has no task \"\(task)\" in \(files.isEmpty ? "tasks.md" : files.joined(separator: ", "))",
                      hint: "`openspec-sync show \(spec)` lists its tasks (use the written number such as 1.2, or #N for the Nth checkbox)",
                      exit: .notFound)
        case let .contentTooLarge(path, size, limit):
            self.init(message: "cannot write \(path): \(size) bytes is over the \(limit)-byte size cap",
                      hint: "raise OPENSPEC_SYNC_MAX_FILE_BYTES or write a smaller file", exit: .failure)
        case let .unknownConflict(id, change):
            self.init(message: "no open conflict" + (id.map { " #\($0)" } ?? "") + (change.map { " on \($0)" } ?? ""),
                      hint: "`openspec-sync conflicts` lists them", exit: .notFound)
        case let .severalConflicts(change, ids):
            self.init(message: "\(change) has \(ids.count) open conflicts (\(ids.map { "#\($0)" }.joined(separator: ", ")))",
                      hint: "name one by its id", exit: .badArguments)
        case let .changeGone(path):
            self.init(message: "the change \(path) no longer exists on disk",
                      hint: "run `openspec-sync reconcile` and edit the change where it is now", exit: .notFound)
        case let .staleVersion(path, expected, current):
            self.init(message: "\(path) changed since it was read (edited against \(SyncError.shortBlob(expected)), now \(SyncError.shortBlob(current)))",
                      hint: "nothing was written: read the change again and re-apply the edit to the current content", exit: .failure)
        case let .tooMuchWork(limit):
            self.init(message: "more to sync than a hook does in the foreground (\(limit))", hint: nil, exit: .failure)
        case let .unknownRevision(revision):
            self.init(message: "\"\(revision)\" names no commit",
                      hint: "give a commit id, a branch, a tag or HEAD~N (`openspec-sync log SPEC` lists the change's commits)",
                      exit: .notFound)
        case let .notAtRevision(change, revision):
            self.init(message: "the change \(change) had no files at \(revision)", hint: "pick a commit from `openspec-sync log \(change)`",
                      exit: .notFound)
        case let .rollbackRefused(refusal):
            self.init(message: "cannot roll back now: \(Self.reason(refusal))", hint: Self.hint(refusal), exit: .failure)
        case let .unsupportedObjectFormat(path):
            self.init(message: "\(path) is a SHA-256 repository (extensions.objectformat = sha256): SHA-256 repositories are not supported by libgit2 1.5, which openspec-sync uses",
                      hint: "keep the OpenSpec folder in a SHA-1 repository (what `git init` makes unless told otherwise)", exit: .failure)
        case let .notOwner(project, role):
            self.init(message: "\(project) is \(role.ownerPhrase); only its owner reconciles it, rolls it back and writes its files",
                      hint: "run this on the owner host; edits made here are written by the owner (`openspec-sync status` shows owners)",
                      exit: .failure)
        }
    }

    private static func reason(_ refusal: RollbackRefusal) -> String {
        switch refusal {
        case .midOperation(let state): "the repository is \(state); finish or abort it first"
        case .indexLocked: ".git/index.lock exists (another git command is running, or one crashed and left it)"
        case .changedDuringRollback(let path): "\(path) changed on disk during the rollback"
        case let .cannotWrite(folder, cause, _): "cannot write in \(folder)" + (cause.map { " (\($0.reason))" } ?? "")
        case let .cannotCommit(cause, _): "cannot commit" + (cause.map { " (\($0))" } ?? "")
        }
    }

    private static func hint(_ refusal: RollbackRefusal) -> String {
        refusal.changedNothing
            ? "nothing was changed, run the rollback again then"
            : "some files could not be put back; `openspec-sync reconcile` records what is on disk"
    }
}

/// The words for any error: the table's for a library error, its own description otherwise.
func errorText(_ error: Error) -> String {
    (error as? SyncError).map { CLIErrorWording($0).text } ?? "\(error)"
}
