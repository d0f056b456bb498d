import Foundation

/// What the reconciler writes for one change folder.
public struct SpecValues: Sendable {
    public var path: String
    public var changeId: String
    public var title: String
    public var status: SpecStatus
    public var archivedOn: String?
    public var proposalContent: ColumnText?
    public var tasksContent: ColumnText?
    public var designContent: ColumnText?
    public var completedTasks: Int
    public var totalTasks: Int
    public var taskStatus: String
    public var schemaName: String?
    public var createdOn: String?
    public var issuesJSON: String
    public var filesystemModifiedAt: Date?
    public var syncError: String?

    public init(
        path: String, changeId: String, title: String, status: SpecStatus, archivedOn: String?,
        proposalContent: ColumnText?, tasksContent: ColumnText?, designContent: ColumnText?,
        completedTasks: Int, totalTasks: Int, taskStatus: String,
        schemaName: String?, createdOn: String?, issuesJSON: String,
        filesystemModifiedAt: Date?, syncError: String?
    ) {
        self.path = path; self.changeId = changeId; self.title = title; self.status = status
        self.archivedOn = archivedOn; self.proposalContent = proposalContent
        self.tasksContent = tasksContent; self.designContent = designContent
        self.completedTasks = completedTasks; self.totalTasks = totalTasks; self.taskStatus = taskStatus
        self.schemaName = schemaName; self.createdOn = createdOn
        self.issuesJSON = issuesJSON; self.filesystemModifiedAt = filesystemModifiedAt; self.syncError = syncError
    }
}

/// One file of a change folder, as read now.
public struct FileValues: Sendable, Equatable {
    public var path: String
    public var blobId: String
    public var size: Int
    public var isUTF8: Bool
    public var content: Data?
    public var syncError: String?

    public init(path: String, blobId: String, size: Int, isUTF8: Bool, content: Data?, syncError: String?) {
        self.path = path; self.blobId = blobId; self.size = size; self.isUTF8 = isUTF8
        self.content = content; self.syncError = syncError
    }
}

public struct MainSpecValues: Sendable {
    public var capability: String
    public var path: String
    public var title: String?
    public var purpose: String?
    public var requirementCount: Int
    public var blobId: String
    public var size: Int
    public var isUTF8: Bool
    public var content: Data?
    public var issuesJSON: String
    public var syncError: String?

    public init(capability: String, path: String, title: String?, purpose: String?, requirementCount: Int,
                blobId: String, size: Int, isUTF8: Bool, content: Data?, issuesJSON: String, syncError: String?) {
        self.capability = capability; self.path = path; self.title = title; self.purpose = purpose
        self.requirementCount = requirementCount; self.blobId = blobId; self.size = size
        self.isUTF8 = isUTF8; self.content = content; self.issuesJSON = issuesJSON; self.syncError = syncError
    }
}

public struct HistoryValues: Sendable {
    public var projectId: String
    public var specId: String?
    public var runId: String
    public var direction: SyncDirection
    public var syncedAt: Date
    public var success: Bool
    public var errorMessage: String?
    public var filesChanged: [String]
    public var triggeredBy: String
    public var action: String
    public var fromCommit: String?
    public var toCommit: String?
    public var durationMs: Int?

    public init(projectId: String, specId: String?, runId: String, direction: SyncDirection, syncedAt: Date,
                success: Bool, errorMessage: String?, filesChanged: [String], triggeredBy: String,
                action: String, fromCommit: String?, toCommit: String?, durationMs: Int?) {
        self.projectId = projectId; self.specId = specId; self.runId = runId; self.direction = direction
        self.syncedAt = syncedAt; self.success = success; self.errorMessage = errorMessage
        self.filesChanged = filesChanged; self.triggeredBy = triggeredBy; self.action = action
        self.fromCommit = fromCommit; self.toCommit = toCommit; self.durationMs = durationMs
    }
}
