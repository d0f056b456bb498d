import OpenSpecGit

/// Why a write waits instead of being made now: a fact, put into words in
/// one place. `description` is what the edit's pending outcome, its history
/// row and the change's sync error say; an edit given up after too many
/// failed attempts quotes only `cause` (it no longer waits).
enum WriteDelay: CustomStringConvertible {
    /// A merge, rebase, cherry-pick, ... is under way.
    case repositoryBusy(RepositoryState)
    /// `index.lock` exists: another git command is running, or one crashed.
    case indexLocked
    case cannotOpenRepository(path: String, error: any Error)
    case cannotReadAttributes(path: String, error: any Error)
    case cannotReadIndex(path: String, error: any Error)
    /// The file could not be read, backed up or replaced; `restore` says
    /// what became of the old file when it had already been replaced.
    case cannotWrite(path: String, error: any Error, restore: FileReplacement.Restore?)
    /// The commit failed; the file was put back as `restore` says.
    case cannotCommit(path: String, error: any Error, restore: FileReplacement.Restore?)
    /// Another host took the project over while this one wrote (an owner
    /// stalled past its lease), or this one let it go (nil): the edit waits
    /// for the project's owner.
    case takenOver(owner: String?, commit: String?)

    /// A wait that lasts as long as git's own operation: it never counts
    /// toward `SyncCommit.maxFailedAttempts`.
    var isTransient: Bool {
        switch self {
        case .repositoryBusy, .indexLocked, .takenOver: return true
        default: return false
        }
    }

    /// What failed, and what became of the file.
    var cause: String {
        switch self {
        case let .repositoryBusy(state):
            return "the repository is \(state)"
        case .indexLocked:
            return "commit pending: .git/index.lock exists (another git command is running, or one crashed and left it)"
        case let .cannotOpenRepository(path, error):
            return "cannot open the repository \(path) (\(error))"
        case let .cannotReadAttributes(path, error):
            return "cannot read the attributes of \(path) (\(error))"
        case let .cannotReadIndex(path, error):
            return "cannot read the index for \(path) (\(error))"
        case let .cannotWrite(path, error, restore):
            return "cannot write \(path): \((error as? FileSystemError)?.reason ?? "\(error)")" + (restore?.words ?? "")
        case let .cannotCommit(path, error, restore):
            return "cannot commit \(path) (\(error))" + (restore?.words ?? "")
        case let .takenOver(owner, commit):
            let who = owner.map { "host \($0) took the project over" } ?? "this host let the project go"
            return "\(who) while this host wrote the edit" + (commit.map { " (this host's clone has it as commit \($0.prefix(10)))" } ?? "")
        }
    }

    var description: String {
        switch self {
        case let .repositoryBusy(state):
            return "the repository is \(state); the write waits and retries once it is finished or aborted"
        case let .cannotWrite(path, error, restore):
            return Self.cannotWrite(path: path, error: error, restore: nil).cause + Self.retry + (restore?.words ?? "")
        case let .cannotCommit(path, error, restore):
            return Self.cannotCommit(path: path, error: error, restore: nil).cause + Self.retry + (restore?.words ?? "")
        case let .takenOver(owner, _):
            return cause + "; the edit waits for " + (owner.map { "host \($0)" } ?? "the project's next owner") + " to write it in its own clone"
        default:
            return cause + Self.retry
        }
    }

    private static let retry = "; the write waits and retries"
}
