import OpenSpecGit

/// Failures of the sync layer, as facts: which change, which path (relative
/// to the repository or the change folder unless it names the repository
/// itself), which git state or libgit2 failure. The words a person reads are
/// made where the error leaves the program: the command line's table of
/// messages and the API's error mapper. `description` is for logs.
public enum SyncError: Error, CustomStringConvertible, Sendable {
    /// `path` (absolute, as given or as the project records it) is in no
    /// git repository that opens; `cause` is libgit2's refusal, when there was one.
    case notARepository(path: String, cause: GitError?)
    /// The repository at `repo` (absolute) has no OpenSpec folder `folder`
    /// (relative to it; empty or unusable when the name itself was refused).
    case noOpenSpecFolder(repo: String, folder: String)
    /// The repository at `repo` (absolute) is not registered.
    case notRegistered(repo: String)
    case unknownProject(String)
    case unknownSpec(String)
    case ambiguousSpec(String, candidates: [SpecCandidate])
    /// A write's file path that is not a plain path inside the change folder.
    case invalidWritePath(String, reason: InvalidPathReason)
    /// A write whose path (relative to the repository) goes through a symbolic link: writes never follow links.
    case symlinkInPath(String)
    /// No task `task` in the change's task files (relative to the change folder).
    case unknownTask(spec: String, task: String, files: [String])
    /// An edit larger than the file size cap, which the reconciler would not read back.
    case contentTooLarge(path: String, size: Int, limit: Int)
    /// No open conflict `id` (or none at all when nil) on the change, when known.
    case unknownConflict(id: Int64?, change: String?)
    /// A change with more than one open conflict, resolved without saying which.
    case severalConflicts(change: String, ids: [Int64])
    /// The change (its path in the OpenSpec folder) cannot take writes: removed, or its folder is gone.
    case changeGone(String)
    /// An edit made against a version of the file that is no longer the one synced.
    case staleVersion(path: String, expected: String?, current: String?)
    /// A run with a work limit found more to do (a hook then goes to the background).
    case tooMuchWork(WorkOverLimit)
    /// A revision (`--to REV`) that names no commit.
    case unknownRevision(String)
    /// A rollback target at which the change had no files.
    case notAtRevision(change: String, revision: String)
    /// A rollback that did not happen; nothing was changed.
    case rollbackRefused(RollbackRefusal)
    /// A repository (absolute path) with SHA-256 object ids, which libgit2 1.5 cannot open.
    case unsupportedObjectFormat(path: String)
    /// Work only a project's owner does, asked of another host.
    case notOwner(project: String, role: ProjectRole)

    public var description: String {
        switch self {
        case let .notARepository(path, cause):
            return "\(path) is not in a git repository" + (cause.map { " (\($0))" } ?? "")
        case let .noOpenSpecFolder(repo, folder):
            return "\(repo) has no OpenSpec folder \"\(folder)\""
        case let .notRegistered(repo):
            return "\(repo) is not registered"
        case let .unknownProject(name):
            return "no project \"\(name)\""
        case let .unknownSpec(key):
            return "no change \"\(key)\""
        case let .ambiguousSpec(key, candidates):
            return "\"\(key)\" names \(candidates.count) changes: " + candidates.map(\.description).joined(separator: ", ")
        case let .invalidWritePath(path, reason):
            return "invalid write path \"\(path)\": \(reason)"
        case let .symlinkInPath(path):
            return "\(path) goes through a symbolic link"
        case let .unknownTask(spec, task, files):
            return "change \(spec) has no task \"\(task)\" in \(files.isEmpty ? "tasks.md" : files.joined(separator: ", "))"
        case let .contentTooLarge(path, size, limit):
            return "\(path): \(size) bytes is over the \(limit)-byte size cap"
        case let .unknownConflict(id, change):
            return "no open conflict" + (id.map { " #\($0)" } ?? "") + (change.map { " on \($0)" } ?? "")
        case let .severalConflicts(change, ids):
            return "\(change) has open conflicts \(ids.map { "#\($0)" }.joined(separator: ", "))"
        case let .changeGone(path):
            return "the change \(path) no longer exists on disk"
        case let .staleVersion(path, expected, current):
            return "\(path) changed since it was read (edited against \(Self.shortBlob(expected)), now \(Self.shortBlob(current)))"
        case let .tooMuchWork(limit):
            return "over the work limit: \(limit)"
        case let .unknownRevision(revision):
            return "\"\(revision)\" names no commit"
        case let .notAtRevision(change, revision):
            return "the change \(change) had no files at \(revision)"
        case let .rollbackRefused(refusal):
            return "cannot roll back: \(refusal)" + (refusal.changedNothing ? "; nothing was changed" : "")
        case let .unsupportedObjectFormat(path):
            return "\(path) is a SHA-256 repository, which libgit2 1.5 cannot open"
        case let .notOwner(project, role):
            return "\(project) is \(role.ownerPhrase); only its owner reconciles it and writes to its files"
        }
    }

    /// A blob id as messages show it: its first 12 digits, or "no file".
    public static func shortBlob(_ blob: String?) -> String { blob.map { String($0.prefix(12)) } ?? "no file" }
}

/// One of the changes an ambiguous key names.
public struct SpecCandidate: Sendable, Equatable, CustomStringConvertible {
    /// The project's name (its id when it has none).
    public var project: String
    /// The change's path in the OpenSpec folder (`changes/x`, `changes/archive/…`).
    public var path: String
    /// `active`, `archived` or `removed`.
    public var status: String

    public init(project: String, path: String, status: String) {
        self.project = project
        self.path = path
        self.status = status
    }

    /// `project:path (status)`, which names the change unambiguously.
    public var description: String { "\(project):\(path) (\(status))" }
}

/// Why a write's file path was refused.
public enum InvalidPathReason: Sendable, Equatable, CustomStringConvertible {
    case empty, nulByte, backslash, absolute, emptyComponent, leavesChangeFolder, reachesIntoGit, nameTooLong
    /// A component that must be a folder is not one (the path up to it, relative to the repository).
    case notAFolder(String)
    case notARegularFile

    public var description: String {
        switch self {
        case .empty: "the path is empty"
        case .nulByte: "the path contains a NUL byte"
        case .backslash: "the path contains a backslash"
        case .absolute: "the path is absolute"
        case .emptyComponent: "the path has an empty or \".\" component"
        case .leavesChangeFolder: "the path leaves the change folder (\"..\")"
        case .reachesIntoGit: "the path reaches into .git"
        case .nameTooLong: "a name is longer than 255 bytes"
        case .notAFolder(let path): "\(path) is not a folder"
        case .notARegularFile: "it is not a regular file"
        }
    }
}

/// Why a run with a work limit stopped before doing anything.
public enum WorkOverLimit: Sendable, Equatable, CustomStringConvertible {
    /// A full compare is due; `reason` says why, when the reconciler knows.
    case fullCompare(reason: String?)
    /// The new commits changed this many paths.
    case changedPaths(Int)
    /// The project's workflow schemas changed, so every change is read again.
    case schemasChanged

    public var description: String {
        switch self {
        case .fullCompare(let reason): reason ?? "a full compare"
        case .changedPaths(let count): "\(count) paths changed by the new commits"
        case .schemasChanged: "the project's workflow schemas changed: every change is read again"
        }
    }
}

/// Why a rollback did not happen. Paths are relative to the repository.
public enum RollbackRefusal: Sendable, CustomStringConvertible {
    /// The repository is mid-merge, mid-rebase or the like.
    case midOperation(RepositoryState)
    /// `.git/index.lock` exists: another git command is running, or one crashed and left it.
    case indexLocked
    /// A file changed on disk while the rollback was writing.
    case changedDuringRollback(path: String)
    /// Writing into the change folder failed; `restored` says whether every file swapped so far was put back.
    case cannotWrite(folder: String, cause: FileSystemError?, restored: Bool)
    /// The commit failed (`cause` when libgit2 refused it); `restored` as for `cannotWrite`.
    case cannotCommit(cause: GitError?, restored: Bool)

    /// False only when a failed rollback could not put back every file it had swapped in.
    public var changedNothing: Bool {
        switch self {
        case .midOperation, .indexLocked, .changedDuringRollback: true
        case .cannotWrite(_, _, let restored), .cannotCommit(_, let restored): restored
        }
    }

    public var description: String {
        switch self {
        case .midOperation(let state): "the repository is \(state)"
        case .indexLocked: ".git/index.lock exists"
        case .changedDuringRollback(let path): "\(path) changed on disk during the rollback"
        case let .cannotWrite(folder, cause, restored):
            "cannot write in \(folder)" + (cause.map { " (\($0.reason))" } ?? "") + (restored ? "" : "; some files were not put back")
        case let .cannotCommit(cause, restored):
            "cannot commit" + (cause.map { " (\($0.function): \($0.codeName))" } ?? "") + (restored ? "" : "; some files were not put back")
        }
    }
}

extension SyncError {
    /// The error for a repository at `path` that could not be opened.
    static func openingRepository(path: String, _ error: Error) -> SyncError {
        let cause = error as? GitError
        if let cause, cause.isUnsupportedObjectFormat { return .unsupportedObjectFormat(path: path) }
        return .notARepository(path: path, cause: cause)
    }
}
