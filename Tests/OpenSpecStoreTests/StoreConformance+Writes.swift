import Foundation
import OpenSpecStore
import Testing

extension StoreConformance {
    private struct Abandon: Error {}

    /// A transaction that throws leaves nothing behind, whichever way it
    /// was written; the store takes the next one as usual.
    func rollback(_ store: any SyncStore) throws {
        let project = try store.registerProject(name: "p", repoPath: "/r/p", openspecPath: "openspec")
        let counter = try store.changeCounter()
        let lastId = try store.lastHistoryId()
        let body = { (w: any StoreTransaction) throws -> Void in
            let id = try w.insertSpec(projectId: project.id, Self.values("changes/a"), at: Date())
            try w.replaceFiles(specId: id, files: [Self.file("a.md", "1", "a")], previous: [:])
            try w.finishReconcile(projectId: project.id, commit: "abc", pendingPaths: ["x"], at: Date(), error: nil)
            try w.insertHistory(Self.history(project.id, specId: id, action: .created))
            _ = try w.insertPendingWrite(projectId: project.id, specId: id, path: "a.md", operation: .replace,
                                         content: Data("b".utf8), baseBlobId: "1", at: Date())
            _ = try w.insertConflict(projectId: project.id, specId: id, path: "a.md", dbContent: Data("c".utf8),
                                     baseBlobId: "1", fsBlobId: "2", at: Date())
            try w.saveStatCacheRows(projectId: project.id, rows: [0: [1]])
            try w.setSkippedPaths(projectId: project.id, #"{"a":"b"}"#)
            throw Abandon()
        }
        #expect(throws: Abandon.self) { try store.write(body) }
        #expect(throws: Abandon.self) { try store.bulkWrite(body) }
        #expect(try store.changeCounter() == counter)
        #expect(try store.specSummaries(projectId: nil).isEmpty)
        let stored = try #require(try store.project(id: project.id))
        #expect(stored.lastReconciledCommit == nil && !stored.reconciledOnce && stored.pendingPathList.isEmpty)
        #expect(try store.lastHistoryId() == lastId && store.history(limit: 10).isEmpty)
        #expect(try store.writeCounts(projectId: project.id) == (0, 0))
        #expect(try store.conflicts(projectId: nil, specId: nil, includeResolved: true).isEmpty)
        #expect(try store.write { try $0.statCacheRows(projectId: project.id) }.isEmpty)
        #expect(try store.skippedPaths(projectId: project.id) == "{}")

        let id = try store.bulkWrite { try $0.insertSpec(projectId: project.id, Self.values("changes/a"), at: Date()) }
        #expect(try store.specSummaries(projectId: project.id).map(\.id) == [id])
    }

    /// The counter grows with each committed write transaction, never
    /// below the clock; reads and failed transactions leave it be.
    func changeCounter(_ store: any SyncStore) throws {
        let start = try store.changeCounter()
        let project = try store.registerProject(name: "p", repoPath: "/r/p", openspecPath: "openspec")
        let registered = try store.changeCounter()
        #expect(registered > start)
        #expect(registered >= Int64(Date().timeIntervalSince1970 * 1000) - 60_000)
        let id = try store.write { try $0.insertSpec(projectId: project.id, Self.values("changes/a"), at: Date()) }
        let inserted = try store.changeCounter()
        #expect(inserted > registered)
        try store.bulkWrite { try $0.updateSpec(id: id, Self.values("changes/a", title: "new"), at: Date()) }
        let updated = try store.changeCounter()
        #expect(updated > inserted)
        _ = try store.specSummaries(projectId: project.id)
        _ = try store.searchChanges(ChangeQuery())
        #expect(try store.changeCounter() == updated)
        _ = try? store.write { w -> Void in
            try w.updateSpec(id: id, Self.values("changes/a", title: "rolled back"), at: Date())
            throw Abandon()
        }
        #expect(try store.changeCounter() == updated)
        try store.write { try $0.markRemoved(specId: id, at: Date()) }
        #expect(try store.changeCounter() > updated)
    }

    /// Edits queue per file in order, wait, and leave the queue when done.
    func writesQueue(_ store: any SyncStore) throws {
        let (project, ids) = try Self.project(store, [Self.values("changes/a"), Self.values("changes/b")])
        let (a, b) = (try #require(ids["changes/a"]), try #require(ids["changes/b"]))
        let t0 = Self.t0
        let (w1, w2, w3) = try store.write { w in
            (try w.insertPendingWrite(projectId: project.id, specId: a, path: "tasks.md", operation: .replace,
                                      content: Data("- [ ] 1\n".utf8), baseBlobId: "b0", at: t0),
             try w.insertPendingWrite(projectId: project.id, specId: a, path: "tasks.md", operation: .toggleTask,
                                      content: Data(), baseBlobId: nil, task: "1.1", done: true, at: t0),
             try w.insertPendingWrite(projectId: project.id, specId: b, path: "design.md", operation: .replace,
                                      content: Data("d".utf8), baseBlobId: nil, at: t0))
        }
        #expect(w1 < w2 && w2 < w3)
        #expect(try store.pendingWrites(specId: a, path: "tasks.md").map(\.id) == [w1, w2])
        #expect(try store.write { try $0.pendingWrites(specId: a, path: "tasks.md") }.map(\.id) == [w1, w2])
        let toggle = try #require(try store.pendingWrite(id: w2))
        #expect(toggle.operation == .toggleTask && toggle.task == "1.1" && toggle.done == true && toggle.baseBlobId == nil)
        #expect(toggle.status == .pending && toggle.attempts == 0 && toggle.failures == 0 && toggle.writtenBlobId == nil)
        #expect(try store.pendingWrite(id: w1)?.content == Data("- [ ] 1\n".utf8) && store.pendingWrite(id: w1)?.baseBlobId == "b0")
        #expect(Self.same(try store.spec(id: a)?.dbModifiedAt, t0), "a queued edit stamps its change")
        #expect(try store.duePendingWrites(projectId: project.id, now: t0).map(\.id) == [w1, w2, w3])

        try store.write { w in
            try w.deferWrite(id: w1, attempts: 1, failures: 1, nextAttemptAt: t0.addingTimeInterval(60), error: "index.lock")
            try w.setWrittenBlob(ids: [w2, w3], blobId: "b9")
            try w.setWriteStatus(id: w3, .written, error: nil)
        }
        #expect(try store.duePendingWrites(projectId: project.id, now: t0).map(\.id) == [w2])
        #expect(try store.duePendingWrites(projectId: project.id, now: t0.addingTimeInterval(61)).map(\.id) == [w1, w2])
        let deferred = try #require(try store.pendingWrite(id: w1))
        #expect(deferred.attempts == 1 && deferred.failures == 1 && deferred.lastError == "index.lock")
        #expect(Self.same(deferred.nextAttemptAt, t0.addingTimeInterval(60)))
        #expect(try store.pendingWrite(id: w3)?.status == .written && store.pendingWrite(id: w2)?.writtenBlobId == "b9")
        #expect(try store.pendingWrites(specId: b, path: "design.md").isEmpty)
        #expect(try store.writeCounts(projectId: project.id) == (2, 0))
        #expect(try store.writeCounts(projectId: project.id, specId: b) == (0, 0))
        try store.write { try $0.setWriteStatus(id: w1, .conflicted, error: "lost") }
        #expect(try store.pendingWrite(id: w1)?.lastError == "lost" && store.writeCounts(projectId: project.id) == (1, 0))
        #expect(try store.pendingWrite(id: 999_999) == nil)
    }

    /// A losing edit is kept whole, listed newest first, and closed once.
    func conflicts(_ store: any SyncStore) throws {
        let (project, ids) = try Self.project(store, [Self.values("changes/a"), Self.values("changes/b")])
        let (a, b) = (try #require(ids["changes/a"]), try #require(ids["changes/b"]))
        let (c1, c2, c3) = try store.write { w in
            (try w.insertConflict(projectId: project.id, specId: a, path: "tasks.md", dbContent: Data([0, 1, 2]),
                                  baseBlobId: "b0", fsBlobId: "b1", reason: "stale", at: Self.t0),
             try w.insertConflict(projectId: project.id, specId: a, path: "design.md", dbContent: Data("x".utf8),
                                  baseBlobId: nil, fsBlobId: nil, at: Self.t0),
             try w.insertConflict(projectId: project.id, specId: b, path: "proposal.md", dbContent: Data("y".utf8),
                                  baseBlobId: nil, fsBlobId: "f", at: Self.t0))
        }
        let kept = try #require(try store.conflict(id: c1))
        #expect(kept.projectId == project.id && kept.specId == a && kept.path == "tasks.md" && kept.dbContent == Data([0, 1, 2]))
        #expect(kept.baseBlobId == "b0" && kept.fsBlobId == "b1" && kept.reason == "stale" && kept.resolvedAt == nil)
        #expect(Self.same(kept.detectedAt, Self.t0) && Self.same(kept.lastSyncedAt, Self.t0), "the change's times are copied")
        #expect(try store.conflicts(projectId: project.id, specId: nil, includeResolved: false).map(\.id) == [c3, c2, c1])
        #expect(try store.conflicts(projectId: nil, specId: a, includeResolved: false).map(\.id) == [c2, c1])
        #expect(try store.writeCounts(projectId: project.id) == (0, 3))
        #expect(try store.writeCounts(projectId: project.id, specId: b) == (0, 1))
        let later = Self.t0.addingTimeInterval(5)
        #expect(try store.write { try $0.resolveConflict(id: c1, resolution: "kept-file", at: later) })
        #expect(try store.write { try $0.resolveConflict(id: c1, resolution: "again", at: later) } == false)
        let closed = try #require(try store.conflict(id: c1))
        #expect(closed.resolution == "kept-file" && Self.same(closed.resolvedAt, later))
        #expect(try store.conflicts(projectId: project.id, specId: nil, includeResolved: false).map(\.id) == [c3, c2])
        #expect(try store.conflicts(projectId: project.id, specId: nil, includeResolved: true).map(\.id) == [c3, c2, c1])
        #expect(try store.writeCounts(projectId: project.id) == (0, 2) && store.conflict(id: 999_999) == nil)
    }
}
