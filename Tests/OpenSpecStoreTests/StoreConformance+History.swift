import Foundation
import OpenSpecStore
import Testing

extension StoreConformance {
    /// Ids only grow; pages by cursor stay stable while rows are added; the
    /// event log reads after an id; start marks only where asked for.
    func history(_ store: any SyncStore) throws {
        let (project, ids) = try Self.project(store, [Self.values("changes/a")])
        let other = try store.registerProject(name: "lib", repoPath: "/r/lib", openspecPath: "openspec")
        let spec = try #require(ids["changes/a"])
        #expect(try store.lastHistoryId() == 0 && store.lastRun(projectId: project.id) == nil)
        func add(_ n: Int, from: Int) throws -> [Int64] {
            try store.write { w in
                try (from..<from + n).map { try w.insertHistory(Self.history(project.id, runId: "r\($0)", files: ["f\($0)"])) }
            }
        }
        var written = try add(10, from: 0)
        #expect(written == written.sorted() && Set(written).count == 10)
        let first = try store.history(projectId: project.id, limit: 4)
        #expect(first.map(\.id) == Array(written.suffix(4).reversed()))
        written += try add(5, from: 10)  // new rows arrive between pages
        let second = try store.history(projectId: project.id, limit: 4, before: first.last?.id)
        #expect(second.map(\.id) == Array(written[2..<6].reversed()))
        #expect(second[0].filesChangedList == ["f5"] && second[0].runId == "r5" && second[0].runs == 1)

        let odd = ["a \"quoted\".md", "ü/ñ\\x", "tab\there"]
        let (mark, row, specRow, otherRow) = try store.write { w in
            (try w.insertHistory(Self.history(project.id, action: .started)),
             try w.insertHistory(Self.history(project.id, action: .unchanged, at: Self.t0, files: odd, success: false, error: "e")),
             try w.insertHistory(Self.history(project.id, specId: spec, action: .created)),
             try w.insertHistory(Self.history(other.id)))
        }
        #expect(try store.lastHistoryId() == otherRow)
        let read = try #require(try store.history(projectId: project.id, limit: 1, before: specRow).first)
        #expect(read.id == row && read.filesChangedList == odd && !read.success && read.errorMessage == "e")
        #expect(read.historyAction == .unchanged && read.triggeredBy == "manual" && Self.same(read.syncedAt, Self.t0))
        #expect(read.syncDirection == SyncDirection.filesystemToDatabase.rawValue && read.durationMs == 1)
        #expect(try store.history(projectId: project.id, limit: 100).contains { $0.id == mark } == false)
        #expect(try store.history(projectId: project.id, specId: nil, limit: 3, before: nil, includeStarted: true).map(\.id)
                == [specRow, row, mark])
        #expect(try store.history(specId: spec, limit: 10).map(\.id) == [specRow])
        #expect(try store.history(limit: 1).map(\.id) == [otherRow])
        #expect(try store.lastRun(projectId: project.id)?.id == row, "a change's row and a start mark are not runs")
        #expect(try store.history(after: written[14], projectId: nil, limit: 10).map(\.id) == [mark, row, specRow, otherRow])
        #expect(try store.history(after: written[14], projectId: project.id, limit: 2).map(\.id) == [mark, row])
        try store.write { try $0.deleteHistory(id: mark) }
        #expect(try store.history(after: written[14], projectId: project.id, limit: 10).map(\.id) == [row, specRow])
    }

    /// A run that repeats the project's newest run row takes its place and
    /// counts the runs; any other run adds a row.
    func runSummaries(_ store: any SyncStore) throws {
        let project = try store.registerProject(name: "app", repoPath: "/r/app", openspecPath: "openspec")
        let first = try store.write { try $0.insertRunSummary(Self.history(project.id, action: .unchanged, at: Self.t0), startMark: nil) }
        let second = try store.write { w in
            let mark = try w.insertHistory(Self.history(project.id, action: .started))
            return try w.insertRunSummary(Self.history(project.id, action: .unchanged, at: Self.t0.addingTimeInterval(60)), startMark: mark)
        }
        #expect(second > first)
        let rows = try store.history(projectId: project.id, specId: nil, limit: 10, before: nil, includeStarted: true)
        #expect(rows.map(\.id) == [second], "the repeated row and the start mark are gone")
        #expect(rows[0].runs == 2 && Self.same(rows[0].firstSyncedAt, Self.t0) && Self.same(rows[0].syncedAt, Self.t0.addingTimeInterval(60)))
        let failed = try store.write { try $0.insertRunSummary(Self.history(project.id, action: .failed, success: false, error: "x"), startMark: nil) }
        let changed = try store.write { try $0.insertRunSummary(Self.history(project.id, action: .run), startMark: nil) }
        let again = try store.write { try $0.insertRunSummary(Self.history(project.id, action: .run), startMark: nil) }
        #expect(try store.history(projectId: project.id, limit: 10).map(\.id) == [again, changed, failed, second])
        #expect(try store.history(projectId: project.id, limit: 10).map(\.runs) == [1, 1, 1, 2])
    }

    /// Pruning deletes rows older than the cutoff but keeps the newest of
    /// each change and of each project's runs.
    func pruning(_ store: any SyncStore) throws {
        let (project, ids) = try Self.project(store, [Self.values("changes/a")])
        let other = try store.registerProject(name: "q", repoPath: "/r/q", openspecPath: "openspec")
        let spec = try #require(ids["changes/a"])
        let old = Date().addingTimeInterval(-100 * 86_400)
        func add(_ projectId: String, specId: String?, count: Int, at date: Date, action: HistoryAction = .run) throws {
            try store.write { w in
                for i in 0..<count {
                    try w.insertHistory(Self.history(projectId, specId: specId, action: action,
                                                     at: date.addingTimeInterval(Double(i)), runId: "r\(i)"))
                }
            }
        }
        try add(project.id, specId: spec, count: 8, at: old, action: .updated)
        try add(project.id, specId: nil, count: 8, at: old)
        try add(other.id, specId: nil, count: 3, at: old)
        try add(project.id, specId: nil, count: 2, at: Date())
        let deleted = try store.write { try $0.pruneHistory(before: Date().addingTimeInterval(-90 * 86_400), keep: 5) }
        // The change keeps its 5 newest; the project's runs keep the 2 recent and 3 old;
        // the other project keeps its 3 (fewer than 5).
        #expect(deleted == 3 + 5)
        let rows = try store.history(projectId: nil, specId: nil, limit: 100, before: nil, includeStarted: true)
        #expect(rows.filter { $0.specId == spec }.map(\.runId) == ["r7", "r6", "r5", "r4", "r3"])
        #expect(rows.filter { $0.projectId == project.id && $0.specId == nil }.count == 5)
        #expect(rows.filter { $0.projectId == other.id }.count == 3)
        #expect(try store.write { try $0.pruneHistory(before: Date().addingTimeInterval(-90 * 86_400), keep: 5) } == 0)
    }
}
