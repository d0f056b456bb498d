import Foundation

/// The database as the engine, the daemon, the server and the executable see
/// it, whatever keeps it: `SQLiteStore` (one file, the default) or a
/// PostgreSQL store (a database URL). Callers hold an `any SyncStore`; only
/// the code that opens a store names an implementation.
///
/// Every method is one read or one write transaction, and every write goes
/// through `write` (or `bulkWrite`) with a `StoreTransaction`: all or
/// nothing, and the change counter moves once per committed transaction.
/// Records are plain values; no type of a database library crosses this line.
/// Paths, ids and change ids sort as bytes (SQLite's binary collation), in
/// every order a method promises.
public protocol SyncStore: AnyObject, Sendable {
    // MARK: Transactions

    /// Runs `body` inside one write transaction: all or nothing. A write
    /// transaction waits for any other (in any process) to finish first.
    func write<T>(_ body: (any StoreTransaction) throws -> T) throws -> T
    /// Like `write`, for a transaction that writes most of its rows anew (a
    /// project's first import); a store may write such a transaction
    /// another way, never less safely.
    func bulkWrite<T>(_ body: (any StoreTransaction) throws -> T) throws -> T

    // MARK: Projects

    /// Registers a repository, or returns it unchanged when already
    /// registered; a new `openspecPath` forgets where its reconciles stood.
    /// Throws `StoreError.projectNameTaken` when another repository has `name`.
    func registerProject(name: String, repoPath: String, openspecPath: String) throws -> ProjectRecord
    /// Every project, by name.
    func projects() throws -> [ProjectRecord]
    func project(id: String) throws -> ProjectRecord?
    func project(repoPath: String) throws -> ProjectRecord?
    func project(named name: String) throws -> ProjectRecord?
    /// Changes per status, those with errors, and present main specs.
    func projectCounts(projectId: String) throws -> ProjectCounts
    /// The JSON of what the reconciler skips on purpose in a project ("{}": nothing).
    func skippedPaths(projectId: String) throws -> String

    // MARK: Changes and their files

    /// Summaries of a project's (or every project's) changes, optionally
    /// limited to some statuses, by path.
    func specSummaries(projectId: String?, statuses: Set<SpecStatus>?) throws -> [SpecSummary]
    /// Summaries in listing order (active, archived, removed; then path),
    /// handed to `body` one at a time, all from one state of the database.
    func forEachSpecSummary(projectId: String?, statuses: Set<SpecStatus>?, _ body: (SpecSummary) throws -> Void) throws
    /// Up to `limit` changes after `key` in the list's order (status, path, id).
    func specPage(projectId: String?, statuses: Set<SpecStatus>?, after key: SpecListKey?, limit: Int) throws -> [SpecSummary]
    /// How many changes the list holds with these filters.
    func specCount(projectId: String?, statuses: Set<SpecStatus>?) throws -> Int
    /// Up to `limit` present changes of a project not verified since
    /// `before`, never-verified first, then oldest first.
    func staleSpecs(projectId: String, before: Date, limit: Int) throws -> [SpecSummary]
    func spec(id: String) throws -> SpecRecord?
    /// Changes whose change id, folder path (`changes/<key>` too) or row id
    /// equals `key`, by status then path.
    func specsMatching(_ key: String, projectId: String?) throws -> [SpecSummary]
    /// Where a change is and whether it still exists, for a write.
    func specPlace(id: String) throws -> SpecPlace?
    /// The schema name a change's row records.
    func schemaName(specId: String) throws -> String?
    /// A change's files by path; `content` only when `withContent`.
    func specFiles(specId: String, withContent: Bool) throws -> [SpecFileRecord]
    /// One file of a change as last synced, content included.
    func specFile(specId: String, path: String) throws -> SpecFileRecord?
    /// The bytes of one file of a change as last synced.
    func fileContent(specId: String, path: String) throws -> Data?
    /// Filters, counts, sorts and pages a search of changes (see `ChangeQuery`).
    func searchChanges(_ query: ChangeQuery) throws -> ChangeSearch

    // MARK: Main specs

    /// A project's main specs by capability, without their content.
    func mainSpecs(projectId: String) throws -> [MainSpecRecord]
    /// One main spec with its content.
    func mainSpec(projectId: String, capability: String) throws -> MainSpecRecord?

    // MARK: History

    /// History rows, newest first; `before` is the id of the last row
    /// already seen. `started` marks only when `includeStarted`.
    func history(projectId: String?, specId: String?, limit: Int, before: Int64?, includeStarted: Bool) throws -> [HistoryRecord]
    /// History rows after `id`, oldest first, `started` marks included: the event log.
    func history(after id: Int64, projectId: String?, limit: Int) throws -> [HistoryRecord]
    /// The latest run summary of a project (not a `started` mark).
    func lastRun(projectId: String) throws -> HistoryRecord?
    /// The newest history row id (0 when there is none).
    func lastHistoryId() throws -> Int64

    // MARK: Writes to files and conflicts

    func pendingWrite(id: Int64) throws -> PendingWriteRecord?
    /// The waiting edits of one file, in queue order.
    func pendingWrites(specId: String, path: String) throws -> [PendingWriteRecord]
    /// Pending writes of a project whose next attempt is due, oldest first.
    func duePendingWrites(projectId: String, now: Date) throws -> [PendingWriteRecord]
    func conflict(id: Int64) throws -> ConflictRecord?
    /// Conflicts, newest first; only unresolved ones unless `includeResolved`.
    func conflicts(projectId: String?, specId: String?, includeResolved: Bool) throws -> [ConflictRecord]
    /// Pending writes and unresolved conflicts of a project, or of one change of it.
    func writeCounts(projectId: String, specId: String?) throws -> (pendingWrites: Int, openConflicts: Int)

    // MARK: Change counter

    /// A number that grows with every committed write transaction, never
    /// behind the clock in milliseconds: equal numbers mean nothing changed.
    func changeCounter() throws -> Int64
}

/// The calls with their usual defaults (a protocol's requirements cannot have them).
extension SyncStore {
    public func specSummaries(projectId: String?) throws -> [SpecSummary] {
        try specSummaries(projectId: projectId, statuses: nil)
    }

    public func forEachSpecSummary(projectId: String?, _ body: (SpecSummary) throws -> Void) throws {
        try forEachSpecSummary(projectId: projectId, statuses: nil, body)
    }

    public func history(projectId: String? = nil, specId: String? = nil, limit: Int, before: Int64? = nil) throws -> [HistoryRecord] {
        try history(projectId: projectId, specId: specId, limit: limit, before: before, includeStarted: false)
    }

    public func writeCounts(projectId: String) throws -> (pendingWrites: Int, openConflicts: Int) {
        try writeCounts(projectId: projectId, specId: nil)
    }

    /// The SQLite store behind this one, for what only SQLite has (its log,
    /// its integrity check); nil for any other kind of store.
    public var sqlite: SQLiteStore? { self as? SQLiteStore }
}
