import Foundation

/// Who holds a project: the host whose daemon reconciles it and writes its
/// edits, for as long as its lease runs. One row per project; a project
/// registered before hosts were recorded has none until a host adopts it.
public struct ProjectOwnerRecord: Sendable, Equatable {
    public var projectId: String
    /// What names the project on every host (see `ProjectKey` in the engine).
    public var projectKey: String
    /// nil: nobody holds it (its owner stopped and let it go).
    public var ownerHost: String?
    /// When the owner last renewed its lease, and until when it runs (database clock).
    public var leaseRenewedAt: Date?
    public var leaseExpiresAt: Date?
    /// Grows by one at every change of owner.
    public var epoch: Int64

    public init(projectId: String, projectKey: String, ownerHost: String?, leaseRenewedAt: Date?,
                leaseExpiresAt: Date?, epoch: Int64) {
        self.projectId = projectId
        self.projectKey = projectKey
        self.ownerHost = ownerHost
        self.leaseRenewedAt = leaseRenewedAt
        self.leaseExpiresAt = leaseExpiresAt
        self.epoch = epoch
    }

    /// Whether `host` holds a lease that still runs at `now`.
    public func isHeld(by host: String, at now: Date) -> Bool {
        ownerHost == host && (leaseExpiresAt.map { $0 > now } ?? false)
    }

    /// Whether a member host may take the project at `now`: nobody holds it, or the lease ran out.
    public func isFree(at now: Date) -> Bool {
        ownerHost == nil || (leaseExpiresAt.map { $0 <= now } ?? true)
    }
}

/// A host that has a clone of a project: its owner or a standby.
public struct ProjectHostRecord: Sendable, Equatable {
    public var projectId: String
    public var host: String
    /// The clone's working-tree root on that host.
    public var repoPath: String
    public var registeredAt: Date
    /// When the host last said it was alive (its daemon's heartbeat, or a command it ran).
    public var seenAt: Date

    public init(projectId: String, host: String, repoPath: String, registeredAt: Date, seenAt: Date) {
        self.projectId = projectId
        self.host = host
        self.repoPath = repoPath
        self.registeredAt = registeredAt
        self.seenAt = seenAt
    }
}
