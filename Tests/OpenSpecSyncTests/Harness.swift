import Foundation
import OpenSpecStore
import OpenSpecSyncTestSupport
@testable import OpenSpecSync

/// A real temporary git repository with an openspec/ folder, a real SQLite
/// file, and the engine wired to both.
final class Harness: @unchecked Sendable {
    let repo: TempRepo
    let databaseFolder: TempFolder
    let dbPath: String
    let engine: SyncEngine
    let project: ProjectRecord

    init(fileSystem: FileSystem = PosixFileSystem(), writeFileSystem: WriteFileSystem = PosixWriteFileSystem(),
         commitInitial: Bool = true) throws {
        repo = try TempRepo()
        try repo.write("openspec/config.yaml", "schema: spec-driven\n")
        if commitInitial { try repo.commitAll("openspec init") }
        databaseFolder = try TempFolder(prefix: "db")
        dbPath = databaseFolder.file("sync.sqlite")
        engine = try SyncEngine(databasePath: dbPath, fileSystem: fileSystem, writeFileSystem: writeFileSystem)
        project = try engine.register(repo: repo.path, name: nil, openspecDir: nil)
    }

    @discardableResult
    func reconcile(full: Bool = false, maxFileBytes: Int = 8 << 20, trigger: SyncTrigger = .manual) throws -> ReconcileSummary {
        try engine.reconcile(project, options: ReconcileOptions(full: full, trigger: trigger, maxFileBytes: maxFileBytes))
    }

    /// Writes a change folder with the usual three files.
    func writeChange(_ folder: String, title: String? = nil, tasks: String = "## 1. Work\n- [ ] 1.1 Do it\n- [x] 1.2 Done\n",
                     design: String? = nil) throws {
        let id = folder.split(separator: "/").last.map(String.init) ?? folder
        let heading = title.map { "# Change: \($0)\n\n" } ?? ""
        try repo.write("openspec/\(folder)/proposal.md", "\(heading)## Why\nBecause \(id) matters.\n\n## What Changes\n- something\n")
        try repo.write("openspec/\(folder)/tasks.md", tasks)
        if let design { try repo.write("openspec/\(folder)/design.md", design) }
    }

    /// `openspec archive` as git sees it: a rename into changes/archive/.
    func gitArchive(_ id: String, on date: String) throws {
        try FileManager.default.createDirectory(atPath: repo.path + "/openspec/changes/archive", withIntermediateDirectories: true)
        try repo.git("mv", "openspec/changes/\(id)", "openspec/changes/archive/\(date)-\(id)")
    }

    func spec(_ path: String) throws -> SpecSummary? {
        try engine.store.specSummaries(projectId: project.id).first { $0.path == path }
    }

    func specs() throws -> [SpecSummary] {
        try engine.store.specSummaries(projectId: project.id)
    }

    func record(_ path: String) throws -> SpecRecord? {
        guard let summary = try spec(path) else { return nil }
        return try engine.store.spec(id: summary.id)
    }

    func history(specId: String? = nil) throws -> [HistoryRecord] {
        try engine.store.history(projectId: project.id, specId: specId, limit: 1000)
    }
}
