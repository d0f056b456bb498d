import Foundation

/// The reads a reply the API serves often is made of. A store answers them
/// each in a read of its own; `SyncStore.snapshot` answers them all from
/// one state of the database, so the reads of one reply agree.
public protocol StoreReads {
    /// Every project, by name.
    func projects() throws -> [ProjectRecord]
    func project(id: String) throws -> ProjectRecord?
    func project(named name: String) throws -> ProjectRecord?
    /// Changes per status, those with errors, and present main specs.
    func projectCounts(projectId: String) throws -> ProjectCounts
    /// The JSON of what the reconciler skips on purpose in a project ("{}": nothing).
    func skippedPaths(projectId: String) throws -> String

    func spec(id: String) throws -> SpecRecord?
    /// Changes whose change id, folder path (`changes/<key>` too) or row id
    /// equals `key`, by status then path.
    func specsMatching(_ key: String, projectId: String?) throws -> [SpecSummary]
    /// A change's files by path; `content` only when `withContent`.
    func specFiles(specId: String, withContent: Bool) throws -> [SpecFileRecord]
    /// The bytes of one file of a change as last synced.
    func fileContent(specId: String, path: String) throws -> Data?

    /// History rows, newest first; `before` is the id of the last row
    /// already seen. `started` marks only when `includeStarted`.
    func history(projectId: String?, specId: String?, limit: Int, before: Int64?, includeStarted: Bool) throws -> [HistoryRecord]
    /// The latest run summary of a project (not a `started` mark).
    func lastRun(projectId: String) throws -> HistoryRecord?
    /// Pending writes and unresolved conflicts of a project, or of one change of it.
    func writeCounts(projectId: String, specId: String?) throws -> (pendingWrites: Int, openConflicts: Int)

    /// A number that grows with every committed write transaction, never
    /// behind the clock in milliseconds: equal numbers mean nothing changed.
    func changeCounter() throws -> Int64
}

/// The reads with their usual defaults (a protocol's requirements cannot have them).
extension StoreReads {
    public func history(projectId: String? = nil, specId: String? = nil, limit: Int, before: Int64? = nil) throws -> [HistoryRecord] {
        try history(projectId: projectId, specId: specId, limit: limit, before: before, includeStarted: false)
    }

    public func writeCounts(projectId: String) throws -> (pendingWrites: Int, openConflicts: Int) {
        try writeCounts(projectId: projectId, specId: nil)
    }
}
