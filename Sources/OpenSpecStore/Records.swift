import Foundation

/// Lifecycle of a change folder as the database sees it.
public enum SpecStatus: String, Codable, Sendable, CaseIterable {
    case active, archived, removed
}

/// One registered git repository with an OpenSpec folder.
public struct ProjectRecord: Codable, Sendable, Equatable {
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
        return JSONArray.decode(pendingPaths) ?? []
    }

    public init(
        id: String, name: String, repoPath: String, openspecPath: String, createdAt: Date,
        lastReconciledCommit: String?, lastReconciledAt: Date?, reconciledOnce: Bool, pendingPaths: String,
        lastError: String?
    ) {
        self.id = id
        self.name = name
        self.repoPath = repoPath
        self.openspecPath = openspecPath
        self.createdAt = createdAt
        self.lastReconciledCommit = lastReconciledCommit
        self.lastReconciledAt = lastReconciledAt
        self.reconciledOnce = reconciledOnce
        self.pendingPaths = pendingPaths
        self.lastError = lastError
    }
}

extension ProjectRecord {
    /// The project under `name` and OpenSpec folder `openspecPath`, and
    /// whether the folder moved: a moved folder is synced anew (no commit
    /// synced yet), and the store drops its stat cache.
    public func renamed(_ name: String, openspecPath: String) -> (record: ProjectRecord, moved: Bool) {
        var updated = self
        let moved = self.openspecPath != openspecPath
        updated.name = name
        updated.openspecPath = openspecPath
        if moved { updated.reconciledOnce = false; updated.lastReconciledCommit = nil }
        return (updated, moved)
    }
}

/// A change folder's row: identity, lifecycle and the parsed content.
public struct SpecRecord: Codable, Sendable, Equatable {
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

    public init(
        id: String, projectId: String, path: String, changeId: String, title: String, status: SpecStatus,
        archivedOn: String?, proposalContent: String?, tasksContent: String?, designContent: String?,
        completedTasks: Int, totalTasks: Int, taskStatus: String, schemaName: String?, createdOn: String?,
        issues: String, firstSeenAt: Date, lastSyncedAt: Date?, filesystemModifiedAt: Date?, dbModifiedAt: Date?,
        syncError: String?
    ) {
        self.id = id
        self.projectId = projectId
        self.path = path
        self.changeId = changeId
        self.title = title
        self.status = status
        self.archivedOn = archivedOn
        self.proposalContent = proposalContent
        self.tasksContent = tasksContent
        self.designContent = designContent
        self.completedTasks = completedTasks
        self.totalTasks = totalTasks
        self.taskStatus = taskStatus
        self.schemaName = schemaName
        self.createdOn = createdOn
        self.issues = issues
        self.firstSeenAt = firstSeenAt
        self.lastSyncedAt = lastSyncedAt
        self.filesystemModifiedAt = filesystemModifiedAt
        self.dbModifiedAt = dbModifiedAt
        self.syncError = syncError
    }
}

/// A spec row without its content: what lists and lookups need.
public struct SpecSummary: Codable, Sendable, Equatable {
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

    public init(
        id: String, projectId: String, path: String, changeId: String, title: String, status: SpecStatus,
        archivedOn: String?, completedTasks: Int, totalTasks: Int, taskStatus: String, lastSyncedAt: Date?,
        syncError: String?
    ) {
        self.id = id
        self.projectId = projectId
        self.path = path
        self.changeId = changeId
        self.title = title
        self.status = status
        self.archivedOn = archivedOn
        self.completedTasks = completedTasks
        self.totalTasks = totalTasks
        self.taskStatus = taskStatus
        self.lastSyncedAt = lastSyncedAt
        self.syncError = syncError
    }
}

/// One file of a change folder as last synced.
public struct SpecFileRecord: Codable, Sendable, Equatable {
    public var specId: String
    public var path: String
    public var blobId: String
    public var size: Int
    public var isUTF8: Bool
    public var content: Data?
    public var syncError: String?

    public init(
        specId: String, path: String, blobId: String, size: Int, isUTF8: Bool, content: Data?, syncError: String?
    ) {
        self.specId = specId
        self.path = path
        self.blobId = blobId
        self.size = size
        self.isUTF8 = isUTF8
        self.content = content
        self.syncError = syncError
    }
}

/// A main spec (`openspec/specs/<capability>/spec.md`).
/// Whether a main spec's file is there (`mainSpecs.status`).
public enum MainSpecStatus: String, Codable, Sendable, CaseIterable {
    case present, removed
}

public struct MainSpecRecord: Codable, Sendable, Equatable {
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

    public init(
        id: String, projectId: String, capability: String, path: String, status: MainSpecStatus, title: String?,
        purpose: String?, requirementCount: Int, blobId: String?, size: Int, isUTF8: Bool, content: Data?,
        issues: String, lastSyncedAt: Date?, syncError: String?
    ) {
        self.id = id
        self.projectId = projectId
        self.capability = capability
        self.path = path
        self.status = status
        self.title = title
        self.purpose = purpose
        self.requirementCount = requirementCount
        self.blobId = blobId
        self.size = size
        self.isUTF8 = isUTF8
        self.content = content
        self.issues = issues
        self.lastSyncedAt = lastSyncedAt
        self.syncError = syncError
    }
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
public struct HistoryRecord: Codable, Sendable, Equatable {
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
    /// How many runs in a row this summary row stands for (see `SQLiteTransaction.insertRunSummary`).
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
        JSONArray.decode(filesChanged) ?? []
    }

    public init(
        id: Int64, projectId: String, specId: String?, runId: String, syncDirection: String, syncedAt: Date,
        success: Bool, errorMessage: String?, filesChanged: String, triggeredBy: String, action: String,
        fromCommit: String?, toCommit: String?, durationMs: Int?, runs: Int, firstSyncedAt: Date?
    ) {
        self.id = id
        self.projectId = projectId
        self.specId = specId
        self.runId = runId
        self.syncDirection = syncDirection
        self.syncedAt = syncedAt
        self.success = success
        self.errorMessage = errorMessage
        self.filesChanged = filesChanged
        self.triggeredBy = triggeredBy
        self.action = action
        self.fromCommit = fromCommit
        self.toCommit = toCommit
        self.durationMs = durationMs
        self.runs = runs
        self.firstSyncedAt = firstSyncedAt
    }
}

/// Counts per project, for `status`.
public struct ProjectCounts: Sendable, Equatable {
    public var active = 0
    public var archived = 0
    public var removed = 0
    public var withErrors = 0
    public var mainSpecs = 0

    public init() {}
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
public struct PendingWriteRecord: Codable, Sendable, Equatable {
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

    public init(
        id: Int64, projectId: String, specId: String, path: String, content: Data, baseBlobId: String?,
        createdAt: Date, attempts: Int, nextAttemptAt: Date, lastError: String?, status: WriteStatus,
        operation: WriteOperation, task: String?, done: Bool?, writtenBlobId: String?, failures: Int
    ) {
        self.id = id
        self.projectId = projectId
        self.specId = specId
        self.path = path
        self.content = content
        self.baseBlobId = baseBlobId
        self.createdAt = createdAt
        self.attempts = attempts
        self.nextAttemptAt = nextAttemptAt
        self.lastError = lastError
        self.status = status
        self.operation = operation
        self.task = task
        self.done = done
        self.writtenBlobId = writtenBlobId
        self.failures = failures
    }
}

/// A database edit that lost to a change on disk, kept whole.
public struct ConflictRecord: Codable, Sendable, Equatable {
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

    public init(
        id: Int64, projectId: String, specId: String?, path: String, dbContent: Data, baseBlobId: String?,
        fsBlobId: String?, dbModifiedAt: Date?, filesystemModifiedAt: Date?, lastSyncedAt: Date?, detectedAt: Date,
        resolvedAt: Date?, resolution: String?, reason: String?
    ) {
        self.id = id
        self.projectId = projectId
        self.specId = specId
        self.path = path
        self.dbContent = dbContent
        self.baseBlobId = baseBlobId
        self.fsBlobId = fsBlobId
        self.dbModifiedAt = dbModifiedAt
        self.filesystemModifiedAt = filesystemModifiedAt
        self.lastSyncedAt = lastSyncedAt
        self.detectedAt = detectedAt
        self.resolvedAt = resolvedAt
        self.resolution = resolution
        self.reason = reason
    }
}
