import Foundation
import GRDB
import Testing
@testable import OpenSpecStore

@Suite("Store listing")
struct ListingTests {
    private func values(_ path: String, _ status: SpecStatus) -> SpecValues {
        SpecValues(path: path, changeId: path.split(separator: "/").last.map(String.init) ?? path, title: "t",
                   status: status, archivedOn: nil, proposalContent: nil, tasksContent: nil, designContent: nil,
                   completedTasks: 0, totalTasks: 0, taskStatus: "no-tasks", schemaName: nil,
                   createdOn: nil, issuesJSON: "[]", filesystemModifiedAt: nil, syncError: nil)
    }

    /// Two projects whose specs were written out of listing order (the
    /// order itself is checked by `StoreConformance`).
    private func store() throws -> (SQLiteStore, app: String, lib: String) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("openspec-sync-listing-\(UUID().uuidString)")
        let store = try SQLiteStore(path: folder.path + "/sync.sqlite")
        let app = try store.registerProject(name: "app", repoPath: "/r/app", openspecPath: "openspec").id
        let lib = try store.registerProject(name: "lib", repoPath: "/r/lib", openspecPath: "openspec").id
        try store.write { w in
            let removed = try w.insertSpec(projectId: app, values("changes/a-gone", .removed), at: Date())
            try w.markRemoved(specId: removed, at: Date())
            _ = try w.insertSpec(projectId: app, values("changes/archive/2026-01-02-old", .archived), at: Date())
            _ = try w.insertSpec(projectId: app, values("changes/zeta", .active), at: Date())
            _ = try w.insertSpec(projectId: lib, values("changes/beta", .active), at: Date())
            _ = try w.insertSpec(projectId: app, values("changes/alpha", .active), at: Date())
        }
        return (store, app, lib)
    }

    @Test("a listing reads through the page cache, not the memory map, and leaves the map on for other reads")
    func listingReadsWithoutTheMap() throws {
        let (store, _, _) = try store()
        var mapDuringListing: [Int] = []
        try store.forEachSpecSummary(projectId: nil) { _ in
            // The same connection: a queue's read runs on the caller's thread.
            mapDuringListing.append(try store.pool.unsafeReentrantRead { db in try Int.fetchOne(db, sql: "PRAGMA mmap_size") ?? -1 })
        }
        #expect(!mapDuringListing.isEmpty && mapDuringListing.allSatisfy { $0 == 0 })
        let after = try store.pool.read { db in try Int.fetchOne(db, sql: "PRAGMA mmap_size") }
        #expect(after == SQLiteStore.mmapBytes)
    }
}
