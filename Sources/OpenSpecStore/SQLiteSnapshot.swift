import Foundation
import GRDB

/// The reads of one reply, all inside one read transaction of a
/// `SQLiteStore` (`snapshot`): they see one state of the database, and
/// the transaction is begun once rather than once per read.
struct SQLiteSnapshot: StoreReads {
    let db: Database

    func projects() throws -> [ProjectRecord] { try SQLiteStore.projects(db) }
    func project(id: String) throws -> ProjectRecord? { try SQLiteStore.project(db, id: id) }
    func project(named name: String) throws -> ProjectRecord? { try SQLiteStore.project(db, named: name) }
    func projectCounts(projectId: String) throws -> ProjectCounts { try SQLiteStore.projectCounts(db, projectId: projectId) }
    func skippedPaths(projectId: String) throws -> String { try SQLiteStore.skippedPaths(db, projectId: projectId) }

    func spec(id: String) throws -> SpecRecord? { try SQLiteStore.spec(db, id: id) }
    func specsMatching(_ key: String, projectId: String?) throws -> [SpecSummary] {
        try SQLiteStore.specsMatching(db, key: key, projectId: projectId)
    }
    func specFiles(specId: String, withContent: Bool) throws -> [SpecFileRecord] {
        try SQLiteStore.specFiles(db, specId: specId, withContent: withContent)
    }
    func fileContent(specId: String, path: String) throws -> Data? { try SQLiteStore.fileContent(db, specId: specId, path: path) }

    func history(projectId: String?, specId: String?, limit: Int, before: Int64?, includeStarted: Bool) throws -> [HistoryRecord] {
        try SQLiteStore.history(db, projectId: projectId, specId: specId, limit: limit, before: before, includeStarted: includeStarted)
    }
    func lastRun(projectId: String) throws -> HistoryRecord? { try SQLiteStore.lastRun(db, projectId: projectId) }
    func writeCounts(projectId: String, specId: String?) throws -> (pendingWrites: Int, openConflicts: Int) {
        try SQLiteStore.writeCounts(db, projectId: projectId, specId: specId)
    }

    func changeCounter() throws -> Int64 { try SQLiteStore.changeCounter(db) }
}

extension SQLiteStore {
    public func snapshot<T>(_ body: (any StoreReads) throws -> T) throws -> T {
        try pool.read { db in try body(SQLiteSnapshot(db: db)) }
    }
}
