import Foundation
import Testing
@testable import OpenSpecStore

/// The change counter the API's ETags are made from.
@Suite("Change counter")
struct ChangeCounterTests {
    private func values(_ path: String, title: String = "t") -> SpecValues {
        SpecValues(path: path, changeId: path.split(separator: "/").last.map(String.init) ?? path, title: title,
                   status: .active, archivedOn: nil, proposalContent: nil, tasksContent: nil, designContent: nil,
                   completedTasks: 0, totalTasks: 0, taskStatus: "no-tasks", schemaName: nil,
                   createdOn: nil, issuesJSON: "[]", filesystemModifiedAt: nil, syncError: nil)
    }

    @Test("grows with each write transaction, never below the clock; reads leave it be; a failed transaction leaves it be")
    func growsWithWrites() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("openspec-sync-store-\(UUID().uuidString)")
        let store = try Store(path: folder.path + "/sync.sqlite")
        let start = try store.changeCounter()
        let project = try store.registerProject(name: "p", repoPath: "/r/p", openspecPath: "openspec")
        let registered = try store.changeCounter()
        #expect(registered > start)
        #expect(registered >= Int64(Date().timeIntervalSince1970 * 1000) - 60_000)

        let id = try store.write { try $0.insertSpec(projectId: project.id, values("changes/a"), at: Date()) }
        let inserted = try store.changeCounter()
        #expect(inserted > registered)
        try store.write { try $0.updateSpec(id: id, values("changes/a", title: "new"), at: Date()) }
        let updated = try store.changeCounter()
        #expect(updated > inserted)

        _ = try store.specSummaries(projectId: project.id, statuses: nil)
        #expect(try store.changeCounter() == updated)
        struct Abandon: Error {}
        _ = try? store.write { w -> Void in
            try w.updateSpec(id: id, values("changes/a", title: "rolled back"), at: Date())
            throw Abandon()
        }
        #expect(try store.changeCounter() == updated)

        try store.write { try $0.markRemoved(specId: id, at: Date()) }
        #expect(try store.changeCounter() > updated)
    }
}
