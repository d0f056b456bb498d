import Foundation
import OpenSpecSyncTestSupport
import Testing

/// Several hosts on one PostgreSQL database, on one machine: each host is
/// a process environment with a host name, a home folder and clones of
/// its own; the server has no clone at all.
@Suite("Many hosts on one PostgreSQL database", .serialized,
       .enabled(if: PostgresTestServer.isAvailable, Comment(rawValue: PostgresTestServer.unavailableReason)))
struct MultiHostTests {
    /// The scan interval of every daemon, in seconds.
    static let interval = 2.0

    final class Cluster: @unchecked Sendable {
        let url: String
        let folder: TempFolder
        var origins: [String: TempRepo] = [:]
        /// Each host's clone of each project it has.
        var clones: [String: [String: TempRepo]] = [:]
        var daemons: [String: BackgroundProcess] = [:]

        init() throws {
            url = try PostgresTestServer.newDatabaseURL()
            folder = try TempFolder(prefix: "hosts")
        }

        func environment(_ host: String) -> [String: String] {
            let home = folder.file(host)
            try? FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
            return ["OPENSPEC_SYNC_DATABASE_URL": url, "OPENSPEC_SYNC_HOST": host, "HOME": home,
                    "OPENSPEC_SYNC_OWNER_TIMEOUT": "30"]
        }

        @discardableResult
        func cli(_ host: String, _ arguments: [String]) throws -> ProcessResult {
            let result = try runProcess(openSpecSyncBinary, arguments, environment: gitTestEnvironment(extra: environment(host)))
            #expect(result.status == 0, "\(host): \(arguments): \(result.stderr)")
            return result
        }

        /// A project with one change of one open task, committed in its origin.
        func makeOrigin(_ name: String) throws {
            let origin = try TempRepo()
            try origin.write("openspec/changes/\(name)-change/proposal.md", "# Change: \(name)\n\n## Why\nBecause.\n")
            try origin.write("openspec/changes/\(name)-change/tasks.md", "## 1. Work\n- [ ] 1.1 Do \(name)\n- [ ] 1.2 Check\n")
            try origin.commitAll("\(name)")
            origins[name] = origin
        }

        /// A clone of `name` on `host`, registered; its owner (the first to
        /// register it, under the name) syncs it, a standby just joins.
        func clone(_ name: String, on host: String, owner: Bool) throws -> ProcessResult {
            let clone = try TempRepo(cloning: try #require(origins[name]).path)
            clones[host, default: [:]][name] = clone
            guard owner else { return try cli(host, ["init", "--repo", clone.path]) }
            let registered = try cli(host, ["init", "--repo", clone.path, "--name", name])
            try cli(host, ["reconcile", "--repo", clone.path])
            return registered
        }

        func startDaemon(_ host: String) async throws {
            let daemon = try BackgroundProcess(openSpecSyncBinary, ["run", "--interval", "\(MultiHostTests.interval)"],
                                               environment: gitTestEnvironment(extra: environment(host)), logs: folder.path, name: host)
            daemons[host] = daemon
            // Its log is on stderr.
            #expect(await eventually(timeout: 30) { daemon.errors.contains("scan: ") || !daemon.isRunning }, "\(host) did not scan")
            #expect(daemon.isRunning, "\(host): \(daemon.errors)")
        }

        /// `status --json` as `host` reads it: project name -> owner host.
        func owners(_ host: String = "server") throws -> [String: String] {
            let output = try cli(host, ["status", "--json"]).stdoutData
            let projects = (try JSONSerialization.jsonObject(with: output) as? [String: Any])?["projects"] as? [[String: Any]] ?? []
            var owners: [String: String] = [:]
            for project in projects {
                if let name = project["name"] as? String, let owner = project["owner"] as? [String: Any], owner["held"] as? Bool == true {
                    owners[name] = owner["host"] as? String
                }
            }
            return owners
        }

        /// `list --all --json` without what each database draws for itself (ids, times, the project's name).
        func listing(_ arguments: [String], host: String) throws -> [[String: String]] {
            let output = try cli(host, ["list", "--all", "--json"] + arguments).stdoutData
            let changes = (try JSONSerialization.jsonObject(with: output) as? [String: Any])?["changes"] as? [[String: Any]] ?? []
            return changes.map { $0.filter { key, _ in key != "id" && key != "project" && !key.hasSuffix("At") }.mapValues { "\($0)" } }
        }
    }

    /// Ticks a task through the server; the commit it reports.
    private func tick(_ server: LiveServer, _ name: String, task: String) throws -> String? {
        let reply = try server.mutate("specs.toggleTask", json(["specId": "\(name)-change", "task": task, "done": true, "projectId": name]))
        #expect(reply.status == 200, "\(name): \(reply)")
        let data = reply.data as? [String: Any]
        #expect(data?["outcome"] as? String == "written", "\(name): \(reply)")
        return data?["commit"] as? String
    }

    private func head(_ repo: TempRepo) throws -> String {
        try repo.git("log", "-1", "--format=%H").trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Commits this tool made in a clone.
    private func toolCommits(_ repo: TempRepo) throws -> Int {
        try repo.git("log", "--format=%an").split(separator: "\n").filter { $0 == "openspec-sync" }.count
    }

    @Test("""
        three daemons own two projects each; edits made through a server with no clone land as commits in the owners' \
        clones; its event stream carries every host's events; after kill -9 of an owner its standbys take over within \
        two intervals; nothing is lost or duplicated
        """)
    func threeOwnersAndAServer() async throws {
        let cluster = try Cluster()
        let owned = ["host-a": ["alpha", "beta"], "host-b": ["gamma", "delta"], "host-c": ["epsilon", "zeta"]]
        let projects = owned.values.flatMap { $0 }.sorted()
        for name in projects { try cluster.makeOrigin(name) }
        for (host, names) in owned.sorted(by: { $0.key < $1.key }) {
            for name in names { _ = try cluster.clone(name, on: host, owner: true) }
        }
        // Standbys: host-b for alpha, host-c for beta.
        for (host, name) in [("host-b", "alpha"), ("host-c", "beta")] {
            let joined = try cluster.clone(name, on: host, owner: false)
            #expect(joined.stdout.contains("as a clone of \(name)") && joined.stdout.contains("host-a"), "\(joined.stdout)")
        }
        #expect(try cluster.owners() == Dictionary(uniqueKeysWithValues: owned.flatMap { host, names in names.map { ($0, host) } }))

        let server = try LiveServer(database: cluster.environment("server"))
        try server.start()
        defer { server.stop() }
        let events = try EventStream(server, name: "events")
        defer { events.close() }
        for host in owned.keys.sorted() { try await cluster.startDaemon(host) }
        defer { for daemon in cluster.daemons.values { daemon.stop() } }

        // An edit of every project, through the server, committed by its owner in its owner's clone.
        for (host, names) in owned {
            for name in names {
                let clone = try #require(cluster.clones[host]?[name])
                let commit = try tick(server, name, task: "1.1")
                #expect(try commit != nil && commit == head(clone), "\(name) on \(host)")
                #expect(try clone.readText("openspec/changes/\(name)-change/tasks.md").contains("- [x] 1.1 Do \(name)"))
            }
        }
        // The stream saw each project's write, whichever host made it.
        #expect(await eventually(timeout: 15) {
            Set(events.events.filter { $0.body["direction"] as? String == "db_to_fs" && $0.body["type"] as? String == "sync_completed" }
                .compactMap { $0.body["project"] as? String }) == Set(projects)
        }, "\(events.text.suffix(3000))")

        // host-a dies: host-b takes alpha, host-c takes beta, within two intervals.
        let killed = Date()
        try #require(cluster.daemons["host-a"]).stop(signal: SIGKILL)
        #expect(await eventually(timeout: 30, every: .milliseconds(100)) {
            let owners = (try? cluster.owners()) ?? [:]
            return owners["alpha"] == "host-b" && owners["beta"] == "host-c"
        })
        let takeover = Date().timeIntervalSince(killed)
        // Two intervals, and the time to notice: a `status` process per poll, on a machine busy with the rest.
        #expect(takeover <= 2 * Self.interval + 2, "the standbys took \(takeover) s")
        for host in ["host-b", "host-c"] {
            // Said when the round that took over ends.
            let daemon = try #require(cluster.daemons[host])
            #expect(await eventually(timeout: 10) { daemon.errors.contains("taken over from host host-a") }, "\(host) did not say so")
        }

        // The new owners read their own clones, which never had host-a's edits.
        for name in ["alpha", "beta"] {
            #expect(await eventually(timeout: 10, every: .milliseconds(100)) {
                (try? cluster.listing(["--project", name], host: "server").first?["completedTasks"]) == "0"
            }, "\(name) was not read from its new owner's clone")
        }
        // Edits now land in the standbys' clones.
        for (host, name) in [("host-b", "alpha"), ("host-c", "beta")] {
            let clone = try #require(cluster.clones[host]?[name])
            let commit = try tick(server, name, task: "1.2")
            #expect(try commit != nil && commit == head(clone), "\(name) on \(host)")
            #expect(try toolCommits(clone) == 1)
        }
        for name in ["alpha", "beta"] {
            #expect(try toolCommits(#require(cluster.clones["host-a"]?[name])) == 1, "the dead owner's clone keeps its one commit")
        }

        var expected = Dictionary(uniqueKeysWithValues: owned.flatMap { host, names in names.map { ($0, host) } })
        expected["alpha"] = "host-b"
        expected["beta"] = "host-c"
        #expect(try cluster.owners() == expected)

        // Nothing lost or duplicated: each project reads as a fresh SQLite import of its owner's clone.
        for daemon in cluster.daemons.values { daemon.stop() }
        for name in projects {
            let owner = try #require(owned.first { $0.value.contains(name) }?.key)
            let host = name == "alpha" ? "host-b" : name == "beta" ? "host-c" : owner
            let clone = try #require(cluster.clones[host]?[name])
            let sqlite = ["--db", cluster.folder.file("\(name).sqlite")]
            try cluster.cli(host, ["init", "--repo", clone.path] + sqlite)
            try cluster.cli(host, ["reconcile", "--repo", clone.path] + sqlite)
            let fresh = try cluster.listing(sqlite, host: host)
            #expect(fresh.count == 1)
            #expect(try cluster.listing(["--project", name], host: "server") == fresh, "\(name)")
            #expect(try toolCommits(clone) == 1, "\(name): one edit, one commit")
        }
        let status = try cluster.cli("server", ["status", "--json"]).stdout
        #expect(!status.contains("\"pendingWrites\":1") && !status.contains("\"pendingWrites\" : 1"), "\(status)")
    }
}

/// The database out of reach for a while (connections refused and cut),
/// then back: the daemon keeps running and catches up.
@Suite("A daemon while its PostgreSQL database is away", .serialized,
       .enabled(if: PostgresTestServer.isAvailable, Comment(rawValue: PostgresTestServer.unavailableReason)))
struct DatabaseAwayTests {
    @Test("commits made while the database is unreachable are synced when it is back; an edit tried meanwhile fails whole")
    func catchesUp() async throws {
        let cluster = try MultiHostTests.Cluster()
        try cluster.makeOrigin("alpha")
        _ = try cluster.clone("alpha", on: "host-a", owner: true)
        let clone = try #require(cluster.clones["host-a"]?["alpha"])
        try await cluster.startDaemon("host-a")
        defer { for daemon in cluster.daemons.values { daemon.stop() } }
        let daemon = try #require(cluster.daemons["host-a"])
        let database = String(try #require(cluster.url.split(separator: "?").first?.split(separator: "/").last))
        let admin = cluster.url.replacingOccurrences(of: "/\(database)?", with: "/postgres?")

        _ = try PostgresTestServer.sql(admin, "ALTER DATABASE \(database) ALLOW_CONNECTIONS false")
        _ = try PostgresTestServer.sql(admin, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '\(database)'")
        try clone.write("openspec/changes/alpha-more/proposal.md", "# Change: More\n\n## Why\nWhile away.\n")
        try clone.commitAll("while the database is away")
        let before = try clone.readText("openspec/changes/alpha-change/tasks.md")
        let edit = try runProcess(openSpecSyncBinary, ["task", "alpha:alpha-change", "1.1", "--done"],
                                  environment: gitTestEnvironment(extra: cluster.environment("host-a")))
        #expect(edit.status != 0, "an edit was acknowledged without its database: \(edit.stdout)")
        #expect(try clone.readText("openspec/changes/alpha-change/tasks.md") == before, "the file was touched")
        try await Task.sleep(for: .seconds(3 * MultiHostTests.interval))
        #expect(daemon.isRunning, "the daemon stopped: \(daemon.errors.suffix(2000))")

        _ = try PostgresTestServer.sql(admin, "ALTER DATABASE \(database) ALLOW_CONNECTIONS true")
        #expect(await eventually(timeout: 30, every: .milliseconds(200)) {
            ((try? cluster.listing(["--project", "alpha"], host: "server")) ?? []).map { $0["changeId"] } == ["alpha-change", "alpha-more"]
        }, "the commit made meanwhile was not synced: \(daemon.errors.suffix(3000))")
        #expect(daemon.isRunning)
        #expect(await eventually(timeout: 10) { (try? cluster.owners()["alpha"]) == "host-a" }, "the owner lost its project")
    }
}
