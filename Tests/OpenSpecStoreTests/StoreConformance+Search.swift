import Foundation
import OpenSpecStore
import Testing

extension StoreConformance {
    /// Five changes, one per board column and one with an error, the second with an open conflict.
    private func board(_ store: any SyncStore) throws -> (project: ProjectRecord, ids: [String: String]) {
        var old = Self.values("changes/archive/2026-01-01-old", .archived, title: "Old", tasks: (3, 4))
        old.changeId = "old"
        let errors = #"[{"level":"ERROR","path":"proposal.md","message":"m","line":1}]"#
        let (project, ids) = try Self.project(store, [
            Self.values("changes/alpha", title: "Alpha"),
            Self.values("changes/beta", title: "beta", tasks: (1, 2), proposal: "Find the Needle here"),
            Self.values("changes/gamma", title: "Gamma", tasks: (2, 2)),
            Self.values("changes/delta", title: "delta", issuesJSON: errors),
            old,
        ])
        let (beta, gamma) = (try #require(ids["changes/beta"]), try #require(ids["changes/gamma"]))
        try store.write { w in
            try w.replaceFiles(specId: gamma, files: [Self.file("specs/x/spec.md", "g1", "a haystack, 100% full")], previous: [:])
            _ = try w.insertConflict(projectId: project.id, specId: beta, path: "tasks.md", dbContent: Data(),
                                     baseBlobId: nil, fsBlobId: nil, at: Self.t0)
        }
        return (project, ids)
    }

    private func query(_ change: (inout ChangeQuery) -> Void) -> ChangeQuery {
        var query = ChangeQuery()
        change(&query)
        return query
    }

    /// Counts per board column, the computed columns, and text matched in
    /// ids, titles and every UTF-8 file, ignoring case, `%` and `_` as themselves.
    func search(_ store: any SyncStore) throws {
        let (project, ids) = try board(store)
        let all = try store.searchChanges(ChangeQuery())
        #expect(all.total == 5 && all.rows.map(\.changeId) == ["alpha", "beta", "delta", "gamma", "old"])
        #expect(all.columns == [.noTasks: 2, .inProgress: 1, .complete: 1, .archived: 1])
        let beta = try #require(all.rows.first { $0.changeId == "beta" })
        #expect(beta.id == ids["changes/beta"] && beta.projectId == project.id && beta.path == "changes/beta" && beta.title == "beta")
        #expect(beta.status == .active && beta.column == BoardColumn.inProgress.rawValue && beta.progress == 50)
        #expect(beta.completedTasks == 1 && beta.totalTasks == 2 && beta.openConflicts == 1 && !beta.hasErrors && beta.issueCount == 0)
        #expect(Self.same(beta.changedAt, Self.t0))
        let delta = try #require(all.rows.first { $0.changeId == "delta" })
        #expect(delta.hasErrors && delta.issueCount == 1 && delta.openConflicts == 0 && delta.column == "no-tasks")
        #expect(all.rows.first { $0.changeId == "old" }?.column == "archived")

        func matching(_ text: String) throws -> [String] {
            try store.searchChanges(query { $0.text = text }).rows.map(\.changeId)
        }
        #expect(try matching("NEEDLE") == ["beta"])
        #expect(try matching("haystack, 100%") == ["gamma"])
        #expect(try matching("1_0") == [] && matching("%") == ["gamma"])
        #expect(try matching("gam") == ["gamma"] && matching("ALPH") == ["alpha"])
        #expect(try store.searchChanges(query { $0.text = "needle"; $0.projectId = "nobody" }).total == 0)
    }

    /// Filters, the column, sorting and paging; the column counts follow
    /// every filter but the column's own.
    func searchFilters(_ store: any SyncStore) throws {
        _ = try board(store)
        func ids(_ change: (inout ChangeQuery) -> Void) throws -> [String] {
            try store.searchChanges(query(change)).rows.map(\.changeId)
        }
        let noTasks = try store.searchChanges(query { $0.column = .noTasks })
        #expect(noTasks.rows.map(\.changeId) == ["alpha", "delta"] && noTasks.total == 2)
        #expect(noTasks.columns == [.noTasks: 2, .inProgress: 1, .complete: 1, .archived: 1])
        #expect(try ids { $0.hasConflicts = true } == ["beta"])
        #expect(try ids { $0.hasConflicts = false } == ["alpha", "delta", "gamma", "old"])
        #expect(try ids { $0.hasErrors = true } == ["delta"])
        #expect(try ids { $0.progress = 50...100 } == ["beta", "gamma", "old"])
        #expect(try ids { $0.statuses = [.archived] } == ["old"])
        let filtered = try store.searchChanges(query { $0.statuses = [.active]; $0.progress = 1...100 })
        #expect(filtered.columns == [.noTasks: 0, .inProgress: 1, .complete: 1, .archived: 0] && filtered.total == 2)
        #expect(try ids { $0.sort = .progress; $0.descending = true } == ["gamma", "old", "beta", "alpha", "delta"])
        #expect(try ids { $0.sort = .title } == ["alpha", "beta", "delta", "gamma", "old"])
        #expect(try ids { $0.sort = .id; $0.descending = true } == ["old", "gamma", "delta", "beta", "alpha"])
        let page = try store.searchChanges(query { $0.limit = 2; $0.offset = 1 })
        #expect(page.rows.map(\.changeId) == ["beta", "delta"] && page.total == 5)
        #expect(try Set(ids { $0.sort = .created }) == ["alpha", "beta", "delta", "gamma", "old"])
    }
}
