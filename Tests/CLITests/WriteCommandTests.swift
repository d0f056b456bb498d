import Foundation
import OpenSpecSyncTestSupport
import Testing

@Suite("CLI: edit, task, conflicts, resolve")
struct WriteCommandTests {
    @Test("task and edit exit 0, 5, 6 and 64 as documented, and resolve --reapply writes the kept edit")
    func exitCodes() throws {
        let cli = try CLI()
        let repo = try TempRepo()
        try repo.write("openspec/changes/add-login/tasks.md", "## 1. Work\n- [ ] 1.1 Form\n")
        try repo.commitAll("demo")
        #expect(try cli.run(["init", "--repo", repo.path]).status == 0)
        #expect(try cli.run(["reconcile", "--repo", repo.path]).status == 0)

        let task = try cli.run(["task", "add-login", "1.1", "--done", "--json"])
        #expect(task.status == 0, "\(task.stderr)")
        #expect(task.stdout.contains("\"outcome\" : \"written\""))
        #expect(try repo.readText("openspec/changes/add-login/tasks.md") == "## 1. Work\n- [x] 1.1 Form\n")
        #expect(try cli.run(["task", "add-login", "7.7", "--done"]).status == 4)
        #expect(try cli.run(["task", "add-login", "1.1"]).status == 64)
        #expect(try cli.run(["edit", "add-login", "../escape.md"]).status == 64)
        #expect(!FileManager.default.fileExists(atPath: repo.path + "/openspec/changes/escape.md"))

        // A held index.lock: saved, waiting.
        #expect(FileManager.default.createFile(atPath: repo.path + "/.git/index.lock", contents: Data()))
        let waiting = try cli.run(["task", "add-login", "1.1", "--undone"])
        #expect(waiting.status == 5, "\(waiting.stderr)")
        #expect(waiting.stdout.contains("index.lock"))
        try FileManager.default.removeItem(atPath: repo.path + "/.git/index.lock")

        // Changed on disk and not synced: the file wins, exit 6, the edit is kept.
        try repo.write("openspec/changes/add-login/tasks.md", "theirs\n")
        let input = repo.path + "/../mine-\(UUID().uuidString).md"
        try Data("mine\n".utf8).write(to: URL(fileURLWithPath: input))
        defer { try? FileManager.default.removeItem(atPath: input) }
        let conflict = try cli.run(["edit", "add-login", "tasks.md", "--input", input])
        #expect(conflict.status == 6, "\(conflict.stderr)")
        #expect(conflict.stdout.contains("openspec-sync conflicts"))
        let listed = try cli.run(["conflicts", "--json"])
        #expect(listed.stdout.contains("\"keptContent\" : \"mine\\n\""))
        // The untick still waiting from above went with it: its task is gone from the file, so it is kept too.
        #expect(listed.stdout.contains("task 1.1 is not in the file"))
        #expect(try cli.run(["resolve", "add-login", "--filesystem", "--conflict", "1"]).status == 0)

        let resolved = try cli.run(["resolve", "add-login", "--reapply"])
        #expect(resolved.status == 0, "\(resolved.stderr)")
        #expect(try repo.readText("openspec/changes/add-login/tasks.md") == "mine\n")
        #expect(try cli.run(["conflicts"]).stdout.contains("No open conflicts."))
        #expect(try cli.run(["status"]).stdout.contains("1 edit(s) waiting") == false)
    }

    @Test("with index.lock held, task 1.4, task 1.5 and an edit all wait; once it goes, every one is in the file and in git, in order")
    func waitingEditsAllReachTheFile() throws {
        let cli = try CLI()
        let repo = try TempRepo()
        let tasks = "openspec/changes/add-login/tasks.md"
        try repo.write(tasks, "## 1. Work\n- [x] 1.3 Three\n- [ ] 1.4 Four\n- [ ] 1.5 Five\n")
        try repo.commitAll("demo")
        #expect(try cli.run(["init", "--repo", repo.path]).status == 0)
        #expect(try cli.run(["reconcile", "--repo", repo.path]).status == 0)
        let head = try repo.git("rev-parse", "HEAD")

        #expect(FileManager.default.createFile(atPath: repo.path + "/.git/index.lock", contents: Data()))
        for task in ["1.4", "1.5"] {
            let waiting = try cli.run(["task", "add-login", task, "--done"])
            #expect(waiting.status == 5, "\(waiting.stdout)\(waiting.stderr)")
        }
        // Written with the two ticks in view, as a client showing the queued file would.
        let edited = "## 1. Work\n- [x] 1.3 Three\n- [x] 1.4 Four\n- [x] 1.5 Five\n- [ ] 1.6 Six\n"
        let input = repo.path + "/../edit-\(UUID().uuidString).md"
        try Data(edited.utf8).write(to: URL(fileURLWithPath: input))
        defer { try? FileManager.default.removeItem(atPath: input) }
        let edit = try cli.run(["edit", "add-login", "tasks.md", "--input", input])
        #expect(edit.status == 5, "\(edit.stdout)\(edit.stderr)")
        #expect(try repo.readText(tasks) == "## 1. Work\n- [x] 1.3 Three\n- [ ] 1.4 Four\n- [ ] 1.5 Five\n")
        #expect(try cli.run(["status"]).stdout.contains("3 edit(s) waiting"))

        try FileManager.default.removeItem(atPath: repo.path + "/.git/index.lock")
        sleep(3)  // the first retry is due two seconds after the attempt
        let flushed = try cli.run(["reconcile", "--repo", repo.path])
        #expect(flushed.status == 0, "\(flushed.stdout)\(flushed.stderr)")
        #expect(try repo.readText(tasks) == edited)
        #expect(try repo.git("show", "HEAD:" + tasks) + "\n" == edited)
        #expect(try repo.git("rev-parse", "HEAD~1") == head)
        #expect(try repo.git("status", "--porcelain") == "")
        #expect(try cli.run(["conflicts"]).stdout.contains("No open conflicts."))
        #expect(!(try cli.run(["status"]).stdout.contains("waiting")))

        // Ticking a task that is already ticked changes nothing: exit 0, no commit.
        let again = try cli.run(["task", "add-login", "1.4", "--done"])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stdout.contains("unchanged"))
        #expect(try cli.run(["task", "add-login", "1.4", "--done", "--json"]).stdout.contains("\"outcome\" : \"unchanged\""))
        #expect(try repo.git("rev-parse", "HEAD~1") == head)
    }

    @Test("a write to a path with staged changes is a conflict (exit 6) that leaves the staged hunk alone")
    func stagedChangesAreNeverTouched() throws {
        let cli = try CLI()
        let repo = try TempRepo()
        let tasks = "openspec/changes/add-login/tasks.md"
        let committed = "## 1. Work\n- [ ] 1.1 Form\n"
        try repo.write(tasks, committed)
        try repo.commitAll("demo")
        #expect(try cli.run(["init", "--repo", repo.path]).status == 0)
        #expect(try cli.run(["reconcile", "--repo", repo.path]).status == 0)
        // A staged hunk, and the working copy back to HEAD's content.
        try repo.write(tasks, committed + "- [ ] 1.2 Staged\n")
        try repo.git("add", tasks)
        try repo.write(tasks, committed)
        let staged = try repo.git("diff", "--cached")
        let head = try repo.git("rev-parse", "HEAD")

        let result = try cli.run(["task", "add-login", "1.1", "--done"])
        #expect(result.status == 6, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("staged changes"))
        #expect(try repo.git("diff", "--cached") == staged)
        #expect(try repo.git("rev-parse", "HEAD") == head)
        #expect(try repo.readText(tasks) == committed)
        let listed = try cli.run(["conflicts", "--json"])
        #expect(listed.stdout.contains("- [x] 1.1 Form"), "\(listed.stdout)")
        #expect(listed.stdout.contains("staged changes"))
    }

    @Test("a tasks.md under a filter driver (filter=lfs) is never committed raw: the toggle is a kept conflict, file and HEAD untouched")
    func filterDriverRefused() throws {
        let cli = try CLI()
        let repo = try TempRepo()
        let tasks = "openspec/changes/add-login/tasks.md"
        let committed = "## 1. Work\n- [ ] 1.1 Form\n"
        try repo.write(tasks, committed)
        try repo.write(".gitattributes", "openspec/changes/add-login/tasks.md filter=lfs\n")
        try repo.commitAll("demo")
        #expect(try cli.run(["init", "--repo", repo.path]).status == 0)
        #expect(try cli.run(["reconcile", "--repo", repo.path]).status == 0)
        let head = try repo.git("rev-parse", "HEAD")

        let result = try cli.run(["task", "add-login", "1.1", "--done"])
        #expect(result.status == 6, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("filter driver 'lfs'"), "\(result.stdout)")
        #expect(try repo.git("rev-parse", "HEAD") == head)
        #expect(try repo.readText(tasks) == committed)
        #expect(try repo.git("status", "--porcelain") == "")
        // Kept with its content, and not retried: a flush leaves it as it is.
        let listed = try cli.run(["conflicts", "--json"])
        #expect(listed.stdout.contains("- [x] 1.1 Form"), "\(listed.stdout)")
        #expect(try cli.run(["reconcile", "--repo", repo.path]).status == 0)
        #expect(try repo.git("rev-parse", "HEAD") == head)
    }

    @Test("ticking a task in a 50 MB tasks.md: the write's and the whole command's peak memory stay within 4x the file's size")
    func largeTasksFileWriteMemory() throws {
        let cli = try CLI()
        let repo = try TempRepo()
        let tasks = "openspec/changes/big/tasks.md"
        var text = "## 1. Work\n"
        var number = 0
        while text.utf8.count < 50 << 20 {
            number += 1
            text += "- [ ] 1.\(number) Task \(number), with enough words to make an ordinary line of a tasks file\n"
        }
        try repo.write(tasks, text)
        try repo.commitAll("big")
        let size = text.utf8.count
        let env = ["OPENSPEC_SYNC_MAX_FILE_BYTES": "\(100 << 20)"]
        #expect(try cli.run(["init", "--repo", repo.path], environment: env).status == 0)
        #expect(try cli.run(["reconcile", "--repo", repo.path], environment: env).status == 0)

        var timed = gitTestEnvironment(extra: env)
        timed["OPENSPEC_SYNC_DB"] = cli.dbPath
        timed["OPENSPEC_SYNC_TRACE"] = "1"
        let run = try runProcess("/usr/bin/time", ["-f", "peak %M KB", CLI.binary, "task", "big", "1.5", "--done"],
                                 environment: timed)
        #expect(run.status == 0, "\(run.stderr.suffix(2000))")
        #expect(try repo.git("show", "HEAD:" + tasks).contains("- [x] 1.5 Task 5,"))
        // The write itself (resolve, queue, read, apply, back up, replace, commit) ends
        // at this mark; the sync of the database from the commit follows it.
        let writeLine = try #require(run.stderr.split(separator: "\n").first { $0.hasPrefix("trace: write done") })
        let writePeak = try #require(Int(writeLine.split(separator: " ").dropLast().last ?? ""))
        // The whole command: the write, then the sync of the database from its commit.
        let totalLine = try #require(run.stderr.split(separator: "\n").last { $0.hasPrefix("peak ") })
        let totalPeak = try #require(Int(totalLine.split(separator: " ")[1]))
        // The process's own memory before any file is read (runtime, SQLite, libgit2), allowed on top.
        let allowanceKB = 64 << 10
        let boundKB = 4 * size / 1024 + allowanceKB
        print("50 MB tasks.md toggle: write peak \(writePeak) KB, whole command \(totalPeak) KB, bound \(boundKB) KB")
        #expect(writePeak <= boundKB, "the write peaked at \(writePeak) KB for a \(size / 1024) KB file")
        #expect(totalPeak <= boundKB, "the command peaked at \(totalPeak) KB for a \(size / 1024) KB file")
        // The sync after the commit stored the file as written.
        let listed = try cli.run(["list", "--json"], environment: env)
        let list = try #require(try JSONSerialization.jsonObject(with: listed.stdoutData) as? [String: Any])
        let change = try #require((list["changes"] as? [[String: Any]])?.first)
        #expect(change["completedTasks"] as? Int == 1)
    }

    @Test("rollback --to restores a commit's files, --json reports it, and bad revisions exit 4")
    func rollback() throws {
        let cli = try CLI()
        let repo = try TempRepo()
        let tasks = "openspec/changes/add-login/tasks.md"
        try repo.write(tasks, "## 1. Work\n- [ ] 1.1 Form\n")
        let v1 = try repo.commitAll("v1")
        try repo.write(tasks, "## 1. Work\n- [x] 1.1 Form\n- [ ] 1.2 More\n")
        try repo.commitAll("v2")
        #expect(try cli.run(["init", "--repo", repo.path]).status == 0)
        #expect(try cli.run(["reconcile", "--repo", repo.path]).status == 0)

        let result = try cli.json(["rollback", "add-login", "--to", "HEAD~1"])
        #expect(result["outcome"] as? String == "written")
        #expect(result["target"] as? String == v1)
        #expect(result["restored"] as? [String] == ["tasks.md"])
        #expect(try repo.readText(tasks) == "## 1. Work\n- [ ] 1.1 Form\n")
        #expect(try repo.git("rev-parse", "HEAD") == result["commit"] as? String)
        let log = try cli.run(["log", "add-login"])
        #expect(log.stdout.contains("sync") && log.stdout.contains("roll back add-login"))
        let list = try cli.json(["list"])
        let change = try #require((list["changes"] as? [[String: Any]])?.first)
        #expect(change["totalTasks"] as? Int == 1)

        let unknown = try cli.run(["rollback", "add-login", "--to", "nonsense~9"])
        #expect(unknown.status == 4)
        #expect(unknown.stderr.contains("names no commit"))
        #expect(try cli.run(["rollback", "add-login"]).status == 64)

        try repo.write(tasks, "uncommitted\n")
        let conflict = try cli.run(["rollback", "add-login", "--to", "HEAD~1"])
        #expect(conflict.status == 6, "\(conflict.stderr)")
        #expect(try repo.readText(tasks) == "uncommitted\n")
    }

    @Test("task --done under core.autocrlf=true commits the CRLF checkout with LF: one line changed, git status clean")
    func taskUnderAutocrlf() throws {
        let cli = try CLI()
        let repo = try TempRepo()
        let tasks = "openspec/changes/add-login/tasks.md"
        try repo.git("config", "core.autocrlf", "true")
        try repo.write(tasks, "## 1. Work\n- [ ] 1.1 Form\n- [ ] 1.2 Session\n- [ ] 1.3 Logout\n")
        try repo.commitAll("demo")
        try repo.remove(tasks)
        try repo.git("checkout", "--", tasks)
        #expect(try repo.readText(tasks).contains("\r\n"), "the checkout should have CRLF")
        #expect(try cli.run(["init", "--repo", repo.path]).status == 0)
        #expect(try cli.run(["reconcile", "--repo", repo.path]).status == 0)

        let task = try cli.run(["task", "add-login", "1.1", "--done"])
        #expect(task.status == 0, "\(task.stderr)")
        let blob = try repo.git("cat-file", "blob", "HEAD:" + tasks)
        #expect(!blob.contains("\r"), "the committed blob has CR: \(blob.debugDescription)")
        #expect(try repo.git("diff", "--numstat", "HEAD~1", "HEAD") == "1\t1\t\(tasks)")
        #expect(try repo.git("status", "--porcelain") == "")
        try repo.git("add", "--renormalize", ".")
        #expect(try repo.git("status", "--porcelain") == "")

        // The next write finds the file as it left it: no conflict, one more line changed.
        let next = try cli.run(["task", "add-login", "1.2", "--done"])
        #expect(next.status == 0, "\(next.stderr)")
        #expect(try repo.git("diff", "--numstat", "HEAD~1", "HEAD") == "1\t1\t\(tasks)")
        #expect(try repo.git("status", "--porcelain") == "")
        #expect(try repo.git("show", "HEAD:" + tasks) == "## 1. Work\n- [x] 1.1 Form\n- [x] 1.2 Session\n- [ ] 1.3 Logout")
    }
}
