import Foundation

/// Reads and writes inside one write transaction of a `SyncStore` (see
/// `SyncStore.write`). Valid only inside the body it is handed to: nothing
/// it wrote is seen by others until the body returns, and nothing at all
/// when the body throws.
public protocol StoreTransaction {
    // MARK: Reads within the transaction

    func project(id: String) throws -> ProjectRecord?
    /// The change at `path` (relative to the OpenSpec folder) of a project.
    func spec(projectId: String, path: String) throws -> SpecSummary?
    /// The changes of a project with this change id, by path.
    func specs(projectId: String, changeId: String) throws -> [SpecSummary]
    /// Every change of a project, by path.
    func allSpecs(projectId: String) throws -> [SpecSummary]
    /// path -> blob id of every file of a change as last synced.
    func fileBlobIds(specId: String) throws -> [String: String]
    /// specId -> (path -> blob id) for a whole project.
    func allFileBlobIds(projectId: String) throws -> [String: [String: String]]
    /// The bytes of a file as last synced; nil when the change has no such file.
    func fileContent(specId: String, path: String) throws -> Data?
    /// The blob id of one file of a change as last synced; nil when the change has no such file.
    func specFileBlobId(specId: String, path: String) throws -> String?
    /// A change's schema-dependent columns as stored.
    func schemaDependentColumns(specId: String) throws -> SchemaDependentColumns?
    /// capability -> (id, blob id, status) of a project's main specs.
    func mainSpecStates(projectId: String) throws -> [String: (id: String, blobId: String?, status: MainSpecStatus)]
    /// The encoded stat cache of a project: bucket number -> bytes; with
    /// `headerOnly`, only the header row (bucket -1).
    func statCacheRows(projectId: String, headerOnly: Bool) throws -> [Int: [UInt8]]
    /// The JSON of what the reconciler skips on purpose in a project ("{}": nothing).
    func skippedPaths(projectId: String) throws -> String
    /// The waiting edits of one file, in queue order.
    func pendingWrites(specId: String, path: String) throws -> [PendingWriteRecord]

    // MARK: Changes and main specs

    /// Inserts a new change row; returns its id.
    func insertSpec(projectId: String, _ values: SpecValues, at now: Date) throws -> String
    /// Rewrites a change row's content and lifecycle, keeping its id and history.
    func updateSpec(id: String, _ values: SpecValues, at now: Date) throws
    /// Records that a change was compared with its files and found in step.
    func markVerified(specId: String, at now: Date) throws
    /// A change folder that disappeared without being archived.
    func markRemoved(specId: String, at now: Date) throws
    /// Makes the change's file rows equal `files`: changed rows rewritten
    /// (`previous`: path -> blob id as stored), missing rows deleted.
    func replaceFiles(specId: String, files: [FileValues], previous: [String: String]) throws
    /// Sets a change's sync error (nil clears it).
    func setSpecSyncError(specId: String, _ error: String?) throws
    func upsertMainSpec(projectId: String, _ values: MainSpecValues, at now: Date) throws
    func markMainSpecRemoved(projectId: String, capability: String, at now: Date) throws

    // MARK: History

    /// Inserts one history row; returns its id, larger than every id before it.
    @discardableResult
    func insertHistory(_ values: HistoryValues) throws -> Int64
    /// Writes a run's summary row; a run that repeats the project's newest
    /// row takes its place and counts the runs (see `SQLiteTransaction`).
    @discardableResult
    func insertRunSummary(_ values: HistoryValues, startMark: Int64?) throws -> Int64
    /// Deletes history rows older than `cutoff`, except the newest `keep`
    /// rows of each change and of each project's run rows; returns how many went.
    @discardableResult
    func pruneHistory(before cutoff: Date, keep: Int) throws -> Int
    func deleteHistory(id: Int64) throws

    // MARK: Projects

    /// Records where the project now stands: the commit matched and what to re-check next time.
    func finishReconcile(projectId: String, commit: String?, pendingPaths: [String], at now: Date, error: String?) throws
    /// Records a reconcile that could not run at all, leaving the cursor where it was.
    func recordProjectError(projectId: String, error: String) throws
    func setSkippedPaths(projectId: String, _ json: String) throws
    /// Writes the given stat cache buckets (nil bytes: delete the bucket).
    func saveStatCacheRows(projectId: String, rows: [Int: [UInt8]?]) throws

    // MARK: Hosts and owners

    /// A project registered before hosts were recorded (no owner row) at `repoPath`.
    func legacyProject(repoPath: String) throws -> ProjectRecord?
    /// The clone `host` registered at `repoPath`, if any.
    func projectHost(host: String, repoPath: String) throws -> ProjectHostRecord?
    /// A new project row. Throws `StoreError.projectNameTaken` when another project has `name`.
    func insertProject(name: String, repoPath: String, openspecPath: String, at now: Date) throws -> ProjectRecord
    /// Renames a project or moves its OpenSpec folder (which forgets where
    /// its reconciles stood); returns it as stored. Throws
    /// `StoreError.projectNameTaken` when another project has `name`.
    func updateProject(_ project: ProjectRecord, name: String, openspecPath: String) throws -> ProjectRecord
    /// The time by the database's clock.
    func databaseNow() throws -> Date
    func projectOwner(projectId: String) throws -> ProjectOwnerRecord?
    func projectOwner(key: String) throws -> ProjectOwnerRecord?
    /// Inserts or replaces a project's owner row.
    func saveProjectOwner(_ record: ProjectOwnerRecord) throws
    func projectHost(projectId: String, host: String) throws -> ProjectHostRecord?
    /// Inserts or replaces one host's clone of a project.
    func saveProjectHost(_ record: ProjectHostRecord) throws
    /// A new owner's clone: the project's files are now at `repoPath`, and
    /// what the last run knew of the old clone (its commit, its stat cache,
    /// its paths to re-check) is forgotten, so the next run compares everything.
    func moveProject(projectId: String, repoPath: String) throws
    /// Extends every lease of the projects `host` owns to `until` (one that
    /// ran out too: nobody took the project meanwhile, or it would name
    /// another owner) and marks its clones seen; returns their ids.
    func renewLeases(host: String, until: Date, at now: Date) throws -> [String]
    /// Lets go of every lease `host` holds (a daemon that stops): each ends
    /// now, and the host stays named as the project's last owner.
    func releaseLeases(host: String) throws
    /// Claims the waiting edits of the projects whose lease `host` holds at
    /// `now` that no live owner claimed yet (in PostgreSQL with `FOR UPDATE
    /// SKIP LOCKED`, so two claimers never take the same edit); returns the
    /// ids of the projects with edits newly claimed.
    func claimQueuedWrites(host: String, at now: Date, limit: Int) throws -> [String]

    // MARK: Writes to files and conflicts

    /// Queues an edit and stamps the change's `dbModifiedAt`; returns the edit's id.
    func insertPendingWrite(projectId: String, specId: String, path: String, operation: WriteOperation,
                            content: Data, baseBlobId: String?, task: String?, done: Bool?, at now: Date) throws -> Int64
    /// A write that must wait: counts the attempt and sets when to try again.
    func deferWrite(id: Int64, attempts: Int, failures: Int, nextAttemptAt: Date, error: String) throws
    /// Records, before the file is replaced, the blob the writes put in place.
    func setWrittenBlob(ids: [Int64], blobId: String) throws
    func setWriteStatus(id: Int64, _ status: WriteStatus, error: String?) throws
    /// Keeps a losing edit whole; returns the conflict's id.
    func insertConflict(projectId: String, specId: String, path: String, dbContent: Data, baseBlobId: String?,
                        fsBlobId: String?, reason: String?, at now: Date) throws -> Int64
    /// Closes a conflict; false when it was already closed.
    func resolveConflict(id: Int64, resolution: String, at now: Date) throws -> Bool
}

/// The calls with their usual defaults (a protocol's requirements cannot have them).
extension StoreTransaction {
    public func statCacheRows(projectId: String) throws -> [Int: [UInt8]] {
        try statCacheRows(projectId: projectId, headerOnly: false)
    }

    /// The bytes of one file of a change as last synced (`fileContent`, by the name the writes use).
    public func specFileContent(specId: String, path: String) throws -> Data? {
        try fileContent(specId: specId, path: path)
    }

    public func insertPendingWrite(projectId: String, specId: String, path: String, operation: WriteOperation,
                                   content: Data, baseBlobId: String?, at now: Date) throws -> Int64 {
        try insertPendingWrite(projectId: projectId, specId: specId, path: path, operation: operation,
                               content: content, baseBlobId: baseBlobId, task: nil, done: nil, at: now)
    }

    public func insertConflict(projectId: String, specId: String, path: String, dbContent: Data, baseBlobId: String?,
                               fsBlobId: String?, at now: Date) throws -> Int64 {
        try insertConflict(projectId: projectId, specId: specId, path: path, dbContent: dbContent,
                           baseBlobId: baseBlobId, fsBlobId: fsBlobId, reason: nil, at: now)
    }
}
