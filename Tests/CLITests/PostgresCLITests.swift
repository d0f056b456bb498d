import Foundation
import OpenSpecSyncTestSupport
import Testing

/// The executable on a PostgreSQL database named by a Unix-socket URL, as a
/// user runs it, against the same commands on a SQLite file.
@Suite("CLI on PostgreSQL", .enabled(if: PostgresTestServer.isAvailable, Comment(rawValue: PostgresTestServer.unavailableReason)))
struct PostgresCLITests {
    /// `list --all --json` without what each database draws for itself (row ids, times).
    private func comparable(_ output: Data) throws -> [[String: String]] {
        let object = try #require(try JSONSerialization.jsonObject(with: output) as? [String: Any])
        let changes = try #require(object["changes"] as? [[String: Any]])
        return changes.map { change in
            change.filter { key, _ in key != "id" && !key.hasSuffix("At") }.mapValues { "\($0)" }
        }
    }

    @Test("init, reconcile and list --all --json through --database-url read as they do from a SQLite file")
    func sameAsSQLite() throws {
        let repo = try TempRepo()
        try repo.write("openspec/changes/add-login/proposal.md", "# Change: Add login\n\n## Why\nUsers.\n")
        try repo.write("openspec/changes/add-login/tasks.md", "## 1. Work\n- [x] 1.1 Form\n- [ ] 1.2 Session\n")
        try repo.write("openspec/changes/archive/2026-01-12-add-rate-limit/tasks.md", "- [ ] unfinished\n")
        try repo.write("openspec/specs/auth/spec.md", "## Purpose\nAuth.\n\n## Requirements\n### Requirement: A\nIt SHALL.\n")
        try repo.commitAll("demo")
        let folder = try TempFolder(prefix: "pg-cli")
        let url = try PostgresTestServer.newDatabaseURL()
        var outputs: [Data] = []
        for database in [["--database-url", url], ["--db", folder.file("sync.sqlite")]] {
            // HOME: where the project locks of a database URL live.
            let environment = gitTestEnvironment(extra: ["HOME": folder.path])
            for command in [["init", "--repo", repo.path, "--name", "demo"], ["reconcile", "--repo", repo.path]] {
                let result = try runProcess(openSpecSyncBinary, command + database, environment: environment)
                #expect(result.status == 0, "\(command) \(database): \(result.stderr)")
            }
            let list = try runProcess(openSpecSyncBinary, ["list", "--all", "--json"] + database, environment: environment)
            #expect(list.status == 0, "\(database): \(list.stderr)")
            outputs.append(list.stdoutData)
        }
        let (postgres, sqlite) = (try comparable(outputs[0]), try comparable(outputs[1]))
        #expect(postgres.count == 2 && postgres.map { $0["changeId"] } == ["add-login", "add-rate-limit"], "\(postgres)")
        #expect(postgres == sqlite)
    }
}
