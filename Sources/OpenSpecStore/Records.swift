import Foundation
import GRDB

/// Lifecycle of a change folder as the database sees it.
public enum SpecStatus: String, Codable, Sendable, CaseIterable {
    case active, archived, removed
}

/// One registered git repository with an OpenSpec folder.
public struct ProjectRecord: Codable, Sendable, Equatable, FetchableRecord, DateTextColumns, PersistableRecord {
    public static let databaseTableName = "projects"
    public var id: String
    public var name: String
    public var repoPath: String
    public var openspecPath: String
    public var createdAt: Date
    public var lastReconciledCommit: String?
    public var lastReconciledAt: Date?
    public var reconciledOnce: Bool
    public var pendingPaths: String
    public var lastError: String?

    public var pendingPathList: [String] {
        // Nearly always empty: no JSON decoder then (its first use costs a hook a millisecond).
        if pendingPaths == "[]" || pendingPaths.isEmpty { return [] }
        return (try? JSONDecoder().decode([String].self, from: Data(pendingPaths.utf8))) ?? []
    }
}

extension ProjectRecord {
    /// Read by hand rather than through Codable: every command reads its
    /// project first, and a Codable decode's first use in a process costs
    /// more than the query.
    public init(row: Row) throws {
        id = row["id"]
        name = row["name"]
        repoPath = row["repoPath"]
        openspecPath = row["openspecPath"]
        guard let created = (row["createdAt"] as String?).flatMap(DateText.date) else {
            throw DatabaseError(message: "projects.createdAt of \(id) is not a date")
        }
        createdAt = created
        lastReconciledCommit = row["lastReconciledCommit"]
        lastReconciledAt = (row["lastReconciledAt"] as String?).flatMap(DateText.date)
        reconciledOnce = row["reconciledOnce"]
        pendingPaths = row["pendingPaths"]
        lastError = row["lastError"]
    }
}

/// A change folder's row: identity, lifecycle and the parsed content.
public struct SpecRecord: Codable, Sendable, Equatable, FetchableRecord, DateTextColumns {
    public static let databaseTableName = "openspecSpecs"
    public var id: String
    public var projectId: String
    public var path: String
    public var changeId: String
    public var title: String
    public var status: SpecStatus
    public var archivedOn: String?
    public var proposalContent: String?
    public var tasksContent: String?
    public var designContent: String?
    public var completedTasks: Int
    public var totalTasks: Int
    public var taskStatus: String
    public var schemaName: String?
    public var createdOn: String?
    public var issues: String
    public var firstSeenAt: Date
    public var lastSyncedAt: Date?
    public var filesystemModifiedAt: Date?
    public var dbModifiedAt: Date?
    public var syncError: String?
}

/// A spec row without its content: what lists and lookups need.
public struct SpecSummary: Codable, Sendable, Equatable, FetchableRecord, DateTextColumns {
    public var id: String
    public var projectId: String
    public var path: String
    public var changeId: String
    public var title: String
    public var status: SpecStatus
    public var archivedOn: String?
    public var completedTasks: Int
    public var totalTasks: Int
    public var taskStatus: String
    public var lastSyncedAt: Date?
    public var syncError: String?
    static let columns = "id, projectId, path, changeId, title, status, archivedOn, completedTasks, totalTasks, taskStatus, lastSyncedAt, syncError"

    /// Read by hand, as `ProjectRecord`: a sync after a commit looks up a
    /// few of these, and a Codable decode's first use in a process (a
    /// protocol conformance search per column type) costs milliseconds.
    public init(row: Row) throws {
        id = row["id"]
        projectId = row["projectId"]
        path = row["path"]
        changeId = row["changeId"]
        title = row["title"]
        let statusText: String = row["status"]
        guard let status = SpecStatus(rawValue: statusText) else {
            throw DatabaseError(message: "openspecSpecs.status of \(id) is \"\(statusText)\", not active, archived or removed")
        }
        self.status = status
        archivedOn = row["archivedOn"]
        completedTasks = row["completedTasks"]
        totalTasks = row["totalTasks"]
        taskStatus = row["taskStatus"]
        lastSyncedAt = (row["lastSyncedAt"] as String?).flatMap(DateText.date)
        syncError = row["syncError"]
    }
}

/// One file of a change folder as last synced.
public struct SpecFileRecord: Codable, Sendable, Equatable, FetchableRecord, DateTextColumns {
    public var specId: String
    public var path: String
    public var blobId: String
    public var size: Int
    public var isUTF8: Bool
    public var content: Data?
    public var syncError: String?
}

/// A main spec (`openspec/specs/<capability>/spec.md`).
/// Whether a main spec's file is there (`mainSpecs.status`).
public enum MainSpecStatus: String, Codable, Sendable, CaseIterable, DatabaseValueConvertible {
    case present, removed
}

public struct MainSpecRecord: Codable, Sendable, Equatable, FetchableRecord, DateTextColumns {
    public var id: String
    public var projectId: String
    public var capability: String
    public var path: String
    public var status: MainSpecStatus
    public var title: String?
    public var purpose: String?
    public var requirementCount: Int
    public var blobId: String?
    public var size: Int
    public var isUTF8: Bool
    public var content: Data?
    public var issues: String
    public var lastSyncedAt: Date?
    public var syncError: String?
}

/// How a sync was set off. The seed's values plus the git hook names.
public enum SyncTrigger: String, Codable, Sendable, CaseIterable {
    case fileWatcher = "file_watcher"
    case periodic
    case userEdit = "user_edit"
    case manual
    case postCommit = "post-commit"
    case postMerge = "post-merge"
    case postCheckout = "post-checkout"
    case postRewrite = "post-rewrite"

    /// The git hooks a sync follows, in the order they are installed.
    public static let gitHooks: [SyncTrigger] = [.postCommit, .postMerge, .postCheckout, .postRewrite]
}

/// What a sync-log row records (`syncHistory.action`).
public enum HistoryAction: String, Codable, Sendable, CaseIterable {
    /// A run's start mark, written before its transaction.
    case started
    /// A reconcile's own row: `run` when it changed something, `unchanged` when not,
    /// `failed` when it could not happen at all.
    case run, unchanged, failed
    /// What a reconcile did to one change folder.
    case created, updated, archived, unarchived, removed, restored
    /// What a write did to one file, and a rollback of a change folder.
    case written, pending, conflict, rollback
}

public enum SyncDirection: String, Codable, Sendable {
    case filesystemToDatabase = "fs_to_db"
    case databaseToFilesystem = "db_to_fs"
}

/// One row of the sync log.
public struct HistoryRecord: Codable, Sendable, Equatable, FetchableRecord, DateTextColumns {
    public var id: Int64
    public var projectId: String
    public var specId: String?
    public var runId: String
    public var syncDirection: String
    public var syncedAt: Date
    public var success: Bool
    public var errorMessage: String?
    public var filesChanged: String
    public var triggeredBy: String
    public var action: String
    public var fromCommit: String?
    public var toCommit: String?
    public var durationMs: Int?
    /// How many runs in a row this summary row stands for (see `StoreWriter.insertRunSummary`).
    public var runs: Int
    /// When the first of those runs happened; nil for a row of one run.
    public var firstSyncedAt: Date?

    /// The action of the row a run writes as it begins, before its own
    /// transaction: what lets other processes see that a sync started.
    public static let startedAction = HistoryAction.started.rawValue

    /// Summary actions a run may repeat round after round: such a run
    /// takes the place of the previous one's row when nothing else differs.
    public static let repeatableActions: Set<HistoryAction> = [.unchanged, .failed]

    /// `action` as a `HistoryAction`; nil for a spelling this version does not know.
    public var historyAction: HistoryAction? { HistoryAction(rawValue: action) }

    public var filesChangedList: [String] {
        (try? JSONDecoder().decode([String].self, from: Data(filesChanged.utf8))) ?? []
    }
}

/// Counts per project, for `status`.
public struct ProjectCounts: Sendable, Equatable {
    public var active = 0
    public var archived = 0
    public var removed = 0
    public var withErrors = 0
    public var mainSpecs = 0
}

/// Where an edit made through the database stands.
public enum WriteStatus: String, Codable, Sendable {
    /// `unchanged`: applied, and the file already was so (nothing to commit).
    /// `failed` is only found in rows of older versions.
    case pending, written, unchanged, conflicted, failed
}

/// What a queued edit does to its file.
public enum WriteOperation: String, Codable, Sendable {
    /// Replace the whole file with `content`, made against `baseBlobId`.
    case replace
    /// Tick or untick one task of the file as it is when written.
    case toggleTask
}

/// An edit made through the database, to be (or already) written to a file.
public struct PendingWriteRecord: Codable, Sendable, Equatable, FetchableRecord, DateTextColumns {
    public var id: Int64
    public var projectId: String
    public var specId: String
    /// Relative to the change folder.
    public var path: String
    public var content: Data
    /// Blob id of the file as last synced; nil for a new file.
    public var baseBlobId: String?
    public var createdAt: Date
    public var attempts: Int
    public var nextAttemptAt: Date
    public var lastError: String?
    public var status: WriteStatus
    public var operation: WriteOperation
    /// For a toggle: the task's written number or `#N`, and whether to tick it.
    public var task: String?
    public var done: Bool?
    /// The blob an attempt put in place for this edit before committing it.
    public var writtenBlobId: String?
    /// Attempts that failed for a reason not known to pass by itself (a merge or `index.lock` do not count).
    public var failures: Int
}

/// A database edit that lost to a change on disk, kept whole.
public struct ConflictRecord: Codable, Sendable, Equatable, FetchableRecord, DateTextColumns {
    public var id: Int64
    public var projectId: String
    public var specId: String?
    public var path: String
    public var dbContent: Data
    public var baseBlobId: String?
    public var fsBlobId: String?
    public var dbModifiedAt: Date?
    public var filesystemModifiedAt: Date?
    public var lastSyncedAt: Date?
    public var detectedAt: Date
    public var resolvedAt: Date?
    public var resolution: String?
    /// Why the edit was kept instead of written.
    public var reason: String?
}
