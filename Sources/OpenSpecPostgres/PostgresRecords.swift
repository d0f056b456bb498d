import Foundation
import OpenSpecStore

// The records read from PostgreSQL rows; the column lists the queries select.

enum PGColumns {
    static let spec = "id, projectId, path, changeId, title, status, archivedOn, completedTasks, totalTasks, taskStatus, lastSyncedAt, syncError"
    static let file = "specId, path, blobId, size, isUTF8, content, syncError"
    static let mainSpec = """
        id, projectId, capability, path, status, title, purpose, requirementCount, blobId, \
        size, isUTF8, content, issues, lastSyncedAt, syncError
        """
}

extension PGRow {
    func status(_ column: String = "status") throws -> SpecStatus {
        let text = try string(column)
        guard let status = SpecStatus(rawValue: text) else { throw PostgresRecordError.unknownValue(column: column, text: text) }
        return status
    }

    func project() throws -> ProjectRecord {
        ProjectRecord(id: try string("id"), name: try string("name"), repoPath: try string("repoPath"),
                      openspecPath: try string("openspecPath"), createdAt: try date("createdAt"),
                      lastReconciledCommit: try optionalString("lastReconciledCommit"),
                      lastReconciledAt: try optionalDate("lastReconciledAt"), reconciledOnce: try bool("reconciledOnce"),
                      pendingPaths: try string("pendingPaths"), lastError: try optionalString("lastError"))
    }

    func specSummary() throws -> SpecSummary {
        SpecSummary(id: try string("id"), projectId: try string("projectId"), path: try string("path"),
                    changeId: try string("changeId"), title: try string("title"), status: try status(),
                    archivedOn: try optionalString("archivedOn"), completedTasks: try int("completedTasks"),
                    totalTasks: try int("totalTasks"), taskStatus: try string("taskStatus"),
                    lastSyncedAt: try optionalDate("lastSyncedAt"), syncError: try optionalString("syncError"))
    }

    func spec() throws -> SpecRecord {
        SpecRecord(id: try string("id"), projectId: try string("projectId"), path: try string("path"),
                   changeId: try string("changeId"), title: try string("title"), status: try status(),
                   archivedOn: try optionalString("archivedOn"), proposalContent: try optionalString("proposalContent"),
                   tasksContent: try optionalString("tasksContent"), designContent: try optionalString("designContent"),
                   completedTasks: try int("completedTasks"), totalTasks: try int("totalTasks"),
                   taskStatus: try string("taskStatus"), schemaName: try optionalString("schemaName"),
                   createdOn: try optionalString("createdOn"), issues: try string("issues"),
                   firstSeenAt: try date("firstSeenAt"), lastSyncedAt: try optionalDate("lastSyncedAt"),
                   filesystemModifiedAt: try optionalDate("filesystemModifiedAt"),
                   dbModifiedAt: try optionalDate("dbModifiedAt"), syncError: try optionalString("syncError"))
    }

    func specFile() throws -> SpecFileRecord {
        SpecFileRecord(specId: try string("specId"), path: try string("path"), blobId: try string("blobId"),
                       size: try int("size"), isUTF8: try bool("isUTF8"), content: try data("content"),
                       syncError: try optionalString("syncError"))
    }

    func mainSpec() throws -> MainSpecRecord {
        let statusText = try string("status")
        guard let status = MainSpecStatus(rawValue: statusText) else {
            throw PostgresRecordError.unknownValue(column: "mainSpecs.status", text: statusText)
        }
        return MainSpecRecord(id: try string("id"), projectId: try string("projectId"), capability: try string("capability"),
                              path: try string("path"), status: status, title: try optionalString("title"),
                              purpose: try optionalString("purpose"), requirementCount: try int("requirementCount"),
                              blobId: try optionalString("blobId"), size: try int("size"), isUTF8: try bool("isUTF8"),
                              content: try data("content"), issues: try string("issues"),
                              lastSyncedAt: try optionalDate("lastSyncedAt"), syncError: try optionalString("syncError"))
    }

    func history() throws -> HistoryRecord {
        HistoryRecord(id: try int64("id"), projectId: try string("projectId"), specId: try optionalString("specId"),
                      runId: try string("runId"), syncDirection: try string("syncDirection"), syncedAt: try date("syncedAt"),
                      success: try bool("success"), errorMessage: try optionalString("errorMessage"),
                      filesChanged: try string("filesChanged"), triggeredBy: try string("triggeredBy"),
                      action: try string("action"), fromCommit: try optionalString("fromCommit"),
                      toCommit: try optionalString("toCommit"), durationMs: try optionalInt("durationMs"),
                      runs: try int("runs"), firstSyncedAt: try optionalDate("firstSyncedAt"))
    }

    func pendingWrite() throws -> PendingWriteRecord {
        let statusText = try string("status"), operationText = try string("operation")
        guard let status = WriteStatus(rawValue: statusText) else {
            throw PostgresRecordError.unknownValue(column: "pendingWrites.status", text: statusText)
        }
        guard let operation = WriteOperation(rawValue: operationText) else {
            throw PostgresRecordError.unknownValue(column: "pendingWrites.operation", text: operationText)
        }
        return PendingWriteRecord(id: try int64("id"), projectId: try string("projectId"), specId: try string("specId"),
                                  path: try string("path"), content: try data("content") ?? Data(),
                                  baseBlobId: try optionalString("baseBlobId"), createdAt: try date("createdAt"),
                                  attempts: try int("attempts"), nextAttemptAt: try date("nextAttemptAt"),
                                  lastError: try optionalString("lastError"), status: status, operation: operation,
                                  task: try optionalString("task"), done: try optionalBool("done"),
                                  writtenBlobId: try optionalString("writtenBlobId"), failures: try int("failures"))
    }

    func conflict() throws -> ConflictRecord {
        ConflictRecord(id: try int64("id"), projectId: try string("projectId"), specId: try optionalString("specId"),
                       path: try string("path"), dbContent: try data("dbContent") ?? Data(),
                       baseBlobId: try optionalString("baseBlobId"), fsBlobId: try optionalString("fsBlobId"),
                       dbModifiedAt: try optionalDate("dbModifiedAt"), filesystemModifiedAt: try optionalDate("filesystemModifiedAt"),
                       lastSyncedAt: try optionalDate("lastSyncedAt"), detectedAt: try date("detectedAt"),
                       resolvedAt: try optionalDate("resolvedAt"), resolution: try optionalString("resolution"),
                       reason: try optionalString("reason"))
    }

    func searchRow() throws -> ChangeSearchRow {
        ChangeSearchRow(id: try string("id"), projectId: try string("projectId"), changeId: try string("changeId"),
                        path: try string("path"), title: try string("title"), status: try status(),
                        column: try string("column"), completedTasks: try int("completedTasks"),
                        totalTasks: try int("totalTasks"), progress: try int("progress"), issueCount: try int("issueCount"),
                        hasErrors: try bool("hasErrors"), openConflicts: try int("openConflicts"),
                        changedAt: try optionalDate("changedAt"))
    }
}
