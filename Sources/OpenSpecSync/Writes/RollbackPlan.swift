import Foundation
import OpenSpecGit
import OpenSpecStore

/// One file a rollback changes: the target's content (nil deletes it) and what the disk holds now.
struct RollbackStep {
    var path: String
    var content: [UInt8]?
    var mode: FileMode?
    var old: [UInt8]?
    var oldMode: mode_t?
}

/// Step 1 of a rollback, second half: the files it changes, and those that
/// changed on disk since the last sync (or are not committed) and so win.
struct RollbackPlan {
    var steps: [RollbackStep] = []
    var conflicting: [RollbackStep] = []
    /// The blob id of each file of the change as last synced.
    var synced: [String: String] = [:]
}

extension SyncEngine {
    /// Step 1 of a rollback, first half: the repository must be free (no
    /// merge, rebase, ... under way, no `index.lock`); a rollback is refused
    /// rather than queued.
    func precheckRollback(in repo: Repository) throws {
        let state = repo.state
        if state.isMidOperation {
            throw SyncError.rollbackRefused(.midOperation(state))
        }
        if writeFileSystem.kind(of: repo.gitDir + "/index.lock") != nil {
            throw SyncError.rollbackRefused(.indexLocked)
        }
    }

    /// What rolling `spec` (whose folder is `folder`, relative to the
    /// repository) back to `target` changes, compared with HEAD and the disk.
    func planRollback(_ spec: SpecRecord, project: ProjectRecord, folder: String, to target: ObjectID,
                      revision: String, head: ObjectID?, in repo: Repository) throws -> RollbackPlan {
        let (wanted, present) = try rollbackTrees(spec, project: project, folder: folder, to: target,
                                                  revision: revision, head: head, in: repo)
        var plan = RollbackPlan()
        plan.synced = Dictionary(try store.specFiles(specId: spec.id, withContent: false).map { ($0.path, $0.blobId) },
                                 uniquingKeysWith: { a, _ in a })
        for path in Set(wanted.keys).union(present.keys).sorted() {
            try WritePath.validate(path)
            let repoRelative = folder + "/" + path
            try WritePath.refuseLinks(repo: project.repoPath, relative: repoRelative, fileSystem: writeFileSystem)
            let disk = try writeFileSystem.readIfPresent(project.repoPath + "/" + repoRelative)
            let diskBlob = disk.map { Repository.hashBlob($0).hex }
            let want = wanted[path]
            let step = RollbackStep(path: path, content: try want.map { try repo.blob($0.id) }, mode: want?.mode, old: disk,
                                    oldMode: writeFileSystem.permissions(of: project.repoPath + "/" + repoRelative))
            let headBlob = present[path]?.id.hex
            // Already as wanted on disk and in HEAD, mode included: nothing to do.
            if diskBlob == want?.id.hex && headBlob == want?.id.hex && present[path]?.mode == want?.mode { continue }
            // On disk as wanted but not committed: committing it loses nothing.
            if diskBlob == want?.id.hex { plan.steps.append(step); continue }
            if diskBlob != headBlob || diskBlob != plan.synced[path] { plan.conflicting.append(step) } else { plan.steps.append(step) }
        }
        return plan
    }

    /// The change's files at `target` (from its old place `changes/<id>` for
    /// an archived change) and in HEAD, relative to the change folder.
    private func rollbackTrees(_ spec: SpecRecord, project: ProjectRecord, folder: String, to target: ObjectID,
                               revision: String, head: ObjectID?,
                               in repo: Repository) throws -> (wanted: [String: TreeFile], present: [String: TreeFile]) {
        var sources = [folder]
        if spec.status == .archived { sources.append(project.openspecPath + "/changes/" + spec.changeId) }
        var wanted: [String: TreeFile] = [:]
        for source in sources {
            let files = try repo.files(at: target, under: source)
            guard !files.isEmpty else { continue }
            for file in files { wanted[String(file.path.dropFirst(source.count + 1))] = file }
            break
        }
        if wanted.isEmpty { throw SyncError.notAtRevision(change: spec.changeId, revision: revision) }
        var present: [String: TreeFile] = [:]
        if let head {
            for file in try repo.files(at: head, under: folder) { present[String(file.path.dropFirst(folder.count + 1))] = file }
        }
        if let link = (Array(wanted.values) + Array(present.values)).first(where: { $0.mode == .symlink }) {
            throw SyncError.symlinkInPath(link.path)
        }
        return (wanted, present)
    }

    /// Disk permissions for a file restored with git mode `mode`: the existing
    /// file's, with the executable bits as the target says.
    static func permissions(_ mode: FileMode?, existing: mode_t?) -> mode_t {
        let base = existing ?? 0o644
        return mode == .executable ? base | ((base & 0o444) >> 2) | 0o100 : base & ~0o111
    }
}
