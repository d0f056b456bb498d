/// Why a run compares everything instead of following git's diff.
enum FullReason: Equatable, Sendable, CustomStringConvertible {
    /// `--full`, or the API's `full` flag.
    case asked
    /// The project was never synced.
    case firstSync
    /// No stamps of the working tree were saved by the last run.
    case noStatCache
    /// The last synced commit no longer exists (a rebase or reset).
    case baseGone(commit: String)
    /// Git could not diff the last synced commit (nil: the empty tree) to HEAD.
    case diffFailed(base: String?, error: String)

    /// The summary's `fullReason`.
    var description: String {
        switch self {
        case .asked: "asked for (--full)"
        case .firstSync: "first sync of this project"
        case .noStatCache: "no record of the working tree from the last run; compared everything"
        case let .baseGone(commit): "the last synced commit \(commit.prefix(12)) is gone (rebase or reset); compared everything"
        case let .diffFailed(base, error):
            "git could not diff \(base.map { String($0.prefix(12)) } ?? "the empty tree") to HEAD (\(error)); compared everything"
        }
    }
}
