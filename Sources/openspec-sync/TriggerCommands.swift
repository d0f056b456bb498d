import ArgumentParser
import Foundation
import Logging
import OpenSpecStore
import OpenSpecSync
import ServiceLifecycle

struct Hooks: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hooks",
        abstract: "Install, remove or inspect the git hooks that sync after git commands.",
        discussion: """
            Installs post-commit, post-merge, post-checkout and post-rewrite into the repository's \
            hooks folder (core.hooksPath honoured). A hook already there is kept and still runs \
            first; uninstall puts it back exactly. The hooks call this binary with this database, \
            never fail a git command, and log to <git dir>/openspec-sync/hook.log.
            """,
        subcommands: [HooksInstall.self, HooksUninstall.self, HooksStatus.self])
}

struct HookTarget: ParsableArguments {
    @OptionGroup var global: GlobalOptions
    @Option(help: "The repository (default: the one around the current directory).") var repo: String?
    @Flag(help: "Print the hooks' state as JSON.") var json = false

    func installer() throws -> HookInstaller {
        let root = try SyncEngine.repositoryRoot(around: repo)
        let settings = try global.settings()
        return HookInstaller(repositoryRoot: root, binary: executablePath(), database: settings.databasePath, home: settings.home)
    }

    func report(_ statuses: [HookStatus], installer: HookInstaller, log: Bool) throws {
        if json { try printJSON(["hooks": statuses]); return }
        print("hooks folder: \(try installer.hooksDirectory())")
        let rows = statuses.map { status in
            [status.name, status.installed ? (status.upToDate ? "installed" : "installed (outdated: run install again)") : "not installed",
             status.chained ? "runs the earlier hook first" : "", status.note ?? ""]
        }
        print(renderTable(header: ["HOOK", "STATE", "CHAIN", "NOTE"], rows: rows))
        if log {
            let lines = installer.recentLog(lines: 10)
            if !lines.isEmpty { print("recent hook log:"); lines.forEach { print("  " + $0) } }
        }
    }
}

struct HooksInstall: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "install", abstract: "Install the hooks (idempotent).")
    @OptionGroup var target: HookTarget
    func run() throws {
        try perform {
            // The scripts pass a file (--db) to every hook; a database URL would
            // have to be written into them, its password with it.
            if case .postgres = try target.global.settings().database {
                throw ValidationError("git hooks sync into a SQLite file (--db); with a database URL, "
                    + "keep the repositories in step with `openspec-sync run` instead")
            }
            let installer = try target.installer()
            try target.report(try installer.install(), installer: installer, log: false)
        }
    }
}

struct HooksUninstall: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "uninstall", abstract: "Remove the hooks and restore what was there.")
    @OptionGroup var target: HookTarget
    func run() throws {
        try perform {
            let installer = try target.installer()
            try target.report(try installer.uninstall(), installer: installer, log: false)
        }
    }
}

struct HooksStatus: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "Show which hooks are installed, and their recent log.")
    @OptionGroup var target: HookTarget
    func run() throws {
        try perform {
            let installer = try target.installer()
            try target.report(try installer.status(), installer: installer, log: true)
        }
    }
}

/// What an installed hook runs. It never fails: every problem is written to
/// stderr (the hook script appends it to the hook log) and it exits 0.
struct Hook: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hook",
        abstract: "Run by the installed git hooks (not for direct use).",
        discussion: """
            Syncs the repository after a git command. Quick work runs before the hook returns; \
            a long catch-up (a first sync, a big branch switch) continues in the background. \
            During a rebase, the hooks only mark the project and post-rewrite syncs once.
            """,
        shouldDisplay: false)

    @Argument(help: "The hook's name, e.g. post-commit.") var name: String
    @OptionGroup var global: GlobalOptions
    @Option(help: "The repository.") var repo: String?
    @Option(help: "The hook log the script appends to; renamed to <log>.1 past 1 MiB.") var log: String?
    @Argument(parsing: .postTerminator, help: "The hook's own arguments from git.") var gitArguments: [String] = []

    /// Above this many paths touched by the new commits, sync in the background.
    static let foregroundLimit = 500

    func run() {
        Self.perform(name: name, db: global.db, databaseURL: global.databaseURL, repo: repo, log: log, gitArguments: gitArguments)
    }

    /// The arguments exactly as the installed scripts pass them
    /// (`hook NAME --db PATH --repo PATH [--log PATH] -- ARGS...`; see
    /// `PlainArguments`), without ArgumentParser: false for anything else.
    static func runIfScripted(_ argv: [String]) -> Bool {
        guard argv.count >= 3, argv[1] == "hook", !argv[2].hasPrefix("-"),
            let arguments = PlainArguments(argv[3...], values: ["--db", "--repo", "--log"], terminator: true),
            let db = arguments.values["--db"], let repo = arguments.values["--repo"]
        else { return false }
        perform(name: argv[2], db: db, databaseURL: nil, repo: repo, log: arguments.values["--log"], gitArguments: arguments.rest)
        return true
    }

    static func perform(name: String, db: String?, databaseURL: String?, repo: String?, log: String?, gitArguments: [String]) {
        defer { if let log { HookInstaller.rotateLog(at: log) } }
        guard let hook = SyncTrigger(rawValue: name), SyncTrigger.gitHooks.contains(hook) else {
            printError("\(name): not a hook openspec-sync follows (\(SyncTrigger.gitHooks.map(\.rawValue).joined(separator: ", ")))")
            return
        }
        do {
            let settings = try GlobalOptions.settings(db: db, databaseURL: databaseURL)
            let engine = try GlobalOptions.engine(settings)
            Trace.mark("database open")
            guard let project = try? engine.project(forRepo: repo) else {
                printError("\(repo ?? "this repository") is not registered; hooks do nothing until `openspec-sync init`")
                return
            }
            Trace.mark("project found")
            switch try engine.runHook(hook, project: project, arguments: gitArguments, foregroundLimit: foregroundLimit,
                                      maxFileBytes: settings.maxFileBytes) {
            case .marked, .upToDate, .synced:
                Trace.mark("done")
            case let .standingBy(role):
                print("\(name): \(project.name) is \(role.ownerPhrase); its owner syncs its own clone, so this commit reaches the database once it is there (push it, and pull it into that clone)")
            case let .background(reason):
                print("\(name): \(reason); the sync continues in the background")
                try continueInBackground(project: project, name: name, database: settings.database)
            }
        } catch {
            printError("\(name): \(errorText(error))")
        }
    }

    /// Starts `reconcile --coalesce` as a separate process and returns
    /// without waiting: its output goes where ours goes (the hook log).
    private static func continueInBackground(project: ProjectRecord, name: String, database: Settings.Database) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executablePath())
        process.arguments = ["reconcile", "--repo", project.repoPath, "--trigger", name, "--coalesce"]
        switch database {
        case let .sqlite(path):
            process.arguments? += ["--db", path]
        case let .postgres(url):
            // Through the environment, not the arguments: others may read a process's arguments.
            var environment = ProcessInfo.processInfo.environment
            environment.removeValue(forKey: Settings.Variable.database.rawValue)
            environment[Settings.Variable.databaseURL.rawValue] = url.string(revealingPassword: true)
            process.environment = environment
        }
        process.standardInput = FileHandle.nullDevice
        try process.run()
        print("\(name): a long sync continues in the background (pid \(process.processIdentifier))")
    }
}

struct RunDaemon: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Keep every project in sync: the scan loop, and optionally the file watcher.",
        discussion: """
            Every interval, each registered project this host owns (and each repository with an \
            openspec/ folder under --projects-dir) is reconciled, and up to --batch changes not \
            verified for an interval are re-read and compared. The loop catches what fires no git hook (reset \
            --hard, stash pop, a conflicted merge). --watch adds an inotify watcher so uncommitted \
            edits reach the database within a fraction of a second. Ctrl-C or SIGTERM finishes the \
            transaction in flight and exits 0.

            --serve also serves the HTTP API (see `serve`).

            Hosts sharing a PostgreSQL database: every second the daemon renews this host's \
            leases for one interval and writes the edits other hosts queued for its projects; a \
            clone of a project another host owns stands by and is taken over when that host's \
            lease runs out (within two intervals of its stopping). Stopping lets go of the leases \
            at once. See docs/scaling.md.

            Environment: OPENSPEC_SYNC_INTERVAL, OPENSPEC_SYNC_BATCH, OPENSPEC_PROJECTS_DIR, \
            FILE_WATCHER_ENABLED=true (flags win).
            """)

    @OptionGroup var global: GlobalOptions
    @Option(help: "Seconds between rounds (default 30).") var interval: Double?
    @Option(help: "Changes re-checked per project per round (default 50).") var batch: Int?
    @Option(help: "Projects reconciled at the same time.") var concurrency: Int = 2
    @Option(name: .customLong("projects-dir"), help: "Register and sync every git repository with an openspec/ folder under this folder.")
    var projectsDir: String?
    @Flag(help: "Also watch the OpenSpec folders for uncommitted edits.") var watch = false
    @Flag(help: "Also serve the HTTP API (flags as for `serve`).") var serve = false
    @OptionGroup var server: ServerFlags

    /// The longest interval: a week (longer ones cannot be slept through as nanoseconds anyway).
    static let maxInterval: Double = 7 * 86_400

    func validate() throws {
        let settings = try global.settings()
        _ = try scanInterval(settings)
        _ = try scanBatch(settings)
        if concurrency < 1 { throw ValidationError("--concurrency must be at least 1") }
    }

    /// `--interval`, else `OPENSPEC_SYNC_INTERVAL`, else 30; a value that is
    /// not a number of seconds in (0, a week] is refused, wherever it comes from.
    func scanInterval(_ settings: Settings) throws -> Double {
        let (value, name) = interval.map { ($0, "--interval") }
            ?? settings.scanInterval.map { (Double($0) ?? .nan, Settings.Variable.scanInterval.rawValue) }
            ?? (30, "")
        guard value.isFinite, value > 0, value <= Self.maxInterval else {
            throw ValidationError("\(name) takes a number of seconds above 0 and at most \(Int(Self.maxInterval)) (a week)")
        }
        return value
    }

    /// `--batch`, else `OPENSPEC_SYNC_BATCH`, else 50; never negative.
    func scanBatch(_ settings: Settings) throws -> Int {
        let (value, name) = batch.map { ($0, "--batch") }
            ?? settings.scanBatch.map { (Int($0) ?? -1, Settings.Variable.scanBatch.rawValue) }
            ?? (50, "")
        guard value >= 0 else { throw ValidationError("\(name) takes a whole number, zero or more") }
        return value
    }

    func run() async throws {
        bootstrapLogging()
        let logger = Logger(label: "openspec-sync")
        let settings = try global.settings()
        let options = ScanOptions(
            interval: try scanInterval(settings),
            batch: try scanBatch(settings),
            concurrency: concurrency,
            projectsDirectory: projectsDir ?? settings.projectsDirectory,
            maxFileBytes: settings.maxFileBytes, retention: settings.historyRetention)
        let watching = watch || settings.watchFiles
        let engine: SyncEngine
        var services: [any Service] = []
        do {
            // The server's readers must not wait behind the scan loop's writes.
            engine = try SyncEngine(settings: settings, concurrentReads: serve)
            if serve { services.append(try server.server(engine: engine, settings: settings, logger: logger)) }
        } catch {
            printError(errorText(error))
            throw ExitCode(1)
        }
        let daemon = SyncDaemon(engine: engine, options: options, watch: watching, logger: logger)
        let group = ServiceGroup(services: [daemon] + services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        do {
            try await group.run()
        } catch {
            printError(errorText(error))
            throw ExitCode(1)
        }
    }
}
