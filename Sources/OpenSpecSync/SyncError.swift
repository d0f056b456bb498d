import OpenSpecGit

/// Failures of the sync layer, worded so the user knows what to do next.
public enum SyncError: Error, CustomStringConvertible, Sendable {
    case notARepository(path: String, reason: String)
    case noOpenSpecFolder(repo: String, folder: String)
    case notRegistered(repo: String)
    case unknownProject(String)
    case unknownSpec(String)
    case ambiguousSpec(String, candidates: [String])
    case git(String)
    /// A file path for a write that is not a plain path inside the change folder.
    case invalidWritePath(String, reason: String)
    /// A write whose path goes through a symbolic link: writes never follow links.
    case symlinkInPath(String)
    case unknownTask(spec: String, task: String, files: [String])
    /// An edit larger than the file size cap, which the reconciler would not read back.
    case contentTooLarge(path: String, size: Int, limit: Int)
    case unknownConflict(String)
    /// A change with more than one open conflict, resolved without saying which.
    case severalConflicts(change: String, ids: [Int64])
    /// The change cannot take writes (removed, or its folder is gone).
    case changeGone(String)
    /// An edit made against a version of the file that is no longer the one synced.
    case staleVersion(path: String, expected: String?, current: String?)
    /// A run with a work limit found more to do (a hook then goes to the background).
    case tooMuchWork(String)
    /// A revision (`--to REV`) that names no commit.
    case unknownRevision(String)
    /// A rollback target at which the change had no files.
    case notAtRevision(change: String, revision: String)
    /// A rollback that cannot run now (mid-merge, `index.lock`, HEAD moved); nothing was changed.
    case rollbackRefused(String)
    /// A repository with SHA-256 object ids, which libgit2 1.5 cannot open.
    case unsupportedObjectFormat(path: String)

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
        case let .invalidWritePath(path, reason):
            return "cannot write \"\(path)\": \(reason); give a path relative to the change folder, such as tasks.md or specs/auth/spec.md"
        case let .symlinkInPath(path):
            return "cannot write \(path): a component of the path is a symbolic link, and writes never follow links; replace the link with a real folder or file"
        case let .unknownTask(spec, task, files):
            return "change \(spec) has no task \"\(task)\" in \(files.isEmpty ? "tasks.md" : files.joined(separator: ", ")); `openspec-sync show \(spec)` lists its tasks (use the written number such as 1.2, or #N for the Nth checkbox)"
        case let .contentTooLarge(path, size, limit):
            return "cannot write \(path): \(size) bytes is over the \(limit)-byte size cap; raise OPENSPEC_SYNC_MAX_FILE_BYTES or write a smaller file"
        case let .unknownConflict(what):
            return "no open conflict \(what); `openspec-sync conflicts` lists them"
        case let .severalConflicts(change, ids):
            return "\(change) has \(ids.count) open conflicts (\(ids.map { "#\($0)" }.joined(separator: ", "))); name one by its id"
        case let .changeGone(path):
            return "the change \(path) no longer exists on disk; run `openspec-sync reconcile` and edit the change where it is now"
        case let .staleVersion(path, expected, current):
            func name(_ blob: String?) -> String { blob.map { String($0.prefix(12)) } ?? "no file" }
            return "\(path) changed since it was read (edited against \(name(expected)), now \(name(current))); nothing was written: read the change again and re-apply the edit to the current content"
        case let .tooMuchWork(what):
            return "more to sync than a hook does in the foreground (\(what))"
        case let .unknownRevision(revision):
            return "\"\(revision)\" names no commit; give a commit id, a branch, a tag or HEAD~N (`openspec-sync log SPEC` lists the change's commits)"
        case let .notAtRevision(change, revision):
            return "the change \(change) had no files at \(revision); pick a commit from `openspec-sync log \(change)`"
        case let .rollbackRefused(reason):
            return "cannot roll back now: \(reason); nothing was changed, run the rollback again then"
        case let .unsupportedObjectFormat(path):
            return "\(path) is a SHA-256 repository (extensions.objectformat = sha256): SHA-256 repositories are not supported by libgit2 1.5, which openspec-sync uses; keep the OpenSpec folder in a SHA-1 repository (what `git init` makes unless told otherwise)"
        }
    }
}

extension SyncError {
    /// The error for a repository at `path` that could not be opened.
    static func openingRepository(path: String, _ error: Error) -> SyncError {
        if let error = error as? GitError, error.isUnsupportedObjectFormat { return .unsupportedObjectFormat(path: path) }
        return .notARepository(path: path, reason: "\(error)")
    }
}
