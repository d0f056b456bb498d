import Foundation
import OpenSpecSyncTestSupport
import Testing
@testable import OpenSpecSync

@Suite("Hook installer")
struct HookInstallerTests {
    // MARK: - Where the hooks go

    @Test(
        "hooksDirectory() is git's own hooks folder",
        arguments: ["unset", "githooks", "nested/./hooks/", "../outside-hooks", "absolute", "~/openspec-sync-test-hooks"])
    func hooksDirectoryMatchesGit(setting: String) throws {
        let repo = try TempRepo()
        let scratch = try makeTemporaryDirectory(prefix: "abs-hooks")
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        switch setting {
        case "unset": break
        case "absolute": try repo.git("config", "core.hooksPath", scratch + "/hooks")
        default: try repo.git("config", "core.hooksPath", setting)
        }
        let installer = HookInstaller(repositoryRoot: repo.path, binary: "/bin/true", database: "/tmp/db.sqlite",
                                      home: ProcessInfo.processInfo.environment["HOME"])
        #expect(canonical(try installer.hooksDirectory()) == canonical(try gitHooksPath(repo)))
        if setting == "absolute" { #expect(canonical(try installer.hooksDirectory()) == canonical(scratch + "/hooks")) }
    }

    @Test("a core.hooksPath of ~/… is under the home folder passed in, not the environment's")
    func tildeUsesGivenHome() throws {
        let repo = try TempRepo()
        try repo.git("config", "core.hooksPath", "~/team-hooks")
        let given = HookInstaller(repositoryRoot: repo.path, binary: "/bin/true", database: "/tmp/db.sqlite", home: "/home/given")
        #expect(try given.hooksDirectory() == "/home/given/team-hooks")
        let none = HookInstaller(repositoryRoot: repo.path, binary: "/bin/true", database: "/tmp/db.sqlite", home: nil)
        #expect(throws: HookError.self) { try none.hooksDirectory() }
    }

    @Test("a linked worktree uses the main repository's hooks folder")
    func worktreeSharesHooks() throws {
        let repo = try TempRepo()
        try repo.commitAll("first")
        let worktree = try makeTemporaryDirectory(prefix: "worktree") + "/wt"
        defer { try? FileManager.default.removeItem(atPath: (worktree as NSString).deletingLastPathComponent) }
        try repo.git("worktree", "add", "-q", worktree)
        let installer = HookInstaller(repositoryRoot: worktree, binary: "/bin/true", database: "/tmp/db.sqlite")
        let fromWorktree = try runProcess(
            "/usr/bin/git", ["rev-parse", "--git-path", "hooks"], in: worktree, environment: gitTestEnvironment())
        let gitAnswer = absolute(fromWorktree.stdout.trimmingCharacters(in: .whitespacesAndNewlines), in: worktree)
        #expect(canonical(try installer.hooksDirectory()) == canonical(gitAnswer))
        #expect(canonical(try installer.hooksDirectory()) == canonical(repo.path + "/.git/hooks"))
    }

    @Test("an empty core.hooksPath or one that is not a folder is refused with a clear error")
    func unusableHooksPath() throws {
        let repo = try TempRepo()
        try repo.git("config", "core.hooksPath", "")
        let installer = HookInstaller(repositoryRoot: repo.path, binary: "/bin/true", database: "/tmp/db.sqlite")
        #expect(throws: HookError.self) { try installer.hooksDirectory() }
        try repo.git("config", "core.hooksPath", "/dev/null")
        let error = #expect(throws: HookError.self) { try installer.install() }
        guard case .hooksFolderUnusable(let path, _)? = error else {
            Issue.record("expected hooksFolderUnusable, got \(String(describing: error))")
            return
        }
        #expect(path == "/dev/null")
    }

    @Test("a folder outside any repository is refused")
    func notARepository() throws {
        let folder = try makeTemporaryDirectory(prefix: "plain")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let installer = HookInstaller(repositoryRoot: folder, binary: "/bin/true", database: "/tmp/db.sqlite")
        let error = #expect(throws: HookError.self) { try installer.install() }
        guard case .notARepository? = error else {
            Issue.record("expected notARepository, got \(String(describing: error))")
            return
        }
        #expect(installer.recentLog(lines: 5).isEmpty)
    }

    // MARK: - Installing

    @Test("install writes four executable scripts that carry the binary and database paths")
    func installWritesScripts() throws {
        let repo = try TempRepo()
        let binary = "/opt/tools dir/it's \"here\"/openspec-sync"
        let database = "/var/data $HOME/back\\slash`x`/db.sqlite"
        let installer = HookInstaller(repositoryRoot: repo.path, binary: binary, database: database)
        let statuses = try installer.install()
        let folder = try installer.hooksDirectory()
        #expect(statuses.map(\.name) == HookInstaller.hookNames)
        for status in statuses {
            #expect(status.installed && status.upToDate && !status.chained && !status.foreign)
            #expect(status.binary == binary)
            #expect(status.database == database)
            #expect(status.note == nil)
            let path = folder + "/" + status.name
            #expect(try fileMode(path) == 0o755)
            let text = try String(contentsOfFile: path, encoding: .utf8)
            #expect(text.hasPrefix("#!/bin/sh\n\(HookInstaller.marker)\n"))
            #expect(text.contains(#"bin='/opt/tools dir/it'\''s "here"/openspec-sync'"#))
            #expect(text.contains("hook=\(status.name)\n"))
            #expect(!text.contains("@OPENSPEC_SYNC_"))
            #expect(text == (try installer.script(for: status.name)))
            let syntax = try runProcess("/bin/sh", ["-n", path])
            #expect(syntax.status == 0, "\(syntax.stderr)")
        }
    }

    @Test("installing twice changes nothing and keeps exactly one saved original")
    func installIsIdempotent() throws {
        let repo = try TempRepo()
        let installer = HookInstaller(repositoryRoot: repo.path, binary: "/usr/local/bin/openspec-sync", database: "/tmp/x.sqlite")
        let folder = try installer.hooksDirectory()
        let original = Array("#!/bin/sh\necho mine\n".utf8)
        try writeFile(folder + "/post-commit", original, mode: 0o755)
        try installer.install()
        let first = try snapshot(folder)
        try installer.install()
        #expect(try snapshot(folder) == first)
        let saved = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(HookInstaller.savedSuffix) }
        #expect(saved == ["post-commit.pre-openspec-sync"])
        #expect(Array(try Data(contentsOf: URL(fileURLWithPath: folder + "/post-commit.pre-openspec-sync"))) == original)
        #expect(try installer.status().first { $0.name == "post-commit" }?.chained == true)
    }

    @Test("a new binary, database or template is picked up by installing again, still with one saved original")
    func reinstallUpdates() throws {
        let repo = try TempRepo()
        let folder = try HookInstaller(repositoryRoot: repo.path, binary: "/a", database: "/d").hooksDirectory()
        try writeFile(folder + "/post-merge", Array("#!/bin/sh\nexit 0\n".utf8), mode: 0o755)
        try HookInstaller(repositoryRoot: repo.path, binary: "/old/openspec-sync", database: "/old.sqlite").install()
        let current = HookInstaller(repositoryRoot: repo.path, binary: "/new/openspec-sync", database: "/new.sqlite")
        let before = try current.status()
        #expect(before.allSatisfy { $0.installed && !$0.upToDate && $0.binary == "/old/openspec-sync" && $0.note != nil })
        try current.install()
        #expect(try current.status().allSatisfy { $0.installed && $0.upToDate && $0.database == "/new.sqlite" })

        var edited = HookTemplates.builtIn
        edited.scripts["post-merge"]! += "# a later template\n"
        let newer = HookInstaller(repositoryRoot: repo.path, binary: "/new/openspec-sync", database: "/new.sqlite", templates: edited)
        #expect(try newer.status().first { $0.name == "post-merge" }?.upToDate == false)
        try newer.install()
        #expect(try newer.status().allSatisfy(\.upToDate))
        #expect(try String(contentsOfFile: folder + "/post-merge", encoding: .utf8).hasSuffix("# a later template\n"))
        let saved = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(HookInstaller.savedSuffix) }
        #expect(saved == ["post-merge.pre-openspec-sync"])
    }

    @Test("install refuses to overwrite a saved name that holds someone else's file, and changes nothing")
    func refusesWhenSavedNameIsTaken() throws {
        let repo = try TempRepo()
        let installer = HookInstaller(repositoryRoot: repo.path, binary: "/bin/true", database: "/tmp/db.sqlite")
        let folder = try installer.hooksDirectory()
        try writeFile(folder + "/post-commit", Array("#!/bin/sh\necho current\n".utf8), mode: 0o755)
        try writeFile(folder + "/post-commit.pre-openspec-sync", Array("#!/bin/sh\necho older\n".utf8), mode: 0o755)
        let before = try snapshot(folder)
        let error = #expect(throws: HookError.self) { try installer.install() }
        guard case .savedHookInTheWay? = error else {
            Issue.record("expected savedHookInTheWay, got \(String(describing: error))")
            return
        }
        #expect(try snapshot(folder) == before)
    }

    @Test("install refuses a folder standing where a hook goes")
    func refusesAFolderAsHook() throws {
        let repo = try TempRepo()
        let installer = HookInstaller(repositoryRoot: repo.path, binary: "/bin/true", database: "/tmp/db.sqlite")
        let folder = try installer.hooksDirectory()
        try FileManager.default.createDirectory(atPath: folder + "/post-checkout", withIntermediateDirectories: true)
        let before = try snapshot(folder)
        #expect(throws: HookError.hookIsNotAFile(path: folder + "/post-checkout")) { try installer.install() }
        #expect(try snapshot(folder) == before)
    }

    @Test("a hooks folder that cannot be written is reported before anything changes", .enabled(if: getuid() != 0))
    func unwritableFolder() throws {
        let repo = try TempRepo()
        let installer = HookInstaller(repositoryRoot: repo.path, binary: "/bin/true", database: "/tmp/db.sqlite")
        let folder = try installer.hooksDirectory()
        chmod(folder, 0o555)
        defer { chmod(folder, 0o755) }
        let error = #expect(throws: HookError.self) { try installer.install() }
        guard case .hooksFolderUnusable? = error else {
            Issue.record("expected hooksFolderUnusable, got \(String(describing: error))")
            return
        }
    }

    // MARK: - What git runs

    @Test("an existing post-commit hook still runs, first, and then ours with the right arguments", arguments: [false, true])
    func existingHookStillRuns(asSymlink: Bool) throws {
        let repo = try TempRepo()
        let scratch = try Scratch()
        let events = scratch.path + "/events"
        let binary = try scratch.fakeBinary(recordingTo: events)
        let database = scratch.path + "/db dir/openspec-sync.sqlite"
        let installer = HookInstaller(repositoryRoot: repo.path, binary: binary, database: database)
        let folder = try installer.hooksDirectory()
        let oldHook = Array("#!/bin/sh\necho \"old hook ran with $# arguments\" >> '\(events)'\n".utf8)
        if asSymlink {
            try writeFile(scratch.path + "/shared-hook", oldHook, mode: 0o755)
            try FileManager.default.createSymbolicLink(atPath: folder + "/post-commit", withDestinationPath: scratch.path + "/shared-hook")
        } else {
            try writeFile(folder + "/post-commit", oldHook, mode: 0o755)
        }
        let statuses = try installer.install()
        #expect(statuses.first { $0.name == "post-commit" }?.chained == true)
        #expect(statuses.filter(\.chained).count == 1)
        if asSymlink {
            #expect(try symlinkTarget(folder + "/post-commit.pre-openspec-sync") == scratch.path + "/shared-hook")
        }

        try repo.commitAll("first")
        let top = try repo.git("rev-parse", "--show-toplevel")
        #expect(try lines(of: events) == [
            "old hook ran with 0 arguments",
            "ours [hook] [post-commit] [--db] [\(database)] [--repo] [\(top)] [--log] [\(top)/.git/openspec-sync/hook.log] [--]",
        ])
    }

    @Test("uninstall restores the earlier hooks byte for byte, with their modes, symlinks and inodes")
    func uninstallRestoresExactly() throws {
        let repo = try TempRepo()
        let installer = HookInstaller(repositoryRoot: repo.path, binary: "/bin/true", database: "/tmp/db.sqlite")
        let folder = try installer.hooksDirectory()
        let oddBytes: [UInt8] = Array("#!/bin/sh\r\n# caf".utf8) + [0xE9, 0xFF] + Array(" no newline at the end\r\nexit 7".utf8)
        try writeFile(folder + "/post-commit", oddBytes, mode: 0o750)
        try FileManager.default.createSymbolicLink(atPath: folder + "/post-merge", withDestinationPath: "../elsewhere/merge hook")
        try writeFile(folder + "/post-rewrite", Array("#!/bin/sh\ncat > /dev/null\n".utf8), mode: 0o644)
        let before = try snapshot(folder)
        let inode = try fileInode(folder + "/post-commit")

        try installer.install()
        #expect(try snapshot(folder) != before)
        #expect(try fileInode(folder + "/post-commit.pre-openspec-sync") == inode)
        let statuses = try installer.uninstall()
        #expect(statuses.allSatisfy { !$0.installed && !$0.chained })
        #expect(try snapshot(folder) == before)
        #expect(Array(try Data(contentsOf: URL(fileURLWithPath: folder + "/post-commit"))) == oddBytes)
        #expect(try fileMode(folder + "/post-commit") == 0o750)
        #expect(try fileMode(folder + "/post-rewrite") == 0o644)
        #expect(try symlinkTarget(folder + "/post-merge") == "../elsewhere/merge hook")
        #expect(try fileInode(folder + "/post-commit") == inode)
    }

    @Test("uninstall when nothing is installed changes nothing, and does not create the hooks folder")
    func uninstallWithoutInstallIsNoOp() throws {
        let repo = try TempRepo()
        let installer = HookInstaller(repositoryRoot: repo.path, binary: "/bin/true", database: "/tmp/db.sqlite")
        let folder = try installer.hooksDirectory()
        try writeFile(folder + "/post-checkout", Array("#!/bin/sh\n".utf8), mode: 0o755)
        let before = try snapshot(folder)
        let statuses = try installer.uninstall()
        #expect(try snapshot(folder) == before)
        #expect(statuses.allSatisfy { !$0.installed })
        #expect(statuses.first { $0.name == "post-checkout" }?.foreign == true)

        try repo.git("config", "core.hooksPath", "not-there-yet")
        try installer.uninstall()
        #expect(!repo.exists("not-there-yet"))
    }

    @Test("uninstall leaves alone a script that replaced ours, and status says so")
    func uninstallLeavesReplacedHookAlone() throws {
        let repo = try TempRepo()
        let installer = HookInstaller(repositoryRoot: repo.path, binary: "/bin/true", database: "/tmp/db.sqlite")
        let folder = try installer.hooksDirectory()
        let earlier = Array("#!/bin/sh\necho earlier\n".utf8)
        try writeFile(folder + "/post-commit", earlier, mode: 0o755)
        try installer.install()
        let replacement = Array("#!/bin/sh\necho replacement\n".utf8)
        try writeFile(folder + "/post-commit", replacement, mode: 0o700)

        let statuses = try installer.uninstall()
        let postCommit = try #require(statuses.first { $0.name == "post-commit" })
        #expect(!postCommit.installed && postCommit.foreign)
        #expect(postCommit.note?.contains("replaced ours") == true)
        #expect(Array(try Data(contentsOf: URL(fileURLWithPath: folder + "/post-commit"))) == replacement)
        #expect(try fileMode(folder + "/post-commit") == 0o700)
        #expect(Array(try Data(contentsOf: URL(fileURLWithPath: folder + "/post-commit.pre-openspec-sync"))) == earlier)
        for name in ["post-merge", "post-checkout", "post-rewrite"] {
            #expect(!FileManager.default.fileExists(atPath: folder + "/" + name))
        }
    }

    @Test("a kept hook that is not executable is not run, as git would not run it, and keeps its mode")
    func nonExecutableHookIsKeptButNotRun() throws {
        let repo = try TempRepo()
        let scratch = try Scratch()
        let events = scratch.path + "/events"
        let installer = HookInstaller(
            repositoryRoot: repo.path, binary: try scratch.fakeBinary(recordingTo: events), database: scratch.path + "/db")
        let folder = try installer.hooksDirectory()
        try writeFile(folder + "/post-commit", Array("#!/bin/sh\necho old >> '\(events)'\n".utf8), mode: 0o644)
        let status = try #require(try installer.install().first { $0.name == "post-commit" })
        #expect(status.chained)
        #expect(status.note?.contains("not executable") == true)
        try repo.commitAll("first")
        #expect(try lines(of: events).map { String($0.prefix(4)) } == ["ours"])
        try installer.uninstall()
        #expect(try fileMode(folder + "/post-commit") == 0o644)
    }

    @Test("with the binary missing, git commit still succeeds and the log says how to fix it")
    func missingBinary() throws {
        let repo = try TempRepo()
        let installer = HookInstaller(repositoryRoot: repo.path, binary: "/nonexistent/openspec-sync", database: "/tmp/db.sqlite")
        try installer.install()
        try repo.write("a.txt", "a\n")
        try repo.git("add", "-A")
        let result = try repo.gitResult(["commit", "-q", "-m", "first"])
        #expect(result.status == 0)
        #expect(try repo.git("log", "--format=%s") == "first")
        let log = installer.recentLog(lines: 10)
        #expect(log.count == 1)
        #expect(log.last?.contains("/nonexistent/openspec-sync is missing") == true)
        #expect(log.last?.contains("openspec-sync hooks install") == true)
        #expect(try installer.logFile() == repo.path + "/.git/openspec-sync/hook.log")
    }

    @Test("a failing binary does not fail git, prints nothing to git's output, and is logged")
    func failingBinary() throws {
        let repo = try TempRepo()
        let scratch = try Scratch()
        let binary = scratch.path + "/failing"
        try writeFile(binary, Array("#!/bin/sh\necho 'boom on stdout'\necho 'boom on stderr' >&2\nexit 3\n".utf8), mode: 0o755)
        let installer = HookInstaller(repositoryRoot: repo.path, binary: binary, database: "/tmp/db.sqlite")
        try installer.install()
        let result = try repo.gitResult(["commit", "--allow-empty", "-m", "first"])
        #expect(result.status == 0)
        #expect(!result.stdout.contains("boom") && !result.stderr.contains("boom"))
        let log = installer.recentLog(lines: 3)
        #expect(log.count == 3)
        #expect(log.contains("boom on stdout") && log.contains("boom on stderr"))
        #expect(log.last?.hasSuffix("openspec-sync post-commit hook: \(binary) exited with status 3") == true)
        #expect(installer.recentLog(lines: 1) == Array(log.suffix(1)))
    }

    @Test("post-rewrite's stdin reaches the earlier hook, and ours gets git's arguments")
    func postRewriteStdinReachesOldHook() throws {
        let repo = try TempRepo()
        let scratch = try Scratch()
        let events = scratch.path + "/events"
        let installer = HookInstaller(
            repositoryRoot: repo.path, binary: try scratch.fakeBinary(recordingTo: events), database: scratch.path + "/db")
        let folder = try installer.hooksDirectory()
        let saved = scratch.path + "/rewritten"
        try writeFile(folder + "/post-rewrite", Array("#!/bin/sh\ncat > '\(saved)'\n".utf8), mode: 0o755)
        try installer.install()
        let before = try repo.commitAll("first")
        try repo.git("commit", "-q", "--amend", "--allow-empty", "-m", "amended")
        let after = try repo.git("rev-parse", "HEAD")
        #expect(before != after)
        #expect(try String(contentsOfFile: saved, encoding: .utf8) == "\(before) \(after)\n")
        let top = try repo.git("rev-parse", "--show-toplevel")
        #expect(try lines(of: events).last
            == "ours [hook] [post-rewrite] [--db] [\(scratch.path)/db] [--repo] [\(top)] [--log] [\(top)/.git/openspec-sync/hook.log] [--] [amend]")
    }

    @Test("core.hooksPath is honoured end to end: installed there, run from there by git")
    func coreHooksPathEndToEnd() throws {
        let repo = try TempRepo()
        try repo.git("config", "core.hooksPath", "githooks")
        let scratch = try Scratch()
        let events = scratch.path + "/events"
        let installer = HookInstaller(
            repositoryRoot: repo.path, binary: try scratch.fakeBinary(recordingTo: events), database: scratch.path + "/db")
        try installer.install()
        #expect(canonical(try installer.hooksDirectory()) == canonical(repo.path + "/githooks"))
        for name in HookInstaller.hookNames {
            #expect(repo.exists("githooks/" + name))
            #expect(!repo.exists(".git/hooks/" + name))
        }
        try repo.commitAll("first")
        try repo.git("checkout", "-q", "-b", "other")
        let recorded = try lines(of: events)
        #expect(recorded.count == 2)
        #expect(recorded.first?.hasPrefix("ours [hook] [post-commit] ") == true)
        #expect(recorded.last?.hasPrefix("ours [hook] [post-checkout] ") == true)
        #expect(recorded.last?.hasSuffix("[1]") == true)
    }

    @Test("OPENSPEC_SYNC_SKIP_HOOKS=1 skips our sync but not the earlier hook")
    func skipVariable() throws {
        let repo = try TempRepo()
        let scratch = try Scratch()
        let events = scratch.path + "/events"
        let installer = HookInstaller(
            repositoryRoot: repo.path, binary: try scratch.fakeBinary(recordingTo: events), database: scratch.path + "/db")
        try writeFile(try installer.hooksDirectory() + "/post-commit", Array("#!/bin/sh\necho old >> '\(events)'\n".utf8), mode: 0o755)
        try installer.install()
        try repo.git("commit", "-q", "--allow-empty", "-m", "first", environment: ["OPENSPEC_SYNC_SKIP_HOOKS": "1"])
        #expect(try lines(of: events) == ["old"])
    }

    @Test("the log is rotated past 1 MiB, and recentLog reads across the rotation")
    func logRotation() throws {
        let repo = try TempRepo()
        let installer = HookInstaller(repositoryRoot: repo.path, binary: "/nonexistent/openspec-sync", database: "/tmp/db.sqlite")
        try installer.install()
        let log = try installer.logFile()
        try FileManager.default.createDirectory(atPath: (log as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data("small\n".utf8).write(to: URL(fileURLWithPath: log))
        #expect(!HookInstaller.rotateLog(at: log), "a small log stays")
        #expect(!HookInstaller.rotateLog(at: "/dev/null") && !HookInstaller.rotateLog(at: log + ".absent"))
        let big = String(repeating: "x", count: 1_100_000) + "\nlast old line\n"
        try Data(big.utf8).write(to: URL(fileURLWithPath: log))
        #expect(HookInstaller.rotateLog(at: log))
        #expect(try Data(contentsOf: URL(fileURLWithPath: log + ".1")).count == big.utf8.count)
        // The script appends its line about the missing binary to a new log.
        try repo.commitAll("first")
        let current = try lines(of: log)
        #expect(current.count == 1)
        #expect(current.first?.contains("is missing or not executable") == true)
        #expect(installer.recentLog(lines: 2).first == "last old line")
        #expect(installer.recentLog(lines: 2).last == current.first)
    }

    /// Documents which hooks git 2.39 fires, which is what the `hook` subcommand has to live with.
    @Test("rebase fires post-checkout, post-commit per replayed commit, then post-rewrite; reset --hard and stash fire none")
    func whichCommandsFireWhichHooks() throws {
        let repo = try TempRepo()
        try repo.write("base.txt", "base\n")
        try repo.commitAll("base")
        try repo.git("checkout", "-q", "-b", "topic")
        try repo.write("a.txt", "a\n")
        try repo.commitAll("a")
        try repo.write("b.txt", "b\n")
        try repo.commitAll("b")
        try repo.git("checkout", "-q", "main")
        try repo.write("c.txt", "c\n")
        try repo.commitAll("c")
        try repo.git("checkout", "-q", "topic")

        let scratch = try Scratch()
        let events = scratch.path + "/events"
        let installer = HookInstaller(
            repositoryRoot: repo.path, binary: try scratch.fakeBinary(recordingTo: events), database: scratch.path + "/db")
        try installer.install()
        func fired() throws -> [String] {
            defer { try? FileManager.default.removeItem(atPath: events) }
            return try lines(of: events).map { String($0.split(separator: " ")[2].dropFirst().dropLast()) }
        }
        try repo.git("rebase", "-q", "main")
        #expect(try fired() == ["post-checkout", "post-commit", "post-commit", "post-rewrite"])
        let rebased = try repo.git("rev-parse", "HEAD")
        try repo.git("reset", "-q", "--hard", "HEAD~1")
        #expect(try fired() == [])
        try repo.write("a.txt", "edited\n")
        try repo.git("stash", "-q")
        try repo.git("stash", "pop", "-q")
        #expect(try fired() == [])
        // Checking out a path fires post-checkout with flag 0, even when nothing moved.
        try repo.git("checkout", "-q", "--", "a.txt")
        #expect(try fired() == ["post-checkout"])
        try repo.git("merge", "-q", "--ff-only", rebased)
        #expect(try fired() == ["post-merge"])
    }

    // MARK: - Templates and helpers

    @Test("the built-in templates are the files in Hooks/, byte for byte")
    func builtInMatchesHooksFolder() throws {
        let folder = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Hooks").path
        let files = try HookTemplates.load(from: folder)
        #expect(Set(HookTemplates.builtIn.scripts.keys) == Set(HookInstaller.hookNames))
        for name in HookInstaller.hookNames {
            let fromFile = try #require(files.scripts[name])
            let builtIn = try #require(HookTemplates.builtIn.scripts[name])
            // Compared as bytes: String equality would let Unicode-equivalent spellings pass.
            let identical = Array(builtIn.utf8) == Array(fromFile.utf8)
            let differingLine = Array(zip(builtIn.split(separator: "\n", omittingEmptySubsequences: false),
                                          fromFile.split(separator: "\n", omittingEmptySubsequences: false)))
                .firstIndex { Array($0.0.utf8) != Array($0.1.utf8) }
            #expect(identical, "Hooks/\(name) and HookTemplates.builtIn differ (first at line \(differingLine.map { $0 + 1 } ?? -1))")
            #expect(fromFile.hasPrefix("#!/bin/sh\n\(HookInstaller.marker)\n"))
            #expect(fromFile.contains("@OPENSPEC_SYNC_BINARY@") && fromFile.contains("@OPENSPEC_SYNC_DATABASE@"))
            #expect(fromFile.hasSuffix("exit 0\n"))
        }
    }

    @Test("executablePath makes argv[0] absolute, or finds a bare name in PATH")
    func executablePath() throws {
        let scratch = try Scratch()
        let binary = try scratch.fakeBinary(recordingTo: scratch.path + "/unused")
        let name = (binary as NSString).lastPathComponent
        let folder = (binary as NSString).deletingLastPathComponent
        #expect(HookInstaller.executablePath(invokedAs: name, searchPath: ["/nonexistent", folder]) == binary)
        #expect(HookInstaller.executablePath(invokedAs: "/usr/./bin/../bin/git") == "/usr/bin/git")
        let relative = HookInstaller.executablePath(invokedAs: "./some/tool")
        #expect(relative == FileManager.default.currentDirectoryPath + "/some/tool")
    }
}

// MARK: - Helpers

/// A temporary folder for fake binaries and the files they write.
private final class Scratch {
    let path: String

    init() throws {
        path = try makeTemporaryDirectory(prefix: "hooks")
    }

    deinit {
        if ProcessInfo.processInfo.environment["KEEP_TEST_REPOS"] == nil {
            try? FileManager.default.removeItem(atPath: path)
        }
    }

    /// A stand-in for openspec-sync, in a folder whose name needs quoting,
    /// that appends `ours [arg] [arg]...` to `events`.
    func fakeBinary(recordingTo events: String) throws -> String {
        let folder = path + "/bin dir's $x"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let binary = folder + "/openspec-sync"
        let script = """
            #!/bin/sh
            { printf 'ours'; for a in "$@"; do printf ' [%s]' "$a"; done; printf '\\n'; } >> '\(events)'

            """
        try writeFile(binary, Array(script.utf8), mode: 0o755)
        return binary
    }
}

private func writeFile(_ path: String, _ bytes: [UInt8], mode: mode_t) throws {
    try FileManager.default.createDirectory(
        atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
    try Data(bytes).write(to: URL(fileURLWithPath: path))
    #expect(chmod(path, mode) == 0)
}

private func lines(of path: String) throws -> [String] {
    guard FileManager.default.fileExists(atPath: path) else { return [] }
    return try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map(String.init)
}

private func lstatOf(_ path: String) throws -> stat {
    var info = stat()
    guard lstat(path, &info) == 0 else { throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: path]) }
    return info
}

private func fileMode(_ path: String) throws -> mode_t {
    try lstatOf(path).st_mode & 0o7777
}

private func fileInode(_ path: String) throws -> UInt64 {
    UInt64(try lstatOf(path).st_ino)
}

private func symlinkTarget(_ path: String) throws -> String {
    try FileManager.default.destinationOfSymbolicLink(atPath: path)
}

/// Every entry of a folder: kind, mode, bytes or link target.
private func snapshot(_ folder: String) throws -> [String: String] {
    var result: [String: String] = [:]
    for name in try FileManager.default.contentsOfDirectory(atPath: folder) {
        let path = folder + "/" + name
        let info = try lstatOf(path)
        let kind = info.st_mode & S_IFMT
        let content: String
        if kind == S_IFLNK {
            content = "link " + (try symlinkTarget(path))
        } else if kind == S_IFREG {
            content = "file " + (try Data(contentsOf: URL(fileURLWithPath: path))).base64EncodedString()
        } else {
            content = "other"
        }
        result[name] = String(info.st_mode, radix: 8) + " " + content
    }
    return result
}

/// `git rev-parse --git-path hooks`, run at the repository root and made absolute.
private func gitHooksPath(_ repo: TempRepo) throws -> String {
    absolute(try repo.git("rev-parse", "--git-path", "hooks"), in: repo.path)
}

private func absolute(_ path: String, in folder: String) -> String {
    path.hasPrefix("/") ? path : folder + "/" + path
}

/// A path with `.`/`..` removed and symlinks resolved as far as it exists,
/// so the same folder compares equal however it was spelled.
private func canonical(_ path: String) -> String {
    let standardized = URL(fileURLWithPath: path).standardized.path
    var existing = standardized
    var rest: [String] = []
    while !FileManager.default.fileExists(atPath: existing), existing != "/" {
        rest.insert((existing as NSString).lastPathComponent, at: 0)
        existing = (existing as NSString).deletingLastPathComponent
    }
    let resolved = existing.withCString { pointer -> String in
        guard let real = realpath(pointer, nil) else { return existing }
        defer { free(real) }
        return String(cString: real)
    }
    return ([resolved] + rest).joined(separator: "/").replacingOccurrences(of: "//", with: "/")
}
