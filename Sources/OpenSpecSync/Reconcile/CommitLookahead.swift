import Foundation
import OpenSpecGit

/// What the commits since the last run changed, read by libgit2 on another
/// core while the reconciling thread loads the stat cache and walks the
/// working tree: after a commit, opening the repository and diffing two
/// trees is a sixth of a run. The caller takes the repository over after
/// `wait()`; until then only the worker touches it.
final class CommitLookahead: @unchecked Sendable {
    private let done = DispatchGroup()
    private(set) var repository: Result<Repository, Error> = .failure(CancellationError())
    /// Whether the base commit still exists; nil when the repository did not open.
    private(set) var baseExists: Bool?
    /// The diff, when the base exists.
    private(set) var changes: Result<[PathChange], Error>?

    init(repoPath: String, base: ObjectID, head: ObjectID?, under prefix: String) {
        done.enter()
        DispatchQueue.global().async { [self] in
            defer { done.leave() }
            repository = Result { try Repository(path: repoPath) }
            guard case let .success(opened) = repository else { return }
            baseExists = opened.commitExists(base)
            if baseExists == true { changes = Result { try opened.diff(from: base, to: head, under: prefix) } }
        }
    }

    func wait() { done.wait() }
}
