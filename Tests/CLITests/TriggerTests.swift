import Foundation
import OpenSpecSyncTestSupport
import Testing

/// Hooks, coalescing and the daemon, through the built executable and the
/// real `git`, as a user would set them up.
@Suite("Triggers end to end", .serialized)
struct TriggerTests {
    /// A registered, synced repository with hooks installed.
    private func hookedRepo(_ cli: CLI, changes: Int = 3) throws -> TempRepo {
        let repo = try TempRepo.withChanges(changes)
        #expect(try cli.run(["init", "--repo", repo.path]).status == 0)
        #expect(try cli.run(["reconcile", "--repo", repo.path]).status == 0)
        let install = try cli.run(["hooks", "install", "--repo", repo.path, "--db", cli.dbPath])
        #expect(install.status == 0, "\(install.stderr)")
        return repo
    }

    private func list(_ cli: CLI, _ repo: TempRepo) throws -> [String: [String: Any]] {
        let json = try cli.json(["list", "--all", "--repo", repo.path])
        let changes = try #require(json["changes"] as? [[String: Any]])
        return Dictionary(uniqueKeysWithValues: changes.map { ($0["path"] as? String ?? "", $0) })
    }

    private func runCount(_ cli: CLI) throws -> Int {
        Int(try sqlite(cli.dbPath, "SELECT COUNT(*) FROM syncHistory WHERE specId IS NULL AND action <> 'started'")) ?? -1
    }

    @Test("git commit, merge, checkout and rebase leave the database matching the working tree")
    func hooksFollowGit() throws {
        let cli = try CLI()
        let repo = try hookedRepo(cli)

        // commit: the post-commit hook syncs before git returns.
        try repo.write("openspec/changes/change-1/tasks.md", "- [x] 1.1 first\n- [x] 1.2 second\n")
        try repo.commitAll("finish change-1")
        #expect(try list(cli, repo)["changes/change-1"]?["taskStatus"] as? String == "complete")

        // checkout: post-checkout.
        try repo.git("checkout", "-q", "-b", "feature")
        try repo.write("openspec/changes/feature-only/tasks.md", "- [ ] x\n")
        try repo.commitAll("feature change")
        #expect(try list(cli, repo)["changes/feature-only"]?["status"] as? String == "active")
        try repo.git("checkout", "-q", "main")
        #expect(try list(cli, repo)["changes/feature-only"]?["status"] as? String == "removed")

        // merge: post-merge.
        try repo.git("merge", "-q", "--no-edit", "feature")
        #expect(try list(cli, repo)["changes/feature-only"]?["status"] as? String == "active")

        // rebase: post-commit per replayed commit only marks the project; post-rewrite syncs once.
        try repo.git("checkout", "-q", "-b", "topic", "HEAD~2")
        for i in 1...4 {
            try repo.write("openspec/changes/topic-\(i)/tasks.md", "- [x] done \(i)\n")
            try repo.commitAll("topic \(i)")
        }
        let before = try runCount(cli)
        try repo.git("rebase", "-q", "main")
        let after = try runCount(cli)
        #expect(after - before <= 2, "a 4-commit rebase ran \(after - before) reconciles")
        let rows = try list(cli, repo)
        for i in 1...4 { #expect(rows["changes/topic-\(i)"]?["status"] as? String == "active") }
        #expect(rows["changes/feature-only"]?["status"] as? String == "active")
        #expect(try repo.git("status", "--porcelain") == "")
    }

    @Test("an existing hook keeps running, and uninstall restores it byte for byte")
    func existingHookKept() throws {
        let cli = try CLI()
        let repo = try TempRepo()
        try repo.write("openspec/changes/a/tasks.md", "- [ ] a\n")
        try repo.commitAll("a")
        let marker = repo.path + "/old-hook-ran"
        let original = "#!/bin/sh\n# the team's own hook\necho ran >> \"\(marker)\"\n"
        try repo.write(".git/hooks/post-commit", original)
        chmod(repo.path + "/.git/hooks/post-commit", 0o750)
        #expect(try cli.run(["init", "--repo", repo.path]).status == 0)
        #expect(try cli.run(["hooks", "install", "--repo", repo.path, "--db", cli.dbPath]).status == 0)
        #expect(try cli.run(["hooks", "install", "--repo", repo.path, "--db", cli.dbPath]).status == 0, "install is idempotent")

        try repo.write("openspec/changes/a/tasks.md", "- [x] a\n")
        try repo.commitAll("tick")
        #expect(try String(contentsOfFile: marker, encoding: .utf8) == "ran\n")
        // Never synced before: the first import continues in the background.
        #expect(try eventually(timeout: 2) { try list(cli, repo)["changes/a"]?["taskStatus"] as? String == "complete" })
        #expect(try repo.readText(".git/openspec-sync/hook.log").contains("continues in the background"))

        let status = try cli.json(["hooks", "status", "--repo", repo.path, "--db", cli.dbPath])
        let hooks = try #require(status["hooks"] as? [[String: Any]])
        #expect(hooks.count == 4)
        #expect(hooks.first { $0["name"] as? String == "post-commit" }?["chained"] as? Bool == true)

        #expect(try cli.run(["hooks", "uninstall", "--repo", repo.path, "--db", cli.dbPath]).status == 0)
        #expect(try repo.read(".git/hooks/post-commit") == Array(original.utf8))
        let attributes = try FileManager.default.attributesOfItem(atPath: repo.path + "/.git/hooks/post-commit")
        #expect((attributes[.posixPermissions] as? Int) == 0o750)
        for name in ["post-merge", "post-checkout", "post-rewrite"] {
            #expect(!repo.exists(".git/hooks/\(name)"), "\(name) was not there before and must be gone")
        }
    }

    @Test("the installed hook rotates its log past 1 MiB and logs to a new one")
    func hookRotatesItsLog() throws {
        let cli = try CLI()
        let repo = try hookedRepo(cli)
        let log = repo.path + "/.git/openspec-sync/hook.log"
        try FileManager.default.createDirectory(atPath: repo.path + "/.git/openspec-sync", withIntermediateDirectories: true)
        let big = String(repeating: "x", count: 1_100_000) + "\n"
        try Data(big.utf8).write(to: URL(fileURLWithPath: log))
        try repo.write("openspec/changes/change-1/tasks.md", "- [x] 1.1 first\n- [ ] 1.2 second\n")
        try repo.commitAll("tick")
        // The run that found the log too big wrote to it, then renamed it.
        let rotated = try Data(contentsOf: URL(fileURLWithPath: log + ".1"))
        #expect(rotated.count > big.utf8.count - 1 && rotated.prefix(big.utf8.count) == Data(big.utf8))
        let fresh = (try? Data(contentsOf: URL(fileURLWithPath: log))) ?? Data()
        #expect(fresh.count < 4096, "a new log starts after the rotation")
        #expect(try list(cli, repo)["changes/change-1"]?["completedTasks"] as? Int == 1, "and the commit was synced")
    }

    @Test("a hook name openspec-sync does not follow is named, runs nothing and lets git go on (exit 0)")
    func unknownHookName() throws {
        let cli = try CLI()
        let repo = try hookedRepo(cli, changes: 2)
        let before = try runCount(cli)
        let result = try cli.run(["hook", "pre-commit", "--repo", repo.path, "--db", cli.dbPath])
        #expect(result.status == 0)
        #expect(result.stderr.contains("pre-commit: not a hook openspec-sync follows (post-commit, post-merge, post-checkout, post-rewrite)"),
                "\(result.stderr)")
        #expect(try runCount(cli) == before)
    }

    @Test("20 hook calls at once give at most 2 reconciles and a correct final state")
    func concurrentHookStorm() throws {
        let cli = try CLI()
        let repo = try hookedRepo(cli, changes: 200)
        for i in 1...10 { try repo.write("openspec/changes/change-\(i)/tasks.md", "- [x] all done\n") }
        try repo.git(["add", "-A"])
        try repo.git(["commit", "-q", "--no-verify", "-m", "bulk"], environment: ["GIT_CONFIG_COUNT": "1", "GIT_CONFIG_KEY_0": "core.hooksPath", "GIT_CONFIG_VALUE_0": "/dev/null"])
        let before = try runCount(cli)

        // A shell starts the 20 hooks together, as git's hooks of a storm would run.
        let script = """
            failed=0
            for i in $(seq 20); do "$0" hook post-commit --repo "$1" --db "$2" >/dev/null 2>&1 & done
            for job in $(jobs -p); do wait "$job" || failed=1; done
            exit $failed
            """
        let storm = try runProcess("/bin/sh", ["-c", script, CLI.binary, repo.path, cli.dbPath])
        #expect(storm.status == 0, "every hook exits 0")
        let runs = try runCount(cli) - before
        #expect(runs >= 1 && runs <= 2, "20 concurrent hooks ran \(runs) reconciles")
        let rows = try list(cli, repo)
        for i in 1...10 { #expect(rows["changes/change-\(i)"]?["taskStatus"] as? String == "complete") }
        #expect(rows["changes/change-11"]?["taskStatus"] as? String == "in-progress")
    }

    @Test("the daemon sees reset --hard, stash pop and a branch switch within one interval, and exits 0 on SIGTERM")
    func daemonCatchesWhatHooksMiss() throws {
        let cli = try CLI()
        let repo = try TempRepo()
        try repo.write("openspec/changes/a/tasks.md", "- [ ] a\n")
        try repo.commitAll("a")
        try repo.git("checkout", "-q", "-b", "other")
        try repo.write("openspec/changes/b/tasks.md", "- [ ] b\n")
        try repo.commitAll("b")
        try repo.git("checkout", "-q", "main")
        #expect(try cli.run(["init", "--repo", repo.path]).status == 0)

        let daemon = try cli.start(["run", "--interval", "0.3", "--db", cli.dbPath])

        #expect(try eventually(timeout: 3) { try list(cli, repo)["changes/a"] != nil }, "first round imports")

        // An uncommitted edit, then reset --hard: no hook fires for either.
        try repo.write("openspec/changes/a/tasks.md", "- [x] a\n")
        #expect(try eventually(timeout: 2) { try list(cli, repo)["changes/a"]?["taskStatus"] as? String == "complete" })
        try repo.git("reset", "-q", "--hard")
        #expect(try eventually(timeout: 2) { try list(cli, repo)["changes/a"]?["taskStatus"] as? String == "in-progress" })

        // stash pop brings the edit back.
        try repo.write("openspec/changes/a/tasks.md", "- [x] a\n")
        try repo.git("stash", "-q")
        #expect(try eventually(timeout: 2) { try list(cli, repo)["changes/a"]?["taskStatus"] as? String == "in-progress" })
        try repo.git("stash", "pop", "-q")
        #expect(try eventually(timeout: 2) { try list(cli, repo)["changes/a"]?["taskStatus"] as? String == "complete" })

        // A branch switch without hooks installed.
        try repo.git("checkout", "-q", "-f", "other")
        #expect(try eventually(timeout: 2) { try list(cli, repo)["changes/b"]?["status"] as? String == "active" })

        daemon.stop()
        #expect(daemon.process.terminationReason == .exit && daemon.process.terminationStatus == 0)
        let output = daemon.output + daemon.errors
        #expect(output.contains("scan: 1 project(s)"), "one summary line per round: \(output)")
        let check = try runProcess("/usr/bin/sqlite3", [cli.dbPath, "PRAGMA integrity_check"])
        #expect(check.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "ok")
    }

    @Test("with --watch an uncommitted edit reaches the database within a second")
    func watcherSyncsUncommittedEdits() throws {
        let cli = try CLI()
        let repo = try TempRepo()
        try repo.write("openspec/changes/a/tasks.md", "- [ ] a\n")
        try repo.commitAll("a")
        #expect(try cli.run(["init", "--repo", repo.path]).status == 0)
        #expect(try cli.run(["reconcile", "--repo", repo.path]).status == 0)

        // A long interval: only the watcher can explain a fast sync.
        let daemon = try cli.start(["run", "--interval", "600", "--watch", "--db", cli.dbPath])
        usleep(500_000)  // the first round and the watches

        let before = try runCount(cli)
        try repo.write("openspec/changes/a/tasks.md", "- [x] a\n")
        let written = Date()
        #expect(try eventually(timeout: 3) { try list(cli, repo)["changes/a"]?["taskStatus"] as? String == "complete" })
        #expect(Date().timeIntervalSince(written) < 1.0, "the watcher took \(Date().timeIntervalSince(written)) s")

        // 50 rapid writes to one file: one sync.
        usleep(300_000)
        let burstBefore = try runCount(cli)
        for i in 0..<50 {
            try repo.write("openspec/changes/a/tasks.md", "- [x] a\n- [ ] write \(i)\n")
            usleep(5_000)
        }
        usleep(800_000)
        let burstRuns = try runCount(cli) - burstBefore
        #expect(burstRuns == 1, "50 rapid writes gave \(burstRuns) syncs")
        #expect(try list(cli, repo)["changes/a"]?["totalTasks"] as? Int == 2)
        #expect(before >= 1)

        let history = try cli.json(["history", "--limit", "1"])
        #expect((history["items"] as? [[String: Any]])?.first?["triggeredBy"] as? String == "file_watcher")
        daemon.stop()
        #expect(daemon.process.terminationStatus == 0)
    }
}

@Suite("Daemon shutdown")
struct DaemonShutdownTests {
    @Test("SIGTERM in the middle of a round finishes the transaction in flight, exits 0, and leaves a whole database")
    func sigtermMidRun() throws {
        let cli = try CLI()
        let repo = try TempRepo()
        let count = 400
        try writeManyChanges(repo, count: count)
        #expect(try cli.run(["init", "--repo", repo.path]).status == 0)

        let daemon = try cli.start(["run", "--interval", "600", "--db", cli.dbPath])
        // The first round is a full import of 400 changes: stop it while it
        // runs. The project's lock file appears only once a round has begun.
        let deadline = Date().addingTimeInterval(10)
        var inRound = false
        while Date() < deadline && !inRound {
            usleep(5_000)
            let locks = (try? FileManager.default.contentsOfDirectory(atPath: cli.dbPath + ".locks")) ?? []
            inRound = locks.contains { $0.hasSuffix(".lock") }
        }
        #expect(inRound)
        daemon.stop()
        #expect(daemon.process.terminationReason == .exit && daemon.process.terminationStatus == 0)

        let check = try runProcess("/usr/bin/sqlite3", [cli.dbPath, "PRAGMA integrity_check; SELECT COUNT(*) FROM openspecSpecs;"])
        let lines = check.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first == "ok")
        #expect(lines.count == 2 && lines[1] == String(count), "the round in flight must finish: \(check.stdout)")
        // And whatever the round got to, the next reconcile converges.
        #expect(try cli.run(["reconcile", "--repo", repo.path]).status == 0)
        let again = try cli.json(["reconcile", "--repo", repo.path])
        #expect(again["created"] as? Int == 0 && again["updated"] as? Int == 0)
    }
}

@Suite("Daemon history retention")
struct DaemonRetentionTests {
    @Test("the daemon prunes history rows older than OPENSPEC_SYNC_HISTORY_DAYS when it starts, keeping the newest 1,000 of the project's runs")
    func prunesAtStart() throws {
        let cli = try CLI()
        let repo = try TempRepo()
        try repo.write("openspec/changes/a/tasks.md", "- [ ] a\n")
        try repo.commitAll("a")
        #expect(try cli.run(["init", "--repo", repo.path]).status == 0)
        #expect(try cli.run(["reconcile", "--repo", repo.path]).status == 0)
        // 1,200 run rows from 30 days ago, beside the import's start mark, its "created" row and its summary.
        _ = try sqlite(cli.dbPath, """
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1200)
            INSERT INTO syncHistory (projectId, runId, syncDirection, syncedAt, success, triggeredBy, action)
            SELECT (SELECT id FROM projects), 'old-' || i, 'fs_to_db', strftime('%Y-%m-%d %H:%M:%f', 'now', '-30 days', '-' || i || ' seconds'),
                   1, 'periodic', 'run' FROM n;
            """)
        let old = "SELECT COUNT(*) FROM syncHistory WHERE syncedAt < strftime('%Y-%m-%d %H:%M:%f', 'now', '-7 days')"
        #expect(try sqlite(cli.dbPath, old) == "1200")

        let daemon = try cli.start(["run", "--interval", "600", "--db", cli.dbPath], environment: ["OPENSPEC_SYNC_HISTORY_DAYS": "7"])
        #expect(try eventually(timeout: 10) { try sqlite(cli.dbPath, old) != "1200" }, "pruned at start")
        daemon.stop()
        // The project's run rows keep their newest 1,000: the import's start mark and summary, and 998 old ones.
        #expect(try sqlite(cli.dbPath, old) == "998")
        #expect(try sqlite(cli.dbPath, "SELECT COUNT(*) FROM syncHistory WHERE action = 'created'") == "1")
    }
}
