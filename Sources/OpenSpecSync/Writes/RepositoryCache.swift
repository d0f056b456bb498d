import Foundation
import OpenSpecGit
import OpenSpecStore

/// One open repository per project for the write path, kept between writes
/// so that a write does not open the repository (and read its config, refs
/// and index) anew. A libgit2 repository is not thread-safe: one is used
/// only under its project's lock, which admits one writer at a time.
final class RepositoryCache: @unchecked Sendable {
    // Guards `open`; the repositories themselves are guarded by the project locks.
    private let lock = NSLock()
    private var open: [String: (path: String, repository: Repository)] = [:]

    /// The project's repository, opened when first needed or when the project's repository path changed.
    func repository(for project: ProjectRecord) throws -> Repository {
        lock.lock()
        if let kept = open[project.id], kept.path == project.repoPath {
            lock.unlock()
            return kept.repository
        }
        lock.unlock()
        let repository = try Repository(path: project.repoPath)
        lock.lock(); defer { lock.unlock() }
        open[project.id] = (project.repoPath, repository)
        return repository
    }

    /// Drops the project's repository, so the next write opens it afresh (after a failed commit).
    func forget(_ project: ProjectRecord) {
        lock.lock(); defer { lock.unlock() }
        open[project.id] = nil
    }
}
