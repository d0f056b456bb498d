import Foundation
import GRDB

// How the records are read from and written to SQLite (GRDB's protocols):
// the records themselves are plain values, shared by every kind of store.

extension ProjectRecord: FetchableRecord, DateTextColumns, PersistableRecord {
    public static let databaseTableName = "projects"
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

extension SpecRecord: FetchableRecord, DateTextColumns {
    public static let databaseTableName = "openspecSpecs"
}

extension SpecRecord {
    /// Read by hand, as `ProjectRecord`: `specs.get` reads one per call, and
    /// a Codable decode of its 21 columns showed in that reply's profile.
    public init(row: Row) throws {
        id = row["id"]
        projectId = row["projectId"]
        path = row["path"]
        changeId = row["changeId"]
        title = row["title"]
        status = try SpecStatus(row: row, id: id)
        archivedOn = row["archivedOn"]
        proposalContent = row["proposalContent"]
        tasksContent = row["tasksContent"]
        designContent = row["designContent"]
        completedTasks = row["completedTasks"]
        totalTasks = row["totalTasks"]
        taskStatus = row["taskStatus"]
        schemaName = row["schemaName"]
        createdOn = row["createdOn"]
        issues = row["issues"]
        guard let firstSeen = (row["firstSeenAt"] as String?).flatMap(DateText.date) else {
            throw DatabaseError(message: "openspecSpecs.firstSeenAt of \(id) is not a date")
        }
        firstSeenAt = firstSeen
        lastSyncedAt = (row["lastSyncedAt"] as String?).flatMap(DateText.date)
        filesystemModifiedAt = (row["filesystemModifiedAt"] as String?).flatMap(DateText.date)
        dbModifiedAt = (row["dbModifiedAt"] as String?).flatMap(DateText.date)
        syncError = row["syncError"]
    }
}

extension SpecSummary: FetchableRecord, DateTextColumns {
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
        status = try SpecStatus(row: row, id: id)
        archivedOn = row["archivedOn"]
        completedTasks = row["completedTasks"]
        totalTasks = row["totalTasks"]
        taskStatus = row["taskStatus"]
        lastSyncedAt = (row["lastSyncedAt"] as String?).flatMap(DateText.date)
        syncError = row["syncError"]
    }
}

extension SpecFileRecord: FetchableRecord, DateTextColumns {}

extension SpecFileRecord {
    /// Read by hand, as `SpecRecord`: every file of a change, on each `specs.get`.
    public init(row: Row) throws {
        specId = row["specId"]
        path = row["path"]
        blobId = row["blobId"]
        size = row["size"]
        isUTF8 = row["isUTF8"]
        content = row["content"]
        syncError = row["syncError"]
    }
}
extension MainSpecStatus: DatabaseValueConvertible {}
extension MainSpecRecord: FetchableRecord, DateTextColumns {}
extension HistoryRecord: FetchableRecord, DateTextColumns {}
extension PendingWriteRecord: FetchableRecord, DateTextColumns {}
extension ConflictRecord: FetchableRecord, DateTextColumns {}
extension ChangeSearchRow: FetchableRecord, DateTextColumns {}

extension SpecStatus {
    /// A change row's status column, which only these three words may hold.
    init(row: Row, id: String) throws {
        let text: String = row["status"]
        guard let status = SpecStatus(rawValue: text) else {
            throw DatabaseError(message: "openspecSpecs.status of \(id) is \"\(text)\", not active, archived or removed")
        }
        self = status
    }
}
