import Foundation
import OpenSpecFormat
import OpenSpecStore

/// One row of `list --json`: OpenSpec's `list --json` fields plus identity.
public struct ChangeListing: Codable, Sendable, Equatable {
    public var id: String
    public var changeId: String
    public var path: String
    public var project: String
    public var status: String
    public var archivedOn: String?
    public var title: String
    public var completedTasks: Int
    public var totalTasks: Int
    public var taskStatus: String
    public var lastSyncedAt: Date?
    public var syncError: String?
}

/// `show --json`: the row, its files, tasks and validation issues.
public struct SpecDetail: Codable, Sendable {
    public struct File: Codable, Sendable {
        public var path: String
        public var blobId: String
        public var size: Int
        public var isUTF8: Bool
    }
    public struct Task: Codable, Sendable {
        public var line: Int
        public var marker: String
        public var done: Bool
        public var number: String?
        public var text: String
        public var indent: Int?
        public var group: String?
        /// The task file that holds it, relative to the change folder.
        public var file: String?

        init(_ item: TaskItem, file: String) {
            line = item.line; marker = item.marker; done = item.isDone; number = item.number
            text = item.text; indent = item.indent; group = item.group; self.file = file
        }
    }
    public var id: String
    public var changeId: String
    public var path: String
    public var project: String
    public var status: String
    public var archivedOn: String?
    public var title: String
    public var schemaName: String?
    public var createdOn: String?
    public var completedTasks: Int
    public var totalTasks: Int
    public var taskStatus: String
    public var tasks: [Task]
    /// The schema's `apply.tracks` glob (`tasks.md` when it tracks none).
    public var trackedTasks: String
    /// The files that hold the tasks, in glob order (`task` counts `#N` through them in this order).
    public var taskFiles: [String]
    /// The schema's artifacts and whether each exists, as `openspec status` shows them.
    public var artifacts: [ArtifactPresence]
    public var issues: [ValidationIssue]
    public var files: [File]
    public var proposalContent: String?
    public var tasksContent: String?
    public var designContent: String?
    public var firstSeenAt: Date
    public var lastSyncedAt: Date?
    public var filesystemModifiedAt: Date?
    public var dbModifiedAt: Date?
    public var syncError: String?
}

/// One page of the sync log, newest first (`history --json`,
/// `sync.getSyncHistory`). `nextCursor` is the `before` of the next page,
/// null on the last one.
public struct HistoryPage: Encodable, Sendable {
    public var items: [HistoryItem]
    public var nextCursor: Int64?
    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(items, forKey: .items)
        try container.encode(nextCursor, forKey: .nextCursor)  // null, not absent, on the last page
    }
    enum CodingKeys: String, CodingKey { case items, nextCursor }
}

/// What became of a write, as `--json` and the API report it: `written`
/// (with its commit), `pending` (with why), `conflict` (with the kept edit's
/// id) or `resolved`.
public struct WriteReport: Encodable, Sendable {
    /// The spellings of `outcome`.
    public enum Outcome: String, Sendable {
        case written, unchanged, pending, conflict, resolved
    }

    public var outcome: String
    public var commit: String?
    public var reason: String?
    public var conflictId: Int64?
    public init(outcome: String, commit: String? = nil, reason: String? = nil, conflictId: Int64? = nil) {
        self.outcome = outcome; self.commit = commit; self.reason = reason; self.conflictId = conflictId
    }
    public init(_ outcome: Outcome, commit: String? = nil, reason: String? = nil, conflictId: Int64? = nil) {
        self.init(outcome: outcome.rawValue, commit: commit, reason: reason, conflictId: conflictId)
    }
}

/// One row of `history --json`.
public struct HistoryItem: Codable, Sendable, Equatable {
    public var id: Int64
    public var project: String
    public var specId: String?
    public var specPath: String?
    public var syncDirection: String
    public var syncedAt: Date
    public var success: Bool
    public var action: String
    public var errorMessage: String?
    public var filesChanged: [String]
    public var triggeredBy: String
    public var fromCommit: String?
    public var toCommit: String?
    public var durationMs: Int?
    /// How many runs in a row this row stands for: runs that changed
    /// nothing (or failed the same way) share one row.
    public var runs: Int
    /// When the first of those runs happened; nil for a row of one run.
    public var firstSyncedAt: Date?
}

/// One project in `status --json`.
public struct ProjectStatus: Codable, Sendable {
    public var id: String
    public var name: String
    public var repoPath: String
    public var openspecPath: String
    public var lastReconciledCommit: String?
    public var lastReconciledAt: Date?
    public var lastError: String?
    public var pendingPaths: [String]
    public var active: Int
    public var archived: Int
    public var removed: Int
    public var withErrors: Int
    public var mainSpecs: Int
    /// Edits made through the database still waiting to reach their files.
    public var pendingWrites: Int
    /// Edits that lost to a change on disk and are kept for re-applying.
    public var openConflicts: Int
    public var lastRun: HistoryItem?
    /// Paths under `changes/` left out on purpose: names that are not UTF-8, submodules.
    public var skipped: [SkippedPath]
    /// With `status(owners: true)`: the host that holds the project (absent
    /// for one registered before hosts were recorded and not adopted yet),
    /// and the other hosts with a clone.
    public var owner: OwnerStatus?
    public var standbys: [HostStatus]?
}

/// The owner of a project in `status --json`.
public struct OwnerStatus: Codable, Sendable {
    public var host: String?
    /// When the owner last renewed its lease, how long ago that was (ms), and until when the lease runs.
    public var leaseRenewedAt: Date?
    public var leaseAgeMs: Int?
    public var leaseExpiresAt: Date?
    /// Whether the lease still runs (a standby takes a project whose lease ran out).
    public var held: Bool
    /// Whether the owner is the host that asked.
    public var isThisHost: Bool
}

/// A host with a clone of a project.
public struct HostStatus: Codable, Sendable {
    public var host: String
    public var repoPath: String
    /// When the host last said it was alive.
    public var seenAt: Date
}

extension SyncEngine {
    /// Project names by id.
    func projectNames(reading reads: (any StoreReads)? = nil) throws -> [String: String] {
        Dictionary(try (reads ?? store).projects().map { ($0.id, $0.name) }, uniquingKeysWith: { a, _ in a })
    }

    public func listChanges(projectId: String?, statuses: Set<SpecStatus>?) throws -> [ChangeListing] {
        var changes: [ChangeListing] = []
        try forEachChange(projectId: projectId, statuses: statuses) { changes.append($0) }
        return changes
    }

    /// The changes of `listChanges`, in its order, handed to `body` one at a
    /// time as they are read: a caller that writes each one out holds one.
    public func forEachChange(projectId: String?, statuses: Set<SpecStatus>?,
                              _ body: (ChangeListing) throws -> Void) throws {
        let names = try projectNames()
        try store.forEachSpecSummary(projectId: projectId, statuses: statuses) { spec in
            try body(listing(spec, project: names[spec.projectId]))
        }
    }

    func listing(_ spec: SpecSummary, project: String?) -> ChangeListing {
        ChangeListing(id: spec.id, changeId: spec.changeId, path: spec.path, project: project ?? spec.projectId,
                      status: spec.status.rawValue, archivedOn: spec.archivedOn, title: spec.title,
                      completedTasks: spec.completedTasks, totalTasks: spec.totalTasks, taskStatus: spec.taskStatus,
                      lastSyncedAt: spec.lastSyncedAt, syncError: spec.syncError)
    }

    /// `files`: the change's file rows when the caller has read them already
    /// (with their content, for the API), so they are not read twice.
    public func detail(of summary: SpecSummary, files fileRows: [SpecFileRecord]? = nil, reading reads: (any StoreReads)? = nil) throws -> SpecDetail {
        let reads = reads ?? store
        guard let spec = try reads.spec(id: summary.id) else { throw SyncError.unknownSpec(summary.id) }
        let names = try projectNames(reading: reads)
        let issues = IssuesColumn.decode(spec.issues)
        let records = try fileRows ?? reads.specFiles(specId: spec.id, withContent: false)
        let files = records.map { SpecDetail.File(path: $0.path, blobId: $0.blobId, size: $0.size, isUTF8: $0.isUTF8) }
        // The task list is parsed from the task files when shown, not stored:
        // tasks.md's text is in the row, other files (and tasks.md when it is
        // not UTF-8) in their file rows.
        let schema = try resolvedSchema(projectId: spec.projectId, folder: spec.path, schemaName: spec.schemaName, reading: reads)
        let paths = records.map(\.path)
        let taskFiles = schema.taskFiles(in: paths)
        var tasks: [SpecDetail.Task] = []
        for file in taskFiles {
            var bytes = file == "tasks.md" ? spec.tasksContent.map { Array($0.utf8) } : nil
            if bytes == nil, let row = records.first(where: { $0.path == file }) {
                bytes = try (row.content ?? reads.fileContent(specId: spec.id, path: row.path)).map { [UInt8]($0) }
            }
            guard let bytes else { continue }
            tasks += TaskList.parse(bytes, path: spec.path + "/" + file).tasks.map { SpecDetail.Task($0, file: file) }
        }
        return SpecDetail(
            id: spec.id, changeId: spec.changeId, path: spec.path, project: names[spec.projectId] ?? spec.projectId,
            status: spec.status.rawValue, archivedOn: spec.archivedOn, title: spec.title, schemaName: spec.schemaName,
            createdOn: spec.createdOn, completedTasks: spec.completedTasks, totalTasks: spec.totalTasks,
            taskStatus: spec.taskStatus, tasks: tasks, trackedTasks: schema.trackedTasks, taskFiles: taskFiles,
            artifacts: schema.artifacts(in: paths), issues: issues, files: files,
            proposalContent: spec.proposalContent, tasksContent: spec.tasksContent, designContent: spec.designContent,
            firstSeenAt: spec.firstSeenAt, lastSyncedAt: spec.lastSyncedAt,
            filesystemModifiedAt: spec.filesystemModifiedAt, dbModifiedAt: spec.dbModifiedAt, syncError: spec.syncError)
    }

    /// At most `limit` rows of history before the row id `cursor`. One row
    /// more is read to know whether there is a next page; the cursor is a
    /// row id and ids only grow, so new rows never shift a page.
    public func historyPage(projectId: String?, specId: String?, limit: Int, cursor: Int64?) throws -> HistoryPage {
        let items = try history(projectId: projectId, specId: specId, limit: limit + 1, before: cursor)
        let page = Array(items.prefix(limit))
        return HistoryPage(items: page, nextCursor: items.count > limit ? page.last?.id : nil)
    }

    /// History newest first; pass the last `id` seen as `before` for the next page.
    public func history(projectId: String?, specId: String?, limit: Int, before: Int64?, reading reads: (any StoreReads)? = nil) throws -> [HistoryItem] {
        let reads = reads ?? store
        let names = try projectNames(reading: reads)
        var paths: [String: String] = [:]
        return try reads.history(projectId: projectId, specId: specId, limit: limit, before: before).map { row in
            if let id = row.specId, paths[id] == nil { paths[id] = try reads.spec(id: id)?.path }
            return item(row, project: names[row.projectId], specPath: row.specId.flatMap { paths[$0] })
        }
    }

    private func item(_ row: HistoryRecord, project: String?, specPath: String?) -> HistoryItem {
        HistoryItem(id: row.id, project: project ?? row.projectId, specId: row.specId,
                    specPath: specPath, syncDirection: row.syncDirection, syncedAt: row.syncedAt,
                    success: row.success, action: row.action, errorMessage: row.errorMessage,
                    filesChanged: row.filesChangedList, triggeredBy: row.triggeredBy,
                    fromCommit: row.fromCommit, toCommit: row.toCommit, durationMs: row.durationMs,
                    runs: row.runs, firstSyncedAt: row.firstSyncedAt)
    }

    /// The newest summary row of a project's runs, as a history item.
    public func lastRun(projectId: String, reading reads: (any StoreReads)? = nil) throws -> HistoryItem? {
        let reads = reads ?? store
        let name = try reads.project(id: projectId)?.name
        return try reads.lastRun(projectId: projectId).map { item($0, project: name, specPath: nil) }
    }

    /// What the reconciler leaves out of a project on purpose (a name that
    /// is not UTF-8, a submodule under changes/), as `status` lists it.
    public func skippedPaths(projectId: String, reading reads: (any StoreReads)? = nil) throws -> [SkippedPath] {
        SkippedPaths.decode(try (reads ?? store).skippedPaths(projectId: projectId)).all
    }

    /// Every project's state; with `owners`, who holds each (three more
    /// reads, which `projects.list` leaves out).
    public func status(reading reads: (any StoreReads)? = nil, owners withOwners: Bool = false) throws -> [ProjectStatus] {
        let reads = reads ?? store
        let now = withOwners ? try store.databaseNow() : Date()
        let owners = withOwners ? Dictionary(try store.projectOwners().map { ($0.projectId, $0) }, uniquingKeysWith: { a, _ in a }) : [:]
        let clones = withOwners ? Dictionary(grouping: try store.projectHosts(projectId: nil), by: \.projectId) : [:]
        return try reads.projects().map { project in
            let owner = owners[project.id].map { owner in
                OwnerStatus(host: owner.ownerHost, leaseRenewedAt: owner.leaseRenewedAt,
                            leaseAgeMs: owner.leaseRenewedAt.map { max(0, Int(now.timeIntervalSince($0) * 1000)) },
                            leaseExpiresAt: owner.leaseExpiresAt, held: !owner.isFree(at: now), isThisHost: owner.ownerHost == host)
            }
            let standbys = withOwners ? (clones[project.id] ?? []).filter { $0.host != owner?.host }
                .map { HostStatus(host: $0.host, repoPath: $0.repoPath, seenAt: $0.seenAt) } : nil
            let counts = try reads.projectCounts(projectId: project.id)
            let writes = try reads.writeCounts(projectId: project.id)
            let last = try reads.lastRun(projectId: project.id).map { item($0, project: project.name, specPath: nil) }
            return ProjectStatus(
                id: project.id, name: project.name, repoPath: project.repoPath, openspecPath: project.openspecPath,
                lastReconciledCommit: project.lastReconciledCommit, lastReconciledAt: project.lastReconciledAt,
                lastError: project.lastError, pendingPaths: project.pendingPathList, active: counts.active,
                archived: counts.archived, removed: counts.removed, withErrors: counts.withErrors,
                mainSpecs: counts.mainSpecs, pendingWrites: writes.pendingWrites, openConflicts: writes.openConflicts,
                lastRun: last, skipped: try skippedPaths(projectId: project.id, reading: reads),
                owner: owner, standbys: standbys)
        }
    }
}
