import Foundation
import OpenSpecStore
import OpenSpecSyncTestSupport
import Testing
@testable import OpenSpecSync

@Suite("Sync history: idle runs and retention")
struct HistoryRetentionTests {
    private func rowCount(_ h: Harness) throws -> Int {
        try h.engine.store.history(projectId: h.project.id, specId: nil, limit: 1_000_000, before: nil, includeStarted: true).count
    }

    private func fileSize(_ h: Harness) throws -> Int {
        try h.engine.store.sqlite!.checkpointAndTruncateLog()
        return (try FileManager.default.attributesOfItem(atPath: h.dbPath)[.size] as? Int) ?? -1
    }

    @Test("a day of idle rounds at 30 s (2,880 runs that change nothing) leaves the history and the file the same size")
    func idleDayKeepsSize() throws {
        let h = try Harness()
        try h.writeChange("changes/add-x")
        try h.repo.commitAll("x")
        try h.reconcile()
        try h.reconcile(trigger: .periodic)
        let rows = try rowCount(h)
        let size = try fileSize(h)
        for round in 1...2_880 {
            try h.reconcile(trigger: .periodic)
            if round % 480 == 0 { #expect(try rowCount(h) == rows, "after \(round) rounds") }
        }
        #expect(try rowCount(h) == rows)
        #expect(try fileSize(h) == size)
    }

    @Test("runs that change nothing share one row that counts them; a change in between starts a new one")
    func idleRunsShareARow() throws {
        let h = try Harness()
        try h.writeChange("changes/add-x")
        try h.repo.commitAll("x")
        try h.reconcile()
        let firstIdle = try h.reconcile(trigger: .periodic)
        let lastEvent = try h.engine.lastEventId()
        for _ in 0..<4 { try h.reconcile(trigger: .periodic) }
        var history = try h.history()
        #expect(history.map(\.action) == ["unchanged", "run", "created"])
        let idle = history[0]
        #expect(idle.runs == 5 && idle.triggeredBy == "periodic")
        #expect(try #require(idle.firstSyncedAt) < idle.syncedAt)
        #expect(idle.id > lastEvent, "each run's row is new to event subscribers")
        let items = try h.engine.history(projectId: h.project.id, specId: nil, limit: 1, before: nil)
        #expect(items.first?.runs == 5 && items.first?.firstSyncedAt != nil)
        #expect(firstIdle.changedCount == 0)

        try h.repo.write("openspec/changes/add-x/design.md", "# Design\n")
        try h.repo.commitAll("design")
        try h.reconcile(trigger: .periodic)
        try h.reconcile(trigger: .periodic)
        try h.reconcile(trigger: .periodic)
        history = try h.history()
        #expect(history.map(\.action) == ["unchanged", "run", "updated", "unchanged", "run", "created"])
        #expect(history.map(\.runs) == [2, 1, 1, 5, 1, 1])
        let marks = try h.engine.store.history(projectId: h.project.id, specId: nil, limit: 100, before: nil, includeStarted: true)
            .filter { $0.action == HistoryRecord.startedAction }
        #expect(marks.count == 4, "the start marks of the runs that changed something, and of the first idle run of each row")
    }

    @Test("the same failure run after run shares one row")
    func repeatedFailureSharesARow() throws {
        let h = try Harness()
        try h.reconcile()
        try FileManager.default.removeItem(atPath: h.repo.path + "/.git")
        for _ in 0..<3 { #expect(throws: (any Error).self) { try h.reconcile(trigger: .periodic) } }
        let history = try h.history()
        #expect(history.first?.action == "failed" && history.first?.runs == 3)
        #expect(history.filter { $0.action == "failed" }.count == 1)
    }

    @Test("the daemon's pruning keeps 90 days and the newest 1,000 rows per change by default")
    func pruneByRetention() throws {
        let h = try Harness()
        try h.writeChange("changes/add-x")
        try h.repo.commitAll("x")
        try h.reconcile()
        let spec = try #require(try h.spec("changes/add-x"))
        let now = Date()
        func kept() throws -> Int { try h.engine.store.history(specId: spec.id, limit: 100_000).count }
        try h.engine.store.write { w in
            for day in 0..<200 {
                for i in 0..<10 {
                    try w.insertHistory(HistoryValues(
                        projectId: h.project.id, specId: spec.id, runId: "old-\(day)-\(i)", direction: .databaseToFilesystem,
                        syncedAt: now.addingTimeInterval(-Double(day) * 86_400 - Double(i) - 0.5), success: true, errorMessage: nil,
                        filesChanged: [], triggeredBy: "user_edit", action: "written", fromCommit: nil, toCommit: nil, durationMs: 1))
                }
            }
        }
        #expect(try Settings(environment: [:]).historyRetention == HistoryRetention(days: 90, keep: 1000))
        #expect(try Settings(environment: ["OPENSPEC_SYNC_HISTORY_DAYS": "7"]).historyRetention.days == 7)
        #expect(try Settings(environment: ["OPENSPEC_SYNC_HISTORY_DAYS": "0"]).historyRetention.days == 90)
        // 90 days of 10 rows is 900: the newest 1,000 rows are kept, reaching back past 90 days.
        let deleted = try h.engine.pruneHistory(try Settings(environment: [:]).historyRetention, now: now)
        #expect(try kept() == 1000)
        #expect(deleted == 2001 - 1000)
        // A week's retention: 7 days of rows are younger, but 1,000 are kept all the same.
        try h.engine.pruneHistory(HistoryRetention(days: 7), now: now)
        #expect(try kept() == 1000)
        // Few rows kept per change: the age decides (7 days of 10 rows, and the "created" row).
        try h.engine.pruneHistory(HistoryRetention(days: 7, keep: 10), now: now)
        #expect(try kept() == 71)
        #expect(try h.engine.store.lastRun(projectId: h.project.id) != nil, "the project's run rows are young and stay")
    }
}
