/// Why an edit was given up and kept as a conflict instead of written: a
/// fact, put into words in one place (`description`), which the conflict's
/// `reason` and the history row store.
enum ConflictReason: CustomStringConvertible {
    /// The change folder was removed on disk while the edit waited.
    case changeRemoved
    /// The path can never be written: a symbolic link or a non-folder on the way.
    case refusedPath(any Error)
    /// The change folder (relative to the repository) no longer exists.
    case changeFolderGone(folder: String)
    /// A folder on the way to `path` is a submodule (or a file) in HEAD.
    case blockedInHead(at: String, isSubmodule: Bool, path: String)
    /// A filter driver libgit2 cannot run (Git LFS, a custom clean filter) covers the file.
    case unsupportedFilter(message: String)
    /// The user has staged changes to the file, which a commit of it would replace.
    case stagedChanges(path: String)
    /// The edit cannot apply to the file at `path` as it is now.
    case cannotApply(path: String, EditConflict)
    /// The file changed between the check and the swap.
    case changedWhileWriting(path: String)
    /// The bound of failed attempts was reached; `last` says why the last one failed.
    case givenUp(attempts: Int, last: WriteDelay)

    var description: String {
        switch self {
        case .changeRemoved:
            return "the change was removed on disk"
        case let .refusedPath(error):
            return "\(error)"
        case let .changeFolderGone(folder):
            return "the change folder \(folder) is gone"
        case let .blockedInHead(at, isSubmodule, path):
            return "\(at) is \(isSubmodule ? "a git submodule" : "not a folder") in HEAD, so \(path) can never be committed"
        case let .unsupportedFilter(message):
            return message
        case let .stagedChanges(path):
            return "\(path) has staged changes (`git diff --cached`), which the write would replace; commit or unstage them, then re-apply the edit"
        case let .cannotApply(path, conflict):
            return "\(path): \(conflict)"
        case let .changedWhileWriting(path):
            return "\(path) changed on disk while it was being written"
        case let .givenUp(attempts, last):
            return "given up after \(attempts) failed attempts; the last: \(last.cause)"
        }
    }
}
