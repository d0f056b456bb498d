import Foundation
import OpenSpecStore

extension SyncEngine {
    /// Registers the clone at `root` on this host, in one transaction:
    /// - a clone this host registered before keeps its project (renamed, or
    ///   its folder moved, when `name` or `folder` say so);
    /// - a clone of a project another host registered (same key) joins it;
    ///   the project keeps its name (a second clone on this host is a
    ///   project of its own, keyed by its path);
    /// - a project registered at `root` before hosts were recorded is adopted;
    /// - anything else is a new project, which this host owns.
    func register(root: String, folder: String, name: String?) throws -> ProjectRecord {
        let key = ProjectKey.make(repo: root, folder: folder, name: name, host: host)
        let defaultName = URL(fileURLWithPath: root).lastPathComponent
        return try store.write { w in
            let now = try w.databaseNow()
            var project: ProjectRecord
            var registeredAt = now
            if let clone = try w.projectHost(host: host, repoPath: root), let mine = try w.project(id: clone.projectId) {
                registeredAt = clone.registeredAt
                project = try w.updateProject(mine, name: name ?? mine.name, openspecPath: folder)
            } else if let known = try w.projectOwner(key: key), let shared = try w.project(id: known.projectId),
                      try w.projectHost(projectId: shared.id, host: host) == nil {
                project = shared
            } else if let legacy = try w.legacyProject(repoPath: root) {
                project = try w.updateProject(legacy, name: name ?? legacy.name, openspecPath: folder)
            } else {
                project = try w.insertProject(name: name ?? defaultName, repoPath: root, openspecPath: folder, at: now)
            }
            if try w.projectOwner(projectId: project.id) == nil {
                try w.saveProjectOwner(ProjectOwnerRecord(
                    projectId: project.id, projectKey: try w.projectOwner(key: key) == nil ? key : Self.pathKey(root, folder, host),
                    ownerHost: host, leaseRenewedAt: now, leaseExpiresAt: now.addingTimeInterval(Ownership.defaultLease), epoch: 1))
            }
            try w.saveProjectHost(ProjectHostRecord(projectId: project.id, host: host, repoPath: root,
                                                    registeredAt: registeredAt, seenAt: now))
            return project
        }
    }

    /// The key of a project only this host has (see `ProjectKey`).
    static func pathKey(_ root: String, _ folder: String, _ host: String) -> String {
        "path:" + host + ":" + root + "#" + folder
    }
}
