import Foundation
import OpenSpecStore

/// What one heartbeat of the daemon found.
public struct Heartbeat: Sendable {
    /// The projects whose lease this host holds (renewed).
    public var held: Set<String>
    /// The projects with edits queued by other hosts, claimed now for this host to write.
    public var claimed: [String]
}

extension SyncEngine {
    /// The daemon's heartbeat, in one transaction: renews every lease this
    /// host holds to `lease` from now, marks its clones seen, and claims
    /// the edits queued for its projects.
    public func heartbeat(lease: TimeInterval) throws -> Heartbeat {
        try store.ownershipWrite { w in
            let now = try w.databaseNow()
            let held = try w.renewLeases(host: host, until: now.addingTimeInterval(lease), at: now)
            let claimed = try w.claimQueuedWrites(host: host, at: now, limit: Ownership.claimBatch)
            return Heartbeat(held: Set(held), claimed: claimed)
        }
    }

    /// Lets go of this host's leases (a daemon that stops), so standbys take over at once.
    public func releaseLeases() throws {
        try store.ownershipWrite { try $0.releaseLeases(host: host) }
    }

    /// The projects with a clone on this host, by the clone's OpenSpec
    /// folder: this host's clones, and projects registered before hosts
    /// were recorded (at their path).
    public func localOpenSpecRoots() throws -> [String: ProjectRecord] {
        var roots: [String: ProjectRecord] = [:]
        let projects = Dictionary(uniqueKeysWithValues: try store.projects().map { ($0.id, $0) })
        for clone in try store.projectHosts(projectId: nil) where clone.host == host {
            if let project = projects[clone.projectId] { roots[clone.repoPath + "/" + project.openspecPath] = project }
        }
        let owned = Set(try store.projectOwners().map(\.projectId))
        for project in projects.values where !owned.contains(project.id) {
            roots[project.repoPath + "/" + project.openspecPath] = project
        }
        return roots
    }
}
