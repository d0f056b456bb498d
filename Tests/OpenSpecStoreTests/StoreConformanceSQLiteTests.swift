import Foundation
import OpenSpecStore
import Testing

/// The store contract (`StoreConformance`) on the SQLite store, a new file each check.
@Suite("Store conformance: SQLite")
struct StoreConformanceSQLiteTests {
    @Test("every check of the store contract", arguments: StoreConformance.Check.allCases)
    func conforms(_ check: StoreConformance.Check) throws {
        try StoreConformance {
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("openspec-sync-conformance-\(UUID().uuidString)")
            return try SQLiteStore(path: folder.path + "/sync.sqlite")
        }.run(check)
    }

    @Test("the same checks on a server's store (a pool of readers beside the writer)", arguments: StoreConformance.Check.allCases)
    func conformsWithConcurrentReads(_ check: StoreConformance.Check) throws {
        try StoreConformance {
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("openspec-sync-conformance-\(UUID().uuidString)")
            return try SQLiteStore(path: folder.path + "/sync.sqlite", concurrentReads: true)
        }.run(check)
    }
}
