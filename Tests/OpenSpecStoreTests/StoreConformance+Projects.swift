import Foundation
import OpenSpecStore
import Testing

extension StoreConformance {
    /// Registering is idempotent per repository, names stay unique, and a
    /// moved OpenSpec folder forgets where the reconciles stood.
    func projects(_ store: any SyncStore) throws {
        #expect(try store.projects().isEmpty)
        let app = try store.registerProject(name: "app", repoPath: "/r/app", openspecPath: "openspec")
        #expect(!app.reconciledOnce && app.lastReconciledCommit == nil && app.pendingPathList.isEmpty && app.lastError == nil)
        #expect(try store.registerProject(name: "app", repoPath: "/r/app", openspecPath: "openspec").id == app.id)
        let lib = try store.registerProject(name: "lib", repoPath: "/r/lib", openspecPath: "openspec")
        #expect(try store.projects().map(\.name) == ["app", "lib"])
        let read = try #require(try store.project(id: app.id))
        #expect(read.name == "app" && read.repoPath == "/r/app" && read.openspecPath == "openspec")
        #expect(Self.same(read.createdAt, app.createdAt))
        #expect(try store.project(repoPath: "/r/lib")?.id == lib.id)
        #expect(try store.project(named: "lib")?.id == lib.id)
        #expect(try store.project(id: "nobody") == nil && store.project(repoPath: "/r/none") == nil && store.project(named: "x") == nil)
        #expect(throws: StoreError.self) { _ = try store.registerProject(name: "app", repoPath: "/r/other", openspecPath: "openspec") }
        #expect(throws: StoreError.self) { _ = try store.registerProject(name: "lib", repoPath: "/r/app", openspecPath: "openspec") }

        try store.write { try $0.finishReconcile(projectId: app.id, commit: "c1", pendingPaths: ["b", "a"], at: Self.t0, error: nil) }
        let synced = try #require(try store.project(id: app.id))
        #expect(synced.reconciledOnce && synced.lastReconciledCommit == "c1" && synced.pendingPathList == ["a", "b"])
        #expect(Self.same(synced.lastReconciledAt, Self.t0))
        let renamed = try store.registerProject(name: "application", repoPath: "/r/app", openspecPath: "openspec")
        #expect(renamed.id == app.id && renamed.name == "application" && renamed.reconciledOnce)
        let moved = try store.registerProject(name: "application", repoPath: "/r/app", openspecPath: "docs/openspec")
        #expect(moved.id == app.id && !moved.reconciledOnce && moved.lastReconciledCommit == nil)
        let stored = try #require(try store.project(id: app.id))
        #expect(stored.openspecPath == "docs/openspec" && !stored.reconciledOnce && stored.name == "application")
    }

    /// A project's errors, skipped paths and stat cache, written in a
    /// transaction and read back per project.
    func projectState(_ store: any SyncStore) throws {
        let app = try store.registerProject(name: "app", repoPath: "/r/app", openspecPath: "openspec")
        let other = try store.registerProject(name: "other", repoPath: "/r/other", openspecPath: "openspec")
        #expect(try store.skippedPaths(projectId: app.id) == "{}")
        try store.write { w in
            try w.recordProjectError(projectId: app.id, error: "cannot open")
            try w.setSkippedPaths(projectId: app.id, #"{"changes/x":"too big"}"#)
            try w.saveStatCacheRows(projectId: app.id, rows: [-1: [1], 0: [2, 2], 7: [3]])
            try w.saveStatCacheRows(projectId: other.id, rows: [0: [9], 1: []])
        }
        #expect(try store.project(id: app.id)?.lastError == "cannot open")
        #expect(try store.project(id: app.id)?.lastReconciledCommit == nil, "an error leaves the cursor where it was")
        #expect(try store.skippedPaths(projectId: app.id) == #"{"changes/x":"too big"}"#)
        #expect(try store.write { try $0.skippedPaths(projectId: app.id) } == #"{"changes/x":"too big"}"#)
        #expect(try store.skippedPaths(projectId: other.id) == "{}")
        try store.write { w in try w.saveStatCacheRows(projectId: app.id, rows: [0: [4, 4, 4], 7: nil]) }
        let read = try store.write { w in
            [try w.statCacheRows(projectId: app.id), try w.statCacheRows(projectId: app.id, headerOnly: true),
             try w.statCacheRows(projectId: other.id), try w.statCacheRows(projectId: "nobody")]
        }
        #expect(read == [[-1: [1], 0: [4, 4, 4]], [-1: [1]], [0: [9], 1: []], [:]])
        try store.write { try $0.finishReconcile(projectId: app.id, commit: nil, pendingPaths: [], at: Self.t0, error: nil) }
        #expect(try store.project(id: app.id)?.lastError == nil)
    }
}
