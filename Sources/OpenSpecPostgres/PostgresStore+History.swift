import Foundation
import OpenSpecStore

/// The history (the event log) and the reads of queued edits and conflicts.
extension PostgresStore {
    public func history(projectId: String?, specId: String?, limit: Int, before: Int64?, includeStarted: Bool) throws -> [HistoryRecord] {
        var clauses: [String] = []
        var values: [PGValue] = []
        if !includeStarted { clauses.append("action <> '\(HistoryRecord.startedAction)'") }
        if let projectId { clauses.append("projectId = ?"); values.append(.text(projectId)) }
        if let specId { clauses.append("specId = ?"); values.append(.text(specId)) }
        if let before { clauses.append("id < ?"); values.append(.int(Int(before))) }
        return try read { link in
            try link.query("SELECT * FROM syncHistory \(Self.whereClause(clauses)) ORDER BY id DESC LIMIT ?", values + [.int(limit)])
                .map { try $0.history() }
        }
    }

    /// Oldest first after `id`. Writers take turns (the write lock) and ids
    /// are drawn inside the turn, so they are in commit order: once row N is
    /// visible every row below N is too.
    public func history(after id: Int64, projectId: String?, limit: Int) throws -> [HistoryRecord] {
        try read { link in
            if let projectId {
                return try link.query("SELECT * FROM syncHistory WHERE projectId = ? AND id > ? ORDER BY id LIMIT ?",
                                      [.text(projectId), .int(Int(id)), .int(limit)]).map { try $0.history() }
            }
            return try link.query("SELECT * FROM syncHistory WHERE id > ? ORDER BY id LIMIT ?", [.int(Int(id)), .int(limit)])
                .map { try $0.history() }
        }
    }

    public func lastRun(projectId: String) throws -> HistoryRecord? {
        try read { link in
            try link.query("""
                SELECT * FROM syncHistory WHERE projectId = ? AND specId IS NULL AND action <> '\(HistoryRecord.startedAction)'
                ORDER BY id DESC LIMIT 1
                """, [.text(projectId)]).first?.history()
        }
    }

    public func lastHistoryId() throws -> Int64 {
        try read { try $0.query("SELECT COALESCE(MAX(id), 0) AS id FROM syncHistory").first?.int64("id") ?? 0 }
    }

    // MARK: Writes to files and conflicts

    public func pendingWrite(id: Int64) throws -> PendingWriteRecord? {
        try read { try $0.query("SELECT * FROM pendingWrites WHERE id = ?", [.int(Int(id))]).first?.pendingWrite() }
    }

    public func pendingWrites(specId: String, path: String) throws -> [PendingWriteRecord] {
        try read { try PostgresTransaction.pendingWrites($0, specId: specId, path: path) }
    }

    public func duePendingWrites(projectId: String, now: Date) throws -> [PendingWriteRecord] {
        try read { link in
            try link.query("""
                SELECT * FROM pendingWrites WHERE projectId = ? AND status = 'pending' AND nextAttemptAt <= ? ORDER BY id
                """, [.text(projectId), .date(now)]).map { try $0.pendingWrite() }
        }
    }

    public func conflict(id: Int64) throws -> ConflictRecord? {
        try read { try $0.query("SELECT * FROM conflicts WHERE id = ?", [.int(Int(id))]).first?.conflict() }
    }

    public func conflicts(projectId: String?, specId: String?, includeResolved: Bool) throws -> [ConflictRecord] {
        var clauses: [String] = []
        var values: [PGValue] = []
        if let projectId { clauses.append("projectId = ?"); values.append(.text(projectId)) }
        if let specId { clauses.append("specId = ?"); values.append(.text(specId)) }
        if !includeResolved { clauses.append("resolvedAt IS NULL") }
        return try read { link in
            try link.query("SELECT * FROM conflicts \(Self.whereClause(clauses)) ORDER BY id DESC", values).map { try $0.conflict() }
        }
    }

    public func writeCounts(projectId: String, specId: String?) throws -> (pendingWrites: Int, openConflicts: Int) {
        var values: [PGValue] = [.text(projectId)]
        var ofSpec = ""
        if let specId { ofSpec = " AND specId = ?"; values.append(.text(specId)) }
        return try read { link in
            let row = try link.query("""
                SELECT (SELECT COUNT(*) FROM pendingWrites WHERE projectId = ? AND status = 'pending'\(ofSpec)) AS pending,
                       (SELECT COUNT(*) FROM conflicts WHERE projectId = ? AND resolvedAt IS NULL\(ofSpec)) AS open
                """, values + values).first
            return (try row?.int("pending") ?? 0, try row?.int("open") ?? 0)
        }
    }
}
