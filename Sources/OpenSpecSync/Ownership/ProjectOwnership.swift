import Foundation
import OpenSpecStore

/// Leases: only a project's owner reconciles it and writes its edits; a
/// host with a clone takes the project when nobody holds it or its owner's
/// lease ran out. The database's clock measures every lease, so hosts'
/// clocks need not agree.
extension SyncEngine {
    /// This host's role in `project`, taking the lease for `lease` when this
    /// host may hold it and nobody does. A lease this host holds is left as
    /// it is (one read): the daemon's heartbeat alone extends it, by its own
    /// interval, so that a command run beside the daemon never stretches the
    /// time a standby waits after the daemon dies.
    public func role(in project: ProjectRecord, lease: TimeInterval = Ownership.defaultLease) throws -> ProjectRole {
        try claim(project, lease: lease).role
    }

    /// `role(in:)`, and the host this one took the project from just now
    /// (nil: it took nothing; "" when the project had no owner named).
    func claim(_ project: ProjectRecord, lease: TimeInterval) throws -> (role: ProjectRole, takenFrom: String?) {
        if let owner = try store.projectOwner(projectId: project.id), owner.isHeld(by: host, at: Date()),
           hasClone(at: project.repoPath) {
            return (.owner, nil)
        }
        let letGo = try mustLetGo(project)
        return try store.ownershipWrite { w in try settleRole(project, lease: lease, lettingGo: letGo, in: w) }
    }

    /// Whether this host's clone of `project` is gone from disk while another
    /// host has a clone: this host then lets the project go (and does not
    /// take it), so that host takes it over. A project with no other clone
    /// stays with this host, whose runs then say what is missing.
    private func mustLetGo(_ project: ProjectRecord) throws -> Bool {
        let clones = try store.projectHosts(projectId: project.id)
        guard let mine = clones.first(where: { $0.host == host }), clones.contains(where: { $0.host != host }) else {
            return false
        }
        return !hasClone(at: mine.repoPath)
    }

    /// Whether a clone is on disk at `root` (its `.git`, a folder or a worktree's file).
    private func hasClone(at root: String) -> Bool {
        fileSystem.kind(of: root + "/.git") != nil
    }

    /// `claim`, and the project as this host must use it: re-read after a
    /// take-over, which moved it to this host's clone; as given otherwise.
    public func ownership(of project: ProjectRecord, lease: TimeInterval = Ownership.defaultLease) throws
        -> (role: ProjectRole, project: ProjectRecord, takenFrom: String?) {
        let (role, takenFrom) = try claim(project, lease: lease)
        let current = takenFrom == nil ? project : try store.project(id: project.id) ?? project
        return (role, current, takenFrom)
    }

    /// The project as this host must use it (see `ownership(of:)`); throws
    /// `SyncError.notOwner` unless this host owns it (taking it when it may).
    @discardableResult
    func requireOwner(_ project: ProjectRecord) throws -> ProjectRecord {
        let (role, current, _) = try ownership(of: project)
        guard role.isOwner else { throw SyncError.notOwner(project: project.name, role: role) }
        return current
    }

    private func settleRole(_ project: ProjectRecord, lease: TimeInterval, lettingGo: Bool,
                            in w: any StoreTransaction) throws -> (role: ProjectRole, takenFrom: String?) {
        let now = try w.databaseNow()
        guard var owner = try w.projectOwner(projectId: project.id) else { return (try adopt(project, at: now, lease: lease, in: w), nil) }
        guard var clone = try w.projectHost(projectId: project.id, host: host) else { return (.elsewhere(owner: owner.ownerHost), nil) }
        clone.seenAt = now
        try w.saveProjectHost(clone)
        let previous = owner.ownerHost
        if lettingGo {
            if previous == host {
                // No name kept: this host's heartbeat renews only what it owns.
                owner.ownerHost = nil
                owner.leaseExpiresAt = now
                try w.saveProjectOwner(owner)
            }
            return (.standby(owner: owner.ownerHost, leaseExpiresAt: owner.leaseExpiresAt), nil)
        }
        guard previous == host || owner.isFree(at: now) else {
            return (.standby(owner: previous, leaseExpiresAt: owner.leaseExpiresAt), nil)
        }
        if previous == host, !owner.isFree(at: now) { return (.owner, nil) }
        if previous != host { owner.epoch += 1 }
        owner.ownerHost = host
        owner.leaseRenewedAt = now
        owner.leaseExpiresAt = now.addingTimeInterval(lease)
        try w.saveProjectOwner(owner)
        // Another clone: what the last run knew of the old one does not hold here.
        let stored = try w.project(id: project.id)?.repoPath ?? project.repoPath
        if previous != host || clone.repoPath != stored {
            try w.moveProject(projectId: project.id, repoPath: clone.repoPath)
        }
        return (.owner, previous == host ? nil : previous ?? "")
    }

    /// A project registered before hosts were recorded: the host where its
    /// clone is takes it, under the key its clone gives.
    private func adopt(_ project: ProjectRecord, at now: Date, lease: TimeInterval, in w: any StoreTransaction) throws -> ProjectRole {
        guard hasClone(at: project.repoPath) else { return .elsewhere(owner: nil) }
        var key = ProjectKey.make(repo: project.repoPath, folder: project.openspecPath, name: nil, host: host)
        if try w.projectOwner(key: key) != nil {
            key = Self.pathKey(project.repoPath, project.openspecPath, host)
        }
        try w.saveProjectOwner(ProjectOwnerRecord(projectId: project.id, projectKey: key, ownerHost: host, leaseRenewedAt: now,
                                                  leaseExpiresAt: now.addingTimeInterval(lease), epoch: 1))
        try w.saveProjectHost(ProjectHostRecord(projectId: project.id, host: host, repoPath: project.repoPath,
                                                registeredAt: now, seenAt: now))
        return .owner
    }
}
