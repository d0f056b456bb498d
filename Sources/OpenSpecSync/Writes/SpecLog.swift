import Foundation
import OpenSpecGit
import OpenSpecStore

/// One commit that touched a change's files, for `log SPEC`.
public struct SpecLogEntry: Codable, Sendable, Equatable {
    public var commit: String
    public var summary: String
    public var author: String
    public var time: Date
    /// Made by this tool (a write from the database): its message carries
    /// the `OpenSpec-Sync:` trailer.
    public var syncCommit: Bool
}

/// The commits that touched a change, for `log SPEC` and `specs.log`.
public struct SpecLog: Codable, Sendable, Equatable {
    public var commits: [SpecLogEntry]
    /// The repository is a shallow clone: commits older than its boundary
    /// were not fetched, so the change may have more history than listed.
    public var shallow: Bool
}

extension SyncEngine {
    /// The commits reachable from HEAD that touched the change's folder,
    /// newest first. An archived change's history includes the commits from
    /// before it was archived, when it lived at `changes/<id>`.
    public func log(spec: SpecSummary, limit: Int = 50) throws -> SpecLog {
        guard let project = try store.project(id: spec.projectId) else { throw SyncError.unknownProject(spec.projectId) }
        let repo: Repository
        do { repo = try Repository(path: project.repoPath) } catch {
            throw SyncError.openingRepository(path: project.repoPath, error)
        }
        var folders = [project.openspecPath + "/" + spec.path]
        if spec.status == .archived { folders.append(project.openspecPath + "/changes/" + spec.changeId) }
        let commits = try repo.log(touching: folders, limit: limit).map { commit in
            SpecLogEntry(commit: commit.id.hex, summary: commit.summary, author: commit.authorName, time: commit.time,
                         syncCommit: commit.message.contains("\nOpenSpec-Sync: "))
        }
        return SpecLog(commits: commits, shallow: repo.isShallow)
    }
}
