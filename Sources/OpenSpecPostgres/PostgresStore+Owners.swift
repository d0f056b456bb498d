import Foundation
import OpenSpecStore

/// Hosts, owners and leases in PostgreSQL (see `ProjectOwnerRecord`).
extension PostgresStore {
    public func ownershipWrite<T>(_ body: (any StoreTransaction) throws -> T) throws -> T {
        try writePostgres(countsAsChange: false) { try body($0) }
    }

    public func projectOwners() throws -> [ProjectOwnerRecord] {
        try read { try $0.query("SELECT * FROM projectOwners ORDER BY projectId").map { try $0.owner() } }
    }

    public func projectOwner(projectId: String) throws -> ProjectOwnerRecord? {
        try read { try $0.projectOwner(projectId: projectId) }
    }

    public func projectHosts(projectId: String?) throws -> [ProjectHostRecord] {
        try read { link in
            let rows = try projectId.map { try link.query("SELECT * FROM projectHosts WHERE projectId = ? ORDER BY host", [.text($0)]) }
                ?? link.query("SELECT * FROM projectHosts ORDER BY projectId, host")
            return try rows.map { try $0.host() }
        }
    }

    public func projectHost(host: String, repoPath: String) throws -> ProjectHostRecord? {
        try read { try $0.projectHost(host: host, repoPath: repoPath) }
    }

    public func databaseNow() throws -> Date {
        try read { try $0.clock() }
    }
}

extension PostgresLink {
    /// The database's clock, to the millisecond.
    func clock() throws -> Date {
        let rows = try query("SELECT (EXTRACT(EPOCH FROM clock_timestamp()) * 1000)::BIGINT AS ms")
        return Date(timeIntervalSince1970: Double(try rows.first?.int64("ms") ?? 0) / 1000)
    }

    /// The lookups the store and its transactions share.
    func projectOwner(projectId: String) throws -> ProjectOwnerRecord? {
        try query("SELECT * FROM projectOwners WHERE projectId = ?", [.text(projectId)]).first?.owner()
    }

    func projectHost(host: String, repoPath: String) throws -> ProjectHostRecord? {
        try query("SELECT * FROM projectHosts WHERE host = ? AND repoPath = ?", [.text(host), .text(repoPath)]).first?.host()
    }
}

extension PGRow {
    func owner() throws -> ProjectOwnerRecord {
        ProjectOwnerRecord(projectId: try string("projectId"), projectKey: try string("projectKey"),
                           ownerHost: try optionalString("ownerHost"), leaseRenewedAt: try optionalDate("leaseRenewedAt"),
                           leaseExpiresAt: try optionalDate("leaseExpiresAt"), epoch: try int64("epoch"))
    }

    func host() throws -> ProjectHostRecord {
        ProjectHostRecord(projectId: try string("projectId"), host: try string("host"), repoPath: try string("repoPath"),
                          registeredAt: try date("registeredAt"), seenAt: try date("seenAt"))
    }
}

/// Hosts, owners, leases and claims inside a write transaction.
extension PostgresTransaction {
    public func databaseNow() throws -> Date { try link.clock() }

    public func legacyProject(repoPath: String) throws -> ProjectRecord? {
        try link.query("""
            SELECT * FROM projects WHERE repoPath = ? AND NOT EXISTS (SELECT 1 FROM projectOwners o WHERE o.projectId = projects.id)
            ORDER BY createdAt LIMIT 1
            """, [.text(repoPath)]).first?.project()
    }

    public func projectHost(host: String, repoPath: String) throws -> ProjectHostRecord? {
        try link.projectHost(host: host, repoPath: repoPath)
    }

    public func insertProject(name: String, repoPath: String, openspecPath: String, at now: Date) throws -> ProjectRecord {
        if let other = try link.query("SELECT repoPath FROM projects WHERE name = ?", [.text(name)]).first {
            throw StoreError.projectNameTaken(name: name, repoPath: try other.string("repoPath"))
        }
        let id = UUID().uuidString.lowercased()
        try link.execute("""
            INSERT INTO projects (id, name, repoPath, openspecPath, createdAt, reconciledOnce, pendingPaths)
            VALUES (?, ?, ?, ?, ?, FALSE, '[]')
            """, [.text(id), .text(name), .text(repoPath), .text(openspecPath), .date(now)])
        // What is stored, to the millisecond.
        guard let stored = try project(id: id) else { throw StoreError.notFound("project \(id)") }
        return stored
    }

    public func updateProject(_ project: ProjectRecord, name: String, openspecPath: String) throws -> ProjectRecord {
        guard project.openspecPath != openspecPath || project.name != name else { return project }
        if try !link.query("SELECT id FROM projects WHERE name = ? AND id <> ?", [.text(name), .text(project.id)]).isEmpty {
            throw StoreError.projectNameTaken(name: name, repoPath: project.repoPath)
        }
        let (updated, moved) = project.renamed(name, openspecPath: openspecPath)
        try link.execute("UPDATE projects SET name = ?, openspecPath = ?, reconciledOnce = ?, lastReconciledCommit = ? WHERE id = ?",
                         [.text(name), .text(openspecPath), .bool(updated.reconciledOnce), .text(updated.lastReconciledCommit),
                          .text(project.id)])
        if moved { try link.execute("DELETE FROM statCaches WHERE projectId = ?", [.text(project.id)]) }
        return updated
    }

    public func projectOwner(projectId: String) throws -> ProjectOwnerRecord? {
        try link.projectOwner(projectId: projectId)
    }

    public func projectOwner(key: String) throws -> ProjectOwnerRecord? {
        try link.query("SELECT * FROM projectOwners WHERE projectKey = ?", [.text(key)]).first?.owner()
    }

    public func saveProjectOwner(_ r: ProjectOwnerRecord) throws {
        try link.execute("""
            INSERT INTO projectOwners (projectId, projectKey, ownerHost, leaseRenewedAt, leaseExpiresAt, epoch)
            VALUES (?, ?, ?, ?, ?, ?)
            ON CONFLICT (projectId) DO UPDATE SET projectKey = excluded.projectKey, ownerHost = excluded.ownerHost,
              leaseRenewedAt = excluded.leaseRenewedAt, leaseExpiresAt = excluded.leaseExpiresAt, epoch = excluded.epoch
            """, [.text(r.projectId), .text(r.projectKey), .text(r.ownerHost), .date(r.leaseRenewedAt),
                  .date(r.leaseExpiresAt), .int(Int(r.epoch))])
    }

    public func projectHost(projectId: String, host: String) throws -> ProjectHostRecord? {
        try link.query("SELECT * FROM projectHosts WHERE projectId = ? AND host = ?", [.text(projectId), .text(host)]).first?.host()
    }

    public func saveProjectHost(_ r: ProjectHostRecord) throws {
        try link.execute("""
            INSERT INTO projectHosts (projectId, host, repoPath, registeredAt, seenAt) VALUES (?, ?, ?, ?, ?)
            ON CONFLICT (projectId, host) DO UPDATE SET repoPath = excluded.repoPath, seenAt = excluded.seenAt
            """, [.text(r.projectId), .text(r.host), .text(r.repoPath), .date(r.registeredAt), .date(r.seenAt)])
    }

    public func moveProject(projectId: String, repoPath: String) throws {
        try link.execute("UPDATE projects SET repoPath = ?, lastReconciledCommit = NULL, pendingPaths = '[]' WHERE id = ?",
                         [.text(repoPath), .text(projectId)])
        try link.execute("DELETE FROM statCaches WHERE projectId = ?", [.text(projectId)])
    }

    public func renewLeases(host: String, until: Date, at now: Date) throws -> [String] {
        try link.execute("UPDATE projectOwners SET leaseRenewedAt = ?, leaseExpiresAt = ? WHERE ownerHost = ?",
                         [.date(now), .date(until), .text(host)])
        try link.execute("UPDATE projectHosts SET seenAt = ? WHERE host = ?", [.date(now), .text(host)])
        return try link.query("SELECT projectId FROM projectOwners WHERE ownerHost = ? ORDER BY projectId", [.text(host)])
            .map { try $0.string("projectId") }
    }

    public func releaseLeases(host: String) throws {
        // The owner's name stays: the same host taking it back has nothing to catch up on.
        let now = try databaseNow()
        try link.execute("UPDATE projectOwners SET leaseExpiresAt = ? WHERE ownerHost = ? AND leaseExpiresAt > ?",
                         [.date(now), .text(host), .date(now)])
    }

    public func claimQueuedWrites(host: String, at now: Date, limit: Int) throws -> [String] {
        let rows = try link.query("""
            UPDATE pendingWrites SET claimedBy = ?, claimedAt = ?
            WHERE id IN (
              SELECT w.id FROM pendingWrites w JOIN projectOwners o ON o.projectId = w.projectId
              WHERE w.status = 'pending' AND o.ownerHost = ? AND o.leaseExpiresAt > ?
                AND (w.claimedBy IS NULL OR w.claimedBy <> ?)
              ORDER BY w.id LIMIT ?
              FOR UPDATE OF w SKIP LOCKED)
            RETURNING projectId
            """, [.text(host), .date(now), .text(host), .date(now), .text(host), .int(limit)])
        return Array(Set(try rows.map { try $0.string("projectId") })).sorted()
    }
}
