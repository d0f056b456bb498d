import Foundation

/// What this host is to a project (see docs/scaling.md).
public enum ProjectRole: Sendable, Equatable {
    /// It holds the lease: it reconciles the project and writes its edits.
    case owner
    /// It has a clone, and another host holds the lease; it takes over when that lease runs out.
    case standby(owner: String?, leaseExpiresAt: Date?)
    /// It has no clone of the project: it reads it, and its edits wait for the owner.
    case elsewhere(owner: String?)

    public var isOwner: Bool { self == .owner }

    /// "owned by host X", as messages say it.
    public var ownerPhrase: String {
        switch self {
        case .owner: "owned by this host"
        case let .standby(owner?, _): "owned by host \(owner) (this host is a standby)"
        case .standby(nil, _): "owned by no host just now (this host is a standby; a host with its clone takes it at its next scan)"
        case let .elsewhere(owner?): "owned by host \(owner) (this host has no clone of it)"
        case .elsewhere(nil): "owned by no host yet (this host has no clone of it)"
        }
    }
}

/// How long leases run and edits wait.
public enum Ownership {
    /// A lease taken by a command (a hook, `reconcile`, an edit) when nobody
    /// holds the project; the daemon renews its host's leases every second
    /// for one scan interval.
    public static let defaultLease: TimeInterval = 30
    /// How long an edit waits for another host to write it (`Settings.ownerTimeout`).
    public static let defaultOwnerTimeout: TimeInterval = 10
    /// Queued edits claimed at a time by the daemon's claim loop.
    static let claimBatch = 100
}
