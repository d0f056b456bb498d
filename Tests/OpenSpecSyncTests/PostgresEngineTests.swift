import Foundation
import OpenSpecPostgres
import OpenSpecStore
import OpenSpecSyncTestSupport
import Testing
@testable import OpenSpecSync

/// The engine on the PostgreSQL store against the engine on SQLite: the
/// same real repository, reconciled the same way, must read back the same.
@Suite("Engine on PostgreSQL", .enabled(if: PostgresTestServer.isAvailable, Comment(rawValue: PostgresTestServer.unavailableReason)))
struct PostgresEngineTests {
    /// A repository with active and archived changes, main specs, a binary file and a later commit that archives, edits and removes.
    private func repository() throws -> TempRepo {
        let repo = try TempRepo()
        try repo.write("openspec/config.yaml", "schema: spec-driven\n")
        try repo.write("openspec/specs/auth/spec.md", "# Auth\n\n## Purpose\nSign in.\n\n## Requirements\n### Requirement: Login\nThe system SHALL log in.\n")
        try repo.write("openspec/changes/add-login/proposal.md", "# Change: Add login\n\n## Why\nUsers.\n\n## What Changes\n- login\n")
        try repo.write("openspec/changes/add-login/tasks.md", "## 1. Work\n- [x] 1.1 Form\n- [ ] 1.2 Session\n")
        try repo.write("openspec/changes/add-login/specs/auth/spec.md", "## ADDED Requirements\n### Requirement: Session\nThe system SHALL keep a session.\n")
        try repo.write("openspec/changes/add-logout/proposal.md", "# Change: Add logout\n\n## Why\nLeave.\n")
        try repo.write("openspec/changes/add-logout/logo.png", bytes: [0x89, 0x50, 0x4E, 0x47, 0x00, 0xFF, 0x10])
        try repo.write("openspec/changes/drop-legacy/proposal.md", "# Change: Drop legacy\n\n## Why\nOld.\n")
        try repo.write("openspec/changes/archive/2026-01-02-first/proposal.md", "# Change: First\n\n## Why\nStart.\n")
        try repo.commitAll("openspec")
        return repo
    }

    private func laterCommit(_ repo: TempRepo) throws {
        try FileManager.default.createDirectory(atPath: repo.path + "/openspec/changes/archive", withIntermediateDirectories: true)
        _ = try repo.git("mv", "openspec/changes/add-logout", "openspec/changes/archive/2026-02-03-add-logout")
        try repo.write("openspec/changes/add-login/tasks.md", "## 1. Work\n- [x] 1.1 Form\n- [x] 1.2 Session\n")
        try repo.remove("openspec/changes/drop-legacy")
        try repo.commitAll("archive, finish, drop")
    }

    /// What a listing shows, without row ids and times (each store draws its own).
    private struct Listing: Equatable {
        var summaries: [String]
        var files: [String]
        var mainSpecs: [String]
        var actions: [String]
        var counts: String
    }

    private func listing(_ engine: SyncEngine, _ project: ProjectRecord) throws -> Listing {
        let store = engine.store
        let specs = try store.specSummaries(projectId: project.id)
        let paths = Dictionary(uniqueKeysWithValues: specs.map { ($0.id, $0.path) })
        var files: [String] = []
        for spec in specs {
            for file in try store.specFiles(specId: spec.id, withContent: true) {
                files.append("\(spec.path)/\(file.path) \(file.blobId) \(file.size) \(file.isUTF8) \(file.content?.base64EncodedString() ?? "-")")
            }
        }
        let history = try store.history(projectId: project.id, limit: 1000)
        return Listing(
            summaries: specs.map { "\($0.path) \($0.changeId) \($0.title) \($0.status) \($0.archivedOn ?? "-") \($0.completedTasks)/\($0.totalTasks) \($0.taskStatus) \($0.syncError ?? "-")" },
            files: files,
            mainSpecs: try store.mainSpecs(projectId: project.id).map { "\($0.capability) \($0.status) \($0.title ?? "-") \($0.requirementCount) \($0.blobId ?? "-")" },
            actions: history.reversed().map { "\($0.action) \($0.specId.flatMap { paths[$0] } ?? "-") \($0.success) \($0.filesChangedList)" },
            counts: "\(try store.projectCounts(projectId: project.id))")
    }

    @Test("a repository reconciled into PostgreSQL reads back as it does from SQLite, before and after a commit")
    func sameAsSQLite() throws {
        let repo = try repository()
        let folder = try TempFolder(prefix: "pg-engine")
        let sqlite = try SyncEngine(databasePath: folder.file("sync.sqlite"))
        let store = try PostgresStore(url: DatabaseURL(PostgresTestServer.newDatabaseURL()), timeout: 30)
        let postgres = SyncEngine(store: store, lockBase: folder.file("postgres-locks"))
        let engines = [sqlite, postgres]
        let projects = try engines.map { try $0.register(repo: repo.path, name: "demo", openspecDir: nil) }
        for (engine, project) in zip(engines, projects) { _ = try engine.reconcile(project) }
        let first = try zip(engines, projects).map { try listing($0, $1) }
        #expect(first[0].summaries.count == 4 && first[0].files.contains { $0.contains("logo.png") })
        #expect(first[1] == first[0])

        try laterCommit(repo)
        for (engine, project) in zip(engines, projects) { _ = try engine.reconcile(project) }
        let second = try zip(engines, projects).map { try listing($0, $1) }
        #expect(second[0].summaries.contains { $0.hasPrefix("changes/archive/2026-02-03-add-logout") })
        #expect(second[0].actions.contains { $0.hasPrefix("archived") } && second[0].actions.contains { $0.hasPrefix("removed") })
        #expect(second[1] == second[0])
        #expect(try store.changeCounter() > 0)
    }
}
