import Foundation
import GRDB

/// Hosts, owners, leases and claims inside a write transaction.
extension SQLiteTransaction {
    public func databaseNow() throws -> Date { Date() }

    public func legacyProject(repoPath: String) throws -> ProjectRecord? {
        try ProjectRecord.fetchOne(db, sql: """
            SELECT * FROM projects WHERE repoPath = ? AND NOT EXISTS (SELECT 1 FROM projectOwners o WHERE o.projectId = projects.id)
            """, arguments: [repoPath])
    }

    public func projectHost(host: String, repoPath: String) throws -> ProjectHostRecord? {
        try SQLiteStore.projectHost(db, host: host, repoPath: repoPath)
    }

    public func insertProject(name: String, repoPath: String, openspecPath: String, at now: Date) throws -> ProjectRecord {
        if let other = try ProjectRecord.filter(sql: "name = ?", arguments: [name]).fetchOne(db) {
            throw StoreError.projectNameTaken(name: name, repoPath: other.repoPath)
        }
        let record = ProjectRecord(
            id: UUID().uuidString.lowercased(), name: name, repoPath: repoPath,
            openspecPath: openspecPath, createdAt: now, lastReconciledCommit: nil,
            lastReconciledAt: nil, reconciledOnce: false, pendingPaths: "[]", lastError: nil)
        try record.insert(db)
        return record
    }

    public func updateProject(_ project: ProjectRecord, name: String, openspecPath: String) throws -> ProjectRecord {
        guard project.openspecPath != openspecPath || project.name != name else { return project }
        if try ProjectRecord.filter(sql: "name = ? AND id <> ?", arguments: [name, project.id]).fetchCount(db) > 0 {
            throw StoreError.projectNameTaken(name: name, repoPath: project.repoPath)
        }
        let (updated, moved) = project.renamed(name, openspecPath: openspecPath)
        try updated.update(db)
        if moved { try db.execute(sql: "DELETE FROM statCaches WHERE projectId = ?", arguments: [project.id]) }
        return updated
    }

    public func projectOwner(projectId: String) throws -> ProjectOwnerRecord? {
        try SQLiteStore.projectOwner(db, projectId: projectId)
    }

    public func projectOwner(key: String) throws -> ProjectOwnerRecord? {
        try Row.fetchOne(db, sql: "SELECT * FROM projectOwners WHERE projectKey = ?", arguments: [key]).map(SQLiteStore.owner)
    }

    public func saveProjectOwner(_ r: ProjectOwnerRecord) throws {
        try db.execute(sql: """
            INSERT INTO projectOwners (projectId, projectKey, ownerHost, leaseRenewedAt, leaseExpiresAt, epoch)
            VALUES (?, ?, ?, ?, ?, ?)
            ON CONFLICT (projectId) DO UPDATE SET projectKey = excluded.projectKey, ownerHost = excluded.ownerHost,
              leaseRenewedAt = excluded.leaseRenewedAt, leaseExpiresAt = excluded.leaseExpiresAt, epoch = excluded.epoch
            """, arguments: [r.projectId, r.projectKey, r.ownerHost, DateText.string(r.leaseRenewedAt),
                             DateText.string(r.leaseExpiresAt), r.epoch])
    }

    public func projectHost(projectId: String, host: String) throws -> ProjectHostRecord? {
        try Row.fetchOne(db, sql: "SELECT * FROM projectHosts WHERE projectId = ? AND host = ?", arguments: [projectId, host])
            .map(SQLiteStore.host)
    }

    public func saveProjectHost(_ r: ProjectHostRecord) throws {
        try db.execute(sql: """
            INSERT INTO projectHosts (projectId, host, repoPath, registeredAt, seenAt) VALUES (?, ?, ?, ?, ?)
            ON CONFLICT (projectId, host) DO UPDATE SET repoPath = excluded.repoPath, seenAt = excluded.seenAt
            """, arguments: [r.projectId, r.host, r.repoPath, DateText.string(r.registeredAt), DateText.string(r.seenAt)])
    }

    public func moveProject(projectId: String, repoPath: String) throws {
        try db.execute(sql: "UPDATE projects SET repoPath = ?, lastReconciledCommit = NULL, pendingPaths = '[]' WHERE id = ?",
                       arguments: [repoPath, projectId])
        try db.execute(sql: "DELETE FROM statCaches WHERE projectId = ?", arguments: [projectId])
    }

    public func renewLeases(host: String, until: Date, at now: Date) throws -> [String] {
        let nowText = DateText.string(now)
        try db.execute(sql: "UPDATE projectOwners SET leaseRenewedAt = ?, leaseExpiresAt = ? WHERE ownerHost = ?",
                       arguments: [nowText, DateText.string(until), host])
        try db.execute(sql: "UPDATE projectHosts SET seenAt = ? WHERE host = ?", arguments: [nowText, host])
        return try String.fetchAll(db, sql: "SELECT projectId FROM projectOwners WHERE ownerHost = ? ORDER BY projectId", arguments: [host])
    }

    public func releaseLeases(host: String) throws {
        // The owner's name stays: the same host taking it back has nothing to catch up on.
        let now = DateText.string(Date())
        try db.execute(sql: "UPDATE projectOwners SET leaseExpiresAt = ? WHERE ownerHost = ? AND leaseExpiresAt > ?",
                       arguments: [now, host, now])
    }

    public func claimQueuedWrites(host: String, at now: Date, limit: Int) throws -> [String] {
        // One writer at a time: the transaction itself keeps two claimers apart.
        let nowText = DateText.string(now)
        let rows = try Row.fetchAll(db, sql: """
            SELECT w.id, w.projectId FROM pendingWrites w JOIN projectOwners o ON o.projectId = w.projectId
            WHERE w.status = 'pending' AND o.ownerHost = ? AND o.leaseExpiresAt > ?
              AND (w.claimedBy IS NULL OR w.claimedBy <> ?)
            ORDER BY w.id LIMIT ?
            """, arguments: [host, nowText, host, limit])
        for row in rows {
            try db.execute(sql: "UPDATE pendingWrites SET claimedBy = ?, claimedAt = ? WHERE id = ?",
                           arguments: [host, nowText, row["id"] as Int64])
        }
        return Array(Set(rows.map { $0["projectId"] as String })).sorted()
    }
}
