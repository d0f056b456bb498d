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
public protocol SyncStore: StoreReads, AnyObject, Sendable {
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
    func project(repoPath: String) throws -> ProjectRecord?

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
    /// Where a change is and whether it still exists, for a write.
    func specPlace(id: String) throws -> SpecPlace?
    /// The schema name a change's row records.
    func schemaName(specId: String) throws -> String?
    /// One file of a change as last synced, content included.
    func specFile(specId: String, path: String) throws -> SpecFileRecord?
    /// Filters, counts, sorts and pages a search of changes (see `ChangeQuery`).
    func searchChanges(_ query: ChangeQuery) throws -> ChangeSearch

    // MARK: Main specs

    /// A project's main specs by capability, without their content.
    func mainSpecs(projectId: String) throws -> [MainSpecRecord]
    /// One main spec with its content.
    func mainSpec(projectId: String, capability: String) throws -> MainSpecRecord?

    // MARK: History

    /// History rows after `id`, oldest first, `started` marks included: the event log.
    func history(after id: Int64, projectId: String?, limit: Int) throws -> [HistoryRecord]
    /// The newest history row id (0 when there is none).
    func lastHistoryId() throws -> Int64
    /// A signal (the newest history id) whenever a write transaction that
    /// added history rows commits, in any process sharing the database, and
    /// once each time the signals (re)start, since some may have been missed.
    /// Ends when the consumer stops or the store closes. Nil for a store
    /// without such signals: its readers poll `history(after:)`.
    func historySignals() -> AsyncStream<Int64>?

    // MARK: Writes to files and conflicts

    func pendingWrite(id: Int64) throws -> PendingWriteRecord?
    /// The waiting edits of one file, in queue order.
    func pendingWrites(specId: String, path: String) throws -> [PendingWriteRecord]
    /// Pending writes of a project whose next attempt is due, oldest first.
    func duePendingWrites(projectId: String, now: Date) throws -> [PendingWriteRecord]
    func conflict(id: Int64) throws -> ConflictRecord?
    /// Conflicts, newest first; only unresolved ones unless `includeResolved`.
    func conflicts(projectId: String?, specId: String?, includeResolved: Bool) throws -> [ConflictRecord]

    // MARK: Hosts and owners

    /// Like `write`, for a transaction that only records hosts, leases and
    /// claims of queued edits: it leaves the change counter (and with it
    /// every reply's ETag) where it was, since no reply's content changes.
    func ownershipWrite<T>(_ body: (any StoreTransaction) throws -> T) throws -> T
    /// Every project's owner row.
    func projectOwners() throws -> [ProjectOwnerRecord]
    func projectOwner(projectId: String) throws -> ProjectOwnerRecord?
    /// The hosts with a clone of a project (of every project when nil), by project then host.
    func projectHosts(projectId: String?) throws -> [ProjectHostRecord]
    /// The clone `host` registered at `repoPath`, if any.
    func projectHost(host: String, repoPath: String) throws -> ProjectHostRecord?
    /// The time by the database's clock, which every host's leases are measured by.
    func databaseNow() throws -> Date

    // MARK: Snapshots

    /// Runs `body` with reads that all see one state of the database (one
    /// read transaction), for a reply made of several reads. A store
    /// without snapshots hands over itself: each read then sees its own.
    func snapshot<T>(_ body: (any StoreReads) throws -> T) throws -> T
}

/// The calls with their usual defaults (a protocol's requirements cannot have them).
extension SyncStore {
    public func specSummaries(projectId: String?) throws -> [SpecSummary] {
        try specSummaries(projectId: projectId, statuses: nil)
    }

    public func forEachSpecSummary(projectId: String?, _ body: (SpecSummary) throws -> Void) throws {
        try forEachSpecSummary(projectId: projectId, statuses: nil, body)
    }

    public func snapshot<T>(_ body: (any StoreReads) throws -> T) throws -> T {
        try body(self)
    }

    public func historySignals() -> AsyncStream<Int64>? { nil }

    /// The SQLite store behind this one, for what only SQLite has (its log,
    /// its integrity check); nil for any other kind of store.
    public var sqlite: SQLiteStore? { self as? SQLiteStore }
}
