import OpenSpecStore

/// The fence against an owner that stalled past its lease: what it writes
/// to the database after its work in the clone (a reconcile, the record of
/// an edit or a rollback it committed) reads the owner row in the same
/// transaction, under the write lock a take-over needs too, and gives up
/// when the row names another host (or none: the lease was let go).
extension StoreTransaction {
    /// The project's owner row when it does not name `host`; nil while
    /// `host` owns the project (or the project has no owner row yet).
    func ownerOtherThan(_ host: String, projectId: String) throws -> ProjectOwnerRecord? {
        guard let owner = try projectOwner(projectId: projectId), owner.ownerHost != host else { return nil }
        return owner
    }
}

extension ProjectOwnerRecord {
    /// The error a fenced host's work ends with: the project is this owner's now.
    func refusal(project: String) -> SyncError {
        .notOwner(project: project, role: .standby(owner: ownerHost, leaseExpiresAt: leaseExpiresAt))
    }
}
