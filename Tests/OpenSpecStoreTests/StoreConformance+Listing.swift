import Foundation
import OpenSpecStore
import Testing

extension StoreConformance {
    /// Two projects whose changes were written out of listing order.
    private func listed(_ store: any SyncStore) throws -> (app: String, lib: String) {
        let app = try store.registerProject(name: "app", repoPath: "/r/app", openspecPath: "openspec").id
        let lib = try store.registerProject(name: "lib", repoPath: "/r/lib", openspecPath: "openspec").id
        try store.write { w in
            let removed = try w.insertSpec(projectId: app, Self.values("changes/a-gone"), at: Self.t0)
            try w.markRemoved(specId: removed, at: Self.t0)
            _ = try w.insertSpec(projectId: app, Self.values("changes/archive/2026-01-02-old", .archived), at: Self.t0)
            _ = try w.insertSpec(projectId: app, Self.values("changes/zeta"), at: Self.t0)
            _ = try w.insertSpec(projectId: lib, Self.values("changes/beta"), at: Self.t0)
            _ = try w.insertSpec(projectId: app, Self.values("changes/alpha"), at: Self.t0)
            _ = try w.insertSpec(projectId: app, Self.values("changes/Upper"), at: Self.t0)
        }
        return (app, lib)
    }

    /// Listing order is active, archived, removed, each by path; summaries by
    /// path. Paths compare as bytes: "Upper" before "alpha".
    func listingOrder(_ store: any SyncStore) throws {
        let (app, lib) = try listed(store)
        var visited: [String] = []
        try store.forEachSpecSummary(projectId: nil) { visited.append("\($0.status.rawValue) \($0.path)") }
        #expect(visited == ["active changes/Upper", "active changes/alpha", "active changes/beta", "active changes/zeta",
                            "archived changes/archive/2026-01-02-old", "removed changes/a-gone"])
        var appActive: [String] = []
        try store.forEachSpecSummary(projectId: app, statuses: [.active]) { appActive.append($0.path) }
        #expect(appActive == ["changes/Upper", "changes/alpha", "changes/zeta"])
        #expect(try store.specSummaries(projectId: app).map(\.path)
                == ["changes/Upper", "changes/a-gone", "changes/alpha", "changes/archive/2026-01-02-old", "changes/zeta"])
        #expect(try store.specSummaries(projectId: nil, statuses: [.archived, .removed]).map(\.path)
                == ["changes/a-gone", "changes/archive/2026-01-02-old"])
        #expect(try store.specSummaries(projectId: lib, statuses: [.removed]).isEmpty)
        #expect(try store.specSummaries(projectId: nil, statuses: []).isEmpty)
    }

    /// A visitor that throws stops the listing at that change.
    func listingStops(_ store: any SyncStore) throws {
        struct Enough: Error {}
        _ = try listed(store)
        var visited = 0
        #expect(throws: Enough.self) {
            try store.forEachSpecSummary(projectId: nil) { _ in
                visited += 1
                if visited == 2 { throw Enough() }
            }
        }
        #expect(visited == 2)
    }

    /// Keyset pages walk the listing order; a row added before the key shifts nothing.
    func paging(_ store: any SyncStore) throws {
        let (app, _) = try listed(store)
        var all: [SpecSummary] = []
        try store.forEachSpecSummary(projectId: nil) { all.append($0) }
        var paged: [SpecSummary] = []
        var key: SpecListKey?
        while true {
            let page = try store.specPage(projectId: nil, statuses: nil, after: key, limit: 2)
            paged += page
            guard page.count == 2, let last = page.last else { break }
            key = SpecListKey(last)
        }
        #expect(paged.map(\.id) == all.map(\.id))
        let first = try store.specPage(projectId: app, statuses: [.active, .archived], after: nil, limit: 2)
        #expect(first.map(\.path) == ["changes/Upper", "changes/alpha"])
        _ = try store.write { try $0.insertSpec(projectId: app, Self.values("changes/aaa"), at: Self.t0) }
        let next = try store.specPage(projectId: app, statuses: [.active, .archived], after: SpecListKey(first[1]), limit: 2)
        #expect(next.map(\.path) == ["changes/zeta", "changes/archive/2026-01-02-old"])
        #expect(try store.specCount(projectId: nil, statuses: nil) == 7)
        #expect(try store.specCount(projectId: app, statuses: [.active]) == 4)
        #expect(try store.specCount(projectId: "nobody", statuses: nil) == 0)
    }

    /// Per-status counts, changes with errors (not removed ones), main specs.
    func counts(_ store: any SyncStore) throws {
        let errors = #"[{"level":"ERROR","path":"proposal.md","message":"m","line":1}]"#
        let (project, ids) = try Self.project(store, [
            Self.values("changes/a"), Self.values("changes/b", syncError: "unreadable"), Self.values("changes/c", issuesJSON: errors),
            Self.values("changes/archive/2026-01-01-d", .archived), Self.values("changes/e", syncError: "gone too"),
        ])
        try store.write { try $0.markRemoved(specId: try #require(ids["changes/e"]), at: Self.t0) }
        var expected = ProjectCounts()
        expected.active = 3; expected.archived = 1; expected.removed = 1; expected.withErrors = 1
        #expect(try store.projectCounts(projectId: project.id) == expected, "issues are not sync errors; a removed change's error does not count")
        #expect(try store.projectCounts(projectId: "nobody") == ProjectCounts())
    }

    /// Present changes not verified since a time, oldest first, at most `limit`.
    func staleSpecs(_ store: any SyncStore) throws {
        let (project, ids) = try Self.project(store, [Self.values("changes/a"), Self.values("changes/b"), Self.values("changes/c"),
                                                      Self.values("changes/d")])
        let (a, b, c, d) = (ids["changes/a"]!, ids["changes/b"]!, ids["changes/c"]!, ids["changes/d"]!)
        try store.write { w in
            try w.markVerified(specId: a, at: Self.t0.addingTimeInterval(30))
            try w.markVerified(specId: b, at: Self.t0.addingTimeInterval(10))
            try w.markVerified(specId: c, at: Self.t0.addingTimeInterval(20))
            try w.markRemoved(specId: d, at: Self.t0)
        }
        let before = Self.t0.addingTimeInterval(25)
        #expect(try store.staleSpecs(projectId: project.id, before: before, limit: 10).map(\.id) == [b, c])
        #expect(try store.staleSpecs(projectId: project.id, before: before, limit: 1).map(\.id) == [b])
        #expect(try store.staleSpecs(projectId: project.id, before: Self.t0, limit: 10).isEmpty)
    }
}
