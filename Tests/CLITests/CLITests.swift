import Foundation
import OpenSpecSyncTestSupport
import Testing

/// The built `openspec-sync` executable, run as a user would run it, with a
/// database of its own that goes away with it.
final class CLI: @unchecked Sendable {
    static let binary = openSpecSyncBinary

    let folder: TempFolder
    let dbPath: String

    init() throws {
        folder = try TempFolder(prefix: "cli-db")
        dbPath = folder.file("sync.sqlite")
    }

    @discardableResult
    func run(_ arguments: [String], in directory: String? = nil, environment: [String: String] = [:]) throws -> ProcessResult {
        var env = gitTestEnvironment(extra: environment)
        env["OPENSPEC_SYNC_DB"] = dbPath
        return try runProcess(Self.binary, arguments, in: directory, environment: env)
    }

    func json(_ arguments: [String], in directory: String? = nil) throws -> [String: Any] {
        let result = try run(arguments + ["--json"], in: directory)
        #expect(result.status == 0, "\(arguments): \(result.stderr)")
        let object = try JSONSerialization.jsonObject(with: result.stdoutData)
        return try #require(object as? [String: Any])
    }

    /// Starts the binary in the background (a daemon, a long import), its
    /// output kept in this database's folder.
    func start(_ arguments: [String], environment: [String: String] = [:]) throws -> BackgroundProcess {
        var env = gitTestEnvironment(extra: environment)
        env["OPENSPEC_SYNC_DB"] = dbPath
        return try BackgroundProcess(Self.binary, arguments, environment: env, logs: folder.path, name: arguments.first ?? "process")
    }
}

@Suite("CLI end to end")
struct CLITests {
    private func demoRepo() throws -> TempRepo {
        let repo = try TempRepo()
        try repo.write("openspec/changes/add-login/proposal.md", "# Change: Add login\n\n## Why\nUsers.\n")
        try repo.write("openspec/changes/add-login/tasks.md", "## 1. Work\n- [x] 1.1 Form\n- [ ] 1.2 Session\n")
        try repo.write("openspec/changes/archive/2026-01-12-add-rate-limit/tasks.md", "- [ ] unfinished\n")
        try repo.write("openspec/specs/auth/spec.md", "## Purpose\nAuth.\n\n## Requirements\n### Requirement: A\nIt SHALL.\n")
        try repo.commitAll("demo")
        return repo
    }

    @Test("init, reconcile, list, show, status and history work together")
    func fullFlow() throws {
        let cli = try CLI()
        let repo = try demoRepo()

        let initResult = try cli.run(["init", "--repo", repo.path, "--name", "demo"])
        #expect(initResult.status == 0, "\(initResult.stderr)")
        // --repo defaults to the repository around the current directory.
        let reconcile = try cli.json(["reconcile"], in: repo.path + "/openspec/changes")
        #expect(reconcile["created"] as? Int == 2)
        #expect(reconcile["mode"] as? String == "full")

        let list = try cli.json(["list"], in: repo.path)
        let changes = try #require(list["changes"] as? [[String: Any]])
        #expect(changes.count == 1)
        let login = changes[0]
        for key in ["id", "changeId", "path", "project", "status", "title", "completedTasks", "totalTasks", "taskStatus", "lastSyncedAt", "syncError"] {
            #expect(login.keys.contains(key) || key == "syncError", "list --json lacks \(key)")
        }
        #expect(login["changeId"] as? String == "add-login")
        #expect(login["path"] as? String == "changes/add-login")
        #expect(login["project"] as? String == "demo")
        #expect(login["taskStatus"] as? String == "in-progress")
        #expect(login["completedTasks"] as? Int == 1)

        let all = try cli.json(["list", "--all", "--project", "demo"])
        #expect((all["changes"] as? [[String: Any]])?.count == 2)
        let archived = try cli.json(["list", "--archived"])
        #expect((archived["changes"] as? [[String: Any]])?.first?["status"] as? String == "archived")

        let show = try cli.json(["show", "add-login"])
        #expect(show["title"] as? String == "Add login")
        #expect((show["tasks"] as? [[String: Any]])?.map { $0["marker"] as? String } == ["x", " "])
        let human = try cli.run(["show", "add-login"])
        #expect(human.stdout.contains("1/2"))
        #expect(human.stdout.contains("[x] 1.1 Form  (line 2)") && !human.stdout.contains("1.1 1.1"), "\(human.stdout)")

        let status = try cli.json(["status"])
        let project = try #require((status["projects"] as? [[String: Any]])?.first)
        #expect(project["active"] as? Int == 1)
        #expect(project["archived"] as? Int == 1)
        #expect(project["mainSpecs"] as? Int == 1)

        let history = try cli.json(["history", "--limit", "2"])
        #expect((history["items"] as? [Any])?.count == 2)
        let cursor = try #require(history["nextCursor"] as? Int)
        let rest = try cli.json(["history", "--limit", "10", "--cursor", String(cursor)])
        #expect((rest["items"] as? [Any])?.count == 1)
        #expect(rest["nextCursor"] is NSNull)
        let specHistory = try cli.json(["history", "add-login"])
        #expect((specHistory["items"] as? [[String: Any]])?.map { $0["action"] as? String } == ["created"])
    }

    @Test("init reads its options the same whether written plainly or in ArgumentParser's other forms")
    func initArgumentForms() throws {
        let cli = try CLI()
        // Separate words (read without ArgumentParser) and `--opt=value` (through it).
        let first = try demoRepo()
        let plain = try cli.json(["init", "--repo", first.path, "--name", "alpha", "--openspec-dir", "openspec"])
        #expect(plain["name"] as? String == "alpha")
        #expect(plain["openspecPath"] as? String == "openspec")
        let second = try demoRepo()
        let parsed = try cli.json(["init", "--repo=\(second.path)", "--name=beta"])
        #expect(parsed["name"] as? String == "beta")
        let projects = try cli.json(["status"])["projects"] as? [[String: Any]]
        #expect(Set(projects?.compactMap { $0["name"] as? String } ?? []) == ["alpha", "beta"])

        // Mistakes fall through to ArgumentParser, which explains them.
        let missingValue = try cli.run(["init", "--repo", first.path, "--name"])
        #expect(missingValue.status == 64)
        #expect(missingValue.stderr.contains("--name"))
        // A repeated option is ArgumentParser's to read too: the last one counts.
        let repeated = try cli.json(["init", "--repo", first.path, "--repo", second.path])
        #expect(repeated["name"] as? String == "beta")
    }

    @Test("errors say what to do and use the documented exit codes")
    func errorsAndExitCodes() throws {
        let cli = try CLI()
        let plain = try makeTemporaryDirectory(prefix: "not-a-repo")
        let notRepo = try cli.run(["init", "--repo", plain])
        #expect(notRepo.status == 1)
        #expect(notRepo.stderr.contains("not inside a git repository"))

        let repo = try TempRepo()
        try repo.write("README.md", "no openspec here\n")
        let noFolder = try cli.run(["init", "--repo", repo.path])
        #expect(noFolder.status == 1)
        #expect(noFolder.stderr.contains("openspec init"))

        let other = try demoRepo()
        let unregistered = try cli.run(["reconcile", "--repo", other.path])
        #expect(unregistered.status == 4)
        #expect(unregistered.stderr.contains("openspec-sync init"))

        let unknown = try cli.run(["show", "no-such-change"])
        #expect(unknown.status == 4)

        let usage = try cli.run(["list", "--archived", "--all"])
        #expect(usage.status == 64)
    }

    @Test("a run with nothing changed reads no git index once the index is over a second old")
    func settledIndexIsNotReread() throws {
        let cli = try CLI()
        let repo = try demoRepo()
        #expect(try cli.run(["init", "--repo", repo.path]).status == 0)
        #expect(try cli.run(["reconcile", "--repo", repo.path]).status == 0)
        // git writes the index; the run right after cannot trust its stamp (racy) and reads it.
        try repo.git("update-index", "--really-refresh")
        #expect(utimes(repo.path + "/.git/index", nil) == 0)
        let traced = ["OPENSPEC_SYNC_TRACE": "1"]
        let racy = try cli.run(["reconcile", "--repo", repo.path], environment: traced)
        #expect(racy.stderr.contains("index conflicts"), "\(racy.stderr)")
        Thread.sleep(forTimeInterval: 1.2)
        // One more read, now outside the racy window, settles it; after that, nothing.
        #expect(try cli.run(["reconcile", "--repo", repo.path], environment: traced).status == 0)
        let settled = try cli.run(["reconcile", "--repo", repo.path], environment: traced)
        #expect(settled.status == 0)
        #expect(settled.stderr.contains("stat walk"), "\(settled.stderr)")
        #expect(!settled.stderr.contains("index conflicts") && !settled.stderr.contains("open repository"), "\(settled.stderr)")
    }

    @Test("reconcile behaves the same whether its arguments take the quick path or ArgumentParser")
    func reconcileArgumentPaths() throws {
        let cli = try CLI()
        let repo = try demoRepo()
        #expect(try cli.run(["init", "--repo", repo.path]).status == 0)
        // The spellings scripts and hooks use are read without ArgumentParser;
        // `--repo=PATH` is not, so the two runs below take different paths.
        let quick = try cli.run(["reconcile", "--repo", repo.path, "--trigger", "post-merge", "--json"])
        let parsed = try cli.run(["reconcile", "--repo=\(repo.path)", "--json", "--trigger=post-merge"])
        for result in [quick, parsed] {
            #expect(result.status == 0, "\(result.stderr)")
            let summary = try #require(try JSONSerialization.jsonObject(with: result.stdoutData) as? [String: Any])
            #expect(summary["projectName"] as? String == URL(fileURLWithPath: repo.path).lastPathComponent)
        }
        let history = try cli.json(["history", "--limit", "20"])
        let triggers = (history["items"] as? [[String: Any]] ?? []).compactMap { $0["triggeredBy"] as? String }
        #expect(triggers.filter { $0 == "post-merge" }.count >= 2, "\(triggers)")

        // A file that cannot be synced: exit 3 on both paths, the problem named.
        try repo.write("openspec/changes/broken/tasks.md", "<<<<<<< a\n- [x] x\n=======\n- [ ] y\n>>>>>>> b\n")
        for arguments in [["reconcile", "--repo", repo.path], ["reconcile", "--repo=\(repo.path)"]] {
            let result = try cli.run(arguments)
            #expect(result.status == 3, "\(arguments): \(result.stderr)")
            #expect(result.stdout.contains("changes/broken/tasks.md:1"), "\(arguments): \(result.stdout)")
        }
        // Mistakes still get ArgumentParser's messages and exit 64.
        let both = try cli.run(["reconcile", "--all", "--repo", repo.path])
        #expect(both.status == 64)
        #expect(both.stderr.contains("--all and --repo exclude each other"), "\(both.stderr)")
        for arguments in [["reconcile", "--repo", repo.path, "--trigger", "cron"], ["reconcile", "--trigger=cron"]] {
            let unknownTrigger = try cli.run(arguments)
            #expect(unknownTrigger.status == 64, "\(arguments)")
            #expect(unknownTrigger.stderr.contains("'cron' is invalid for '--trigger") && unknownTrigger.stderr.contains("post-merge"),
                    "\(arguments): \(unknownTrigger.stderr)")
        }
        let unknownOption = try cli.run(["reconcile", "--fast"])
        #expect(unknownOption.status == 64)
        #expect(unknownOption.stderr.contains("--fast"), "\(unknownOption.stderr)")
        let help = try cli.run(["reconcile", "--help"])
        #expect(help.status == 0)
        #expect(help.stdout.contains("--coalesce"))
        // An unregistered repository: exit 4 on the quick path too.
        let other = try demoRepo()
        let unregistered = try cli.run(["reconcile", "--repo", other.path, "--json"])
        #expect(unregistered.status == 4)
        #expect(unregistered.stderr.contains("openspec-sync init"), "\(unregistered.stderr)")
    }

    @Test("a run with a bad file exits 3 and the rest is synced")
    func partialExit() throws {
        let cli = try CLI()
        let repo = try demoRepo()
        try repo.write("openspec/changes/broken/tasks.md", "<<<<<<< a\n- [x] x\n=======\n- [ ] y\n>>>>>>> b\n")
        try cli.run(["init", "--repo", repo.path])
        let result = try cli.run(["reconcile", "--repo", repo.path])
        #expect(result.status == 3)
        #expect(result.stdout.contains("changes/broken/tasks.md:1"))
        let list = try cli.json(["list", "--repo", repo.path])
        #expect((list["changes"] as? [[String: Any]])?.count == 2)
    }

    /// RELIABILITY T1: kill the reconciler at step N, N = 1, 2, ... until it
    /// completes; after each kill the database is whole and holds the old
    /// state or the new one, and the next run converges. Every run here is
    /// a first import, so this also kills the rollback-journal path.
    @Test("SIGKILL at any point of a full import leaves the old or the new state")
    func crashLoop() throws {
        let cli = try CLI()
        let repo = try TempRepo()
        let count = 400
        try writeManyChanges(repo, count: count)
        #expect(try cli.run(["init", "--repo", repo.path]).status == 0)

        var delay: useconds_t = 2_000
        var completed = false
        var kills = 0
        while !completed && delay < 20_000_000 {
            let run = try runKilling(CLI.binary, ["reconcile", "--repo", repo.path, "--db", cli.dbPath], after: delay)
            if run.killed { kills += 1 }
            completed = run.completed

            let check = try runProcess("/usr/bin/sqlite3", [cli.dbPath, "PRAGMA integrity_check; SELECT COUNT(*) FROM openspecSpecs; SELECT COUNT(*) FROM syncHistory WHERE success = 1 AND specId IS NULL AND action <> 'started'; SELECT reconciledOnce FROM projects;"])
            let lines = check.stdout.split(separator: "\n").map(String.init)
            #expect(lines.first == "ok", "integrity after a kill at \(delay) µs: \(check.stdout) \(check.stderr)")
            if lines.count == 4 {
                let specs = Int(lines[1]) ?? -1
                #expect(specs == 0 || specs == count, "half a batch after a kill at \(delay) µs: \(specs) rows")
                let successRuns = Int(lines[2]) ?? -1
                #expect((specs == 0) == (successRuns == 0), "a success logged for an unapplied batch")
                #expect((specs == count) == (lines[3] == "1"), "the cursor moved without the batch, or the reverse")
            }
            delay = delay * 3 / 2
        }
        #expect(completed)
        #expect(kills > 0, "the loop never interrupted a run; the corpus is too small to test anything")
        let again = try cli.json(["reconcile", "--repo", repo.path])
        #expect(again["created"] as? Int == 0)
        #expect(again["updated"] as? Int == 0)
        // A first import runs with a rollback journal (SQLiteStore.bulkWrite); killed or not, the file ends in WAL mode.
        let mode = try runProcess("/usr/bin/sqlite3", [cli.dbPath, "PRAGMA journal_mode"])
        #expect(mode.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "wal")
    }
}

/// `count` changes of about a kilobyte each, committed: enough that a full
/// import takes a while, to be interrupted or raced.
func writeManyChanges(_ repo: TempRepo, count: Int) throws {
    for i in 0..<count {
        let id = String(format: "change-%04d", i)
        try repo.write("openspec/changes/\(id)/proposal.md", "# Change: \(id)\n\n## Why\n" + String(repeating: "words ", count: 200) + "\n")
        try repo.write("openspec/changes/\(id)/tasks.md", "- [x] 1.1 a\n- [ ] 1.2 b\n")
    }
    try repo.commitAll("many")
}

/// A first import may run with a rollback journal (SQLiteStore.bulkWrite); other
/// processes that start meanwhile must wait for it, not fail.
@Suite("Commands during a first import")
struct CommandsDuringImportTests {
    @Test("list and status run while another process imports, and all succeed")
    func commandsDuringImport() throws {
        let cli = try CLI()
        let repo = try TempRepo()
        try writeManyChanges(repo, count: 400)
        #expect(try cli.run(["init", "--repo", repo.path]).status == 0)

        let importer = try cli.start(["reconcile", "--repo", repo.path, "--db", cli.dbPath])
        var runs = 0
        while importer.isRunning || runs < 3 {
            let command = runs % 2 == 0 ? ["list", "--all", "--json"] : ["status", "--json"]
            let result = try cli.run(command)
            #expect(result.status == 0, "\(command) during the import: \(result.stderr)")
            runs += 1
        }
        importer.process.waitUntilExit()
        #expect(importer.process.terminationStatus == 0)
        let list = try cli.json(["list", "--all"])
        #expect((list["changes"] as? [[String: Any]])?.count == 400)
        let mode = try runProcess("/usr/bin/sqlite3", [cli.dbPath, "PRAGMA journal_mode"])
        #expect(mode.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "wal")
    }
}

/// RELIABILITY T20: the database is derived data; losing it loses nothing
/// the files do not hold.
@Suite("A lost or damaged database")
struct DatabaseLossTests {
    @Test("a deleted database is rebuilt from the files by init and reconcile")
    func deletedDatabaseRebuilds() throws {
        let cli = try CLI()
        let repo = try TempRepo()
        try repo.write("openspec/changes/add-a/tasks.md", "- [x] one\n- [ ] two\n")
        try repo.write("openspec/changes/archive/2026-01-01-add-b/tasks.md", "- [x] done\n")
        try repo.commitAll("two changes")
        #expect(try cli.run(["init", "--repo", repo.path]).status == 0)
        #expect(try cli.run(["reconcile", "--repo", repo.path]).status == 0)
        let before = try cli.json(["list", "--all", "--repo", repo.path])["changes"] as? [[String: Any]]

        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: cli.dbPath + suffix) }
        #expect(try cli.run(["reconcile", "--repo", repo.path]).status == 4, "an empty database knows no project")
        #expect(try cli.run(["init", "--repo", repo.path]).status == 0)
        #expect(try cli.run(["reconcile", "--repo", repo.path]).status == 0)
        let after = try cli.json(["list", "--all", "--repo", repo.path])["changes"] as? [[String: Any]]
        func summary(_ rows: [[String: Any]]?) -> [String] {
            (rows ?? []).map { "\($0["path"] ?? "") \($0["status"] ?? "") \($0["completedTasks"] ?? "")/\($0["totalTasks"] ?? "")" }.sorted()
        }
        #expect(summary(after) == summary(before))
        #expect(summary(after).count == 2)
    }

    @Test("a damaged database file gets an error that says how to rebuild")
    func damagedDatabaseExplained() throws {
        let cli = try CLI()
        try Data("this is not a database, not even close to one".utf8).write(to: URL(fileURLWithPath: cli.dbPath))
        let result = try cli.run(["status"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("is damaged"))
        #expect(result.stderr.contains("move it aside"))
        #expect(result.stderr.contains(cli.dbPath))
    }
}
