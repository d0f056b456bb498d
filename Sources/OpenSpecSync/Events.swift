import Foundation
import OpenSpecStore

/// One live sync event, made from one row of the sync history.
///
/// The history is the event log: hooks, the daemon, the CLI and the server
/// all write it, so a subscriber sees work done by any process. The event id
/// is the row id, which only grows, so "everything after the last id seen"
/// resumes a stream with nothing lost and nothing repeated.
public struct SyncEvent: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable {
        case syncStarted = "sync_started"
        case syncCompleted = "sync_completed"
        case syncFailed = "sync_failed"
        case conflictDetected = "conflict_detected"
    }

    /// What the run did, beyond the seed's fields.
    public struct Details: Codable, Sendable, Equatable {
        /// The history row's action: `started`, `run`, `unchanged`, `created`,
        /// `updated`, `archived`, …, `pending`, `conflict`, `failed`.
        public var action: String
        /// Shared by a run's start mark, its per-change rows and its summary row.
        public var runId: String
        public var trigger: String
        public var files: [String]
        public var fromCommit: String?
        public var toCommit: String?
        public var durationMs: Int?
        public var error: String?
    }

    public var id: Int64
    public var type: Kind
    public var projectId: String
    public var project: String
    /// Nil for a whole run (its start mark and summary row).
    public var specId: String?
    public var specPath: String?
    /// `fs_to_db` (a reconcile) or `db_to_fs` (a write).
    public var direction: String
    public var success: Bool
    public var at: Date
    public var details: Details

    /// The event a history row stands for: a start mark is `sync_started`,
    /// a kept conflict `conflict_detected`, any other failed row (a failed
    /// run or file, a write that waits) `sync_failed`, the rest `sync_completed`.
    public static func kind(of row: HistoryRecord) -> Kind {
        switch row.historyAction {
        case .started: return .syncStarted
        case .conflict: return .conflictDetected
        default: break
        }
        return row.success ? .syncCompleted : .syncFailed
    }
}

extension SyncEngine {
    /// Events after `id`, oldest first, at most `limit`; only one project's with `projectId`.
    public func events(after id: Int64, projectId: String? = nil, limit: Int = 200) throws -> [SyncEvent] {
        let rows = try store.history(after: id, projectId: projectId, limit: limit)
        guard !rows.isEmpty else { return [] }
        let names = try projectNames()
        var paths: [String: String] = [:]
        return try rows.map { row in
            if let specId = row.specId, paths[specId] == nil { paths[specId] = try store.spec(id: specId)?.path }
            return SyncEvent(
                id: row.id, type: SyncEvent.kind(of: row), projectId: row.projectId,
                project: names[row.projectId] ?? row.projectId, specId: row.specId,
                specPath: row.specId.flatMap { paths[$0] }, direction: row.syncDirection, success: row.success,
                at: row.syncedAt,
                details: SyncEvent.Details(
                    action: row.action, runId: row.runId, trigger: row.triggeredBy, files: row.filesChangedList,
                    fromCommit: row.fromCommit, toCommit: row.toCommit, durationMs: row.durationMs,
                    error: row.errorMessage))
        }
    }

    /// The id of the newest event: where a subscriber that asks for no history starts.
    public func lastEventId() throws -> Int64 {
        try store.lastHistoryId()
    }
}
