import Foundation
import GRDB
import Testing
@testable import OpenSpecStore

/// What `projects.list` and `sync.getStatus` read: counts taken from
/// indexes alone, never the change rows (with their text columns), never a
/// sort, and the newest run summary found without stepping over the
/// per-change history.
@Suite("Status counts from indexes")
struct StatusCountPlanTests {
    /// Filled on the database's own queue, read after tracing stops.
    private final class Statements: @unchecked Sendable {
        var sql: [String] = []
    }

    private func values(_ path: String, status: SpecStatus, syncError: String? = nil) -> SpecValues {
        SpecValues(path: path, changeId: path.split(separator: "/").last.map(String.init) ?? path, title: "t",
                   status: status, archivedOn: nil, proposalContent: ColumnText(String(repeating: "p", count: 5_000)), tasksContent: nil,
                   designContent: nil, completedTasks: 0, totalTasks: 0, taskStatus: "no-tasks", schemaName: nil,
                   createdOn: nil, issuesJSON: "[]", filesystemModifiedAt: nil, syncError: syncError)
    }

    @Test("the counts and the last run are right and their every query is planned on an index, with no table scan or sort")
    func countsUseIndexesOnly() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("openspec-sync-store-\(UUID().uuidString)")
        let store = try SQLiteStore(path: folder.path + "/sync.sqlite")
        let project = try store.registerProject(name: "p", repoPath: "/r/p", openspecPath: "openspec")
        try store.write { w in
            for i in 0..<30 { _ = try w.insertSpec(projectId: project.id, values("changes/a\(i)", status: .active), at: Date()) }
            _ = try w.insertSpec(projectId: project.id, values("changes/bad", status: .active, syncError: "unreadable"), at: Date())
            _ = try w.insertSpec(projectId: project.id, values("changes/archive/x", status: .archived), at: Date())
            _ = try w.insertSpec(projectId: project.id, values("changes/gone", status: .removed, syncError: "old"), at: Date())
            try w.insertHistory(HistoryValues(
                projectId: project.id, specId: nil, runId: "r", direction: .filesystemToDatabase, syncedAt: Date(),
                success: true, errorMessage: nil, filesChanged: [], triggeredBy: "manual", action: "run",
                fromCommit: nil, toCommit: nil, durationMs: 1))
        }

        let statements = Statements()
        store.pool.writeWithoutTransaction { db in
            db.trace(options: .statement) { event in statements.sql.append(event.expandedDescription) }
        }
        let counts = try store.projectCounts(projectId: project.id)
        let lastRun = try store.lastRun(projectId: project.id)
        _ = try store.writeCounts(projectId: project.id)
        store.pool.writeWithoutTransaction { db in db.trace(options: .statement, nil) }

        #expect(counts.active == 31 && counts.archived == 1 && counts.removed == 1)
        #expect(counts.withErrors == 1)
        #expect(lastRun?.action == "run")

        let queries = statements.sql.filter { $0.uppercased().hasPrefix("SELECT") }
        #expect(queries.count >= 5)
        for query in queries {
            let plan = try store.pool.read { db in
                try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + query).map { row -> String in row["detail"] }
            }
            for step in plan {
                #expect(!step.hasPrefix("SCAN") && !step.contains("TEMP B-TREE"), "\(query): \(step)")
                if step.contains("openspecSpecs") || step.contains("mainSpecs") {
                    #expect(step.contains("COVERING INDEX") || step.contains("openspecSpecs_errors"), "\(query): \(step)")
                }
                if step.contains("syncHistory") { #expect(step.contains("syncHistory_runs"), "\(query): \(step)") }
            }
        }
    }
}
