/// Failures of the sync layer, worded so the user knows what to do next.
public enum SyncError: Error, CustomStringConvertible, Sendable {
    case notARepository(path: String, reason: String)
    case noOpenSpecFolder(repo: String, folder: String)
    case notRegistered(repo: String)
    case unknownProject(String)
    case unknownSpec(String)
    case ambiguousSpec(String, candidates: [String])
    case git(String)
    /// A run with a work limit found more to do (a hook then goes to the background).
    case tooMuchWork(String)

    public var description: String {
        switch self {
        case let .notARepository(path, reason):
            return "\(path) is not inside a git repository (\(reason)); pass --repo PATH or run `git init` first"
        case let .noOpenSpecFolder(repo, folder):
            return "\(repo) has no \(folder)/ folder; create it with `openspec init`, or pass --openspec-dir DIR"
        case let .notRegistered(repo):
            return "\(repo) is not registered; run `openspec-sync init --repo \(repo)` first"
        case let .unknownProject(name):
            return "no project named \"\(name)\"; `openspec-sync status` lists the registered projects"
        case let .unknownSpec(key):
            return "no change \"\(key)\"; `openspec-sync list --all` shows every change id and path"
        case let .ambiguousSpec(key, candidates):
            return "\"\(key)\" names more than one change; use one of these paths instead:\n  " + candidates.joined(separator: "\n  ")
        case let .git(message):
            return message
        case let .tooMuchWork(what):
            return "more to sync than a hook does in the foreground (\(what))"
        }
    }
}
