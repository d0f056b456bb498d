import Foundation
import OpenSpecFormat
import OpenSpecGit
import OpenSpecStore

/// One file of a change as a commit changed it, line by line.
public struct CommitFileDiff: Codable, Sendable, Equatable {
    public enum Change: String, Codable, Sendable { case added, modified, deleted }
    /// Relative to the change folder.
    public var path: String
    public var change: Change
    public var lines: [LineDiff.Line]
}

/// `specs.diff`: what one commit did to a change's files.
public struct CommitDiff: Codable, Sendable, Equatable {
    public var commit: String
    public var summary: String
    public var files: [CommitFileDiff]
}

extension SyncEngine {
    /// When each change folder of the project first appeared in the history
    /// of HEAD, by its path under the OpenSpec folder (`changes/<id>`,
    /// `changes/archive/<name>`), with the HEAD it was computed for.
    public func changeCreationTimes(project: ProjectRecord) throws -> (head: String?, times: [String: Date]) {
        let repo = try openRepository(project)
        let head = try repo.headCommit()?.hex
        let changes = project.openspecPath + "/changes"
        let times = try repo.additionTimes(in: [changes, changes + "/archive"])
        var byPath: [String: Date] = [:]
        for (path, date) in times { byPath[String(path.dropFirst(project.openspecPath.count + 1))] = date }
        return (head, byPath)
    }

    /// The commit HEAD names now in the project's repository, nil when unborn.
    public func headCommit(project: ProjectRecord) throws -> String? {
        try openRepository(project).headCommit()?.hex
    }

    /// The change's files in `revision` against its first parent (an
    /// archived change's too while it lived at `changes/<id>`), as line diffs.
    public func commitDiff(spec: SpecSummary, revision: String) throws -> CommitDiff {
        guard let project = try store.project(id: spec.projectId) else { throw SyncError.unknownProject(spec.projectId) }
        let repo = try openRepository(project)
        let commitId: ObjectID
        do { commitId = try repo.resolveCommit(revision) } catch { throw SyncError.unknownRevision(revision) }
        let commit = try repo.commit(commitId)
        let parent = commit.parents.first.flatMap { repo.commitExists($0) ? $0 : nil }
        var folders = [project.openspecPath + "/" + spec.path]
        if spec.status == .archived { folders.append(project.openspecPath + "/changes/" + spec.changeId) }
        var files: [CommitFileDiff] = []
        for folder in folders {
            for change in try repo.diff(from: parent, to: commitId, under: folder) {
                let old = try change.oldID.map { String(decoding: try repo.blob($0), as: UTF8.self) } ?? ""
                let new = try change.newID.map { String(decoding: try repo.blob($0), as: UTF8.self) } ?? ""
                let kind: CommitFileDiff.Change = change.oldID == nil ? .added : change.newID == nil ? .deleted : .modified
                files.append(CommitFileDiff(path: String(change.path.dropFirst(folder.count + 1)), change: kind,
                                            lines: LineDiff.lines(from: old, to: new)))
            }
        }
        return CommitDiff(commit: commitId.hex, summary: commit.summary, files: files)
    }

    /// The file a conflict is about, as it is on disk now: nil when it is
    /// missing, not a regular file, larger than the size cap, or not UTF-8.
    public func conflictFileOnDisk(_ conflict: ConflictView, projectId: String) throws -> String? {
        guard let project = try store.project(id: projectId), let specPath = conflict.specPath else { return nil }
        let path = project.repoPath + "/" + project.openspecPath + "/" + specPath + "/" + conflict.path
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
              attributes[.type] as? FileAttributeType == .typeRegular,
              (attributes[.size] as? Int ?? .max) <= maxFileBytes,
              let data = FileManager.default.contents(atPath: path) else { return nil }
        return String(validating: [UInt8](data), as: UTF8.self)
    }

    private func openRepository(_ project: ProjectRecord) throws -> Repository {
        do { return try Repository(path: project.repoPath) } catch {
            throw SyncError.openingRepository(path: project.repoPath, error)
        }
    }
}
