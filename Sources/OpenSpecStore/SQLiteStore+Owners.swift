import Foundation
import GRDB

/// Hosts, owners and leases in SQLite (see `ProjectOwnerRecord`).
extension SQLiteStore {
    public func ownershipWrite<T>(_ body: (any StoreTransaction) throws -> T) throws -> T {
        try pool.writeWithoutTransaction { db in
            var result: T?
            try db.inTransaction(.immediate) {
                result = try body(SQLiteTransaction(db: db))
                return .commit
            }
            return result!
        }
    }

    public func projectOwners() throws -> [ProjectOwnerRecord] {
        try pool.read { db in try Row.fetchAll(db, sql: "SELECT * FROM projectOwners ORDER BY projectId").map(Self.owner) }
    }

    public func projectOwner(projectId: String) throws -> ProjectOwnerRecord? {
        try pool.read { db in try Self.projectOwner(db, projectId: projectId) }
    }

    public func projectHosts(projectId: String?) throws -> [ProjectHostRecord] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM projectHosts" + (projectId == nil ? "" : " WHERE projectId = ?")
                                 + " ORDER BY projectId, host", arguments: StatementArguments(projectId.map { [$0] } ?? []))
                .map(Self.host)
        }
    }

    public func projectHost(host: String, repoPath: String) throws -> ProjectHostRecord? {
        try pool.read { db in try Self.projectHost(db, host: host, repoPath: repoPath) }
    }

    public func databaseNow() throws -> Date { Date() }

    /// The lookups the store and its transactions share.
    static func projectOwner(_ db: Database, projectId: String) throws -> ProjectOwnerRecord? {
        try Row.fetchOne(db, sql: "SELECT * FROM projectOwners WHERE projectId = ?", arguments: [projectId]).map(owner)
    }

    static func projectHost(_ db: Database, host: String, repoPath: String) throws -> ProjectHostRecord? {
        try Row.fetchOne(db, sql: "SELECT * FROM projectHosts WHERE host = ? AND repoPath = ?", arguments: [host, repoPath])
            .map(Self.host)
    }

    static func owner(_ row: Row) -> ProjectOwnerRecord {
        ProjectOwnerRecord(projectId: row["projectId"], projectKey: row["projectKey"], ownerHost: row["ownerHost"],
                           leaseRenewedAt: (row["leaseRenewedAt"] as String?).flatMap(DateText.date),
                           leaseExpiresAt: (row["leaseExpiresAt"] as String?).flatMap(DateText.date),
                           epoch: row["epoch"])
    }

    static func host(_ row: Row) -> ProjectHostRecord {
        ProjectHostRecord(projectId: row["projectId"], host: row["host"], repoPath: row["repoPath"],
                          registeredAt: DateText.date(row["registeredAt"]) ?? Date(timeIntervalSince1970: 0),
                          seenAt: DateText.date(row["seenAt"]) ?? Date(timeIntervalSince1970: 0))
    }
}
