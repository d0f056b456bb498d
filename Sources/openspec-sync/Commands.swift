import ArgumentParser
import Foundation
import OpenSpecStore
import OpenSpecSync

struct Init: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Register a git repository's OpenSpec folder as a project.",
        discussion: """
            Idempotent: registering the same repository again keeps its history. Run `reconcile` next.

            A project is known on every host sharing a database by its key: its `origin` remote \
            (normalised) and OpenSpec folder; without an origin, --name. A clone of a project another \
            host registered joins it as a standby: that host owns it, and this one takes it over when \
            the owner stops (see docs/scaling.md). OPENSPEC_SYNC_HOST names this host (default: the \
            machine's host name with a database URL, `local` with a SQLite file).
            """)

    @OptionGroup var global: GlobalOptions
    @Option(help: "The repository (default: the one around the current directory).") var repo: String?
    @Option(help: "The project's name (default: the repository folder's name).") var name: String?
    @Option(name: .customLong("openspec-dir"), help: "The OpenSpec folder, relative to the repository root.") var openspecDir: String = "openspec"
    @Flag(help: "Print the project as JSON.") var json = false

    func run() throws {
        try InitRun(db: global.db, databaseURL: global.databaseURL, repo: repo, name: name, openspecDir: openspecDir, json: json).execute()
    }

    /// `init` as scripts write it (see `PlainArguments`), without
    /// ArgumentParser: false for anything else.
    static func runIfPlain(_ argv: [String]) -> Bool {
        guard argv.count >= 2, argv[1] == "init",
            let arguments = PlainArguments(argv[2...], values: ["--db", "--database-url", "--repo", "--name", "--openspec-dir"], flags: ["--json"])
        else { return false }
        let values = arguments.values
        runPlain(InitRun(db: values["--db"], databaseURL: values["--database-url"], repo: values["--repo"], name: values["--name"],
                         openspecDir: values["--openspec-dir"] ?? "openspec", json: arguments.flags.contains("--json")).execute)
        return true
    }
}

/// One `init` command, however its arguments were read.
struct InitRun {
    var db: String?
    var databaseURL: String?
    var repo: String?
    var name: String?
    var openspecDir: String
    var json: Bool

    func execute() throws {
        try perform {
            let engine = try GlobalOptions.engine(GlobalOptions.settings(db: db, databaseURL: databaseURL))
            let project = try engine.register(repo: repo, name: name, openspecDir: openspecDir)
            if json {
                try printJSON(project)
                return
            }
            switch try engine.role(in: project) {
            case .owner:
                print("Registered \(project.name): \(project.repoPath)/\(project.openspecPath) (id \(project.id))")
                print("Next: openspec-sync reconcile --repo \(project.repoPath)")
            case let role:
                let root = try SyncEngine.repositoryRoot(around: repo)
                print("Registered \(root) as a clone of \(project.name), which is \(role.ownerPhrase) (id \(project.id))")
                print("This host takes it over when its owner stops or its lease runs out (`openspec-sync run` here watches for that)")
            }
        }
    }
}

struct Reconcile: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reconcile",
        abstract: "Bring the database up to date with the files.",
        discussion: """
            Follows git: the commits since the last sync plus uncommitted edits in the working \
            tree. The first sync, --full, or a last-synced commit that no longer exists (rebase, \
            reset) compares everything instead.
            """)

    @OptionGroup var global: GlobalOptions
    @Option(help: "The repository (default: the one around the current directory).") var repo: String?
    @Flag(help: "Reconcile every registered project.") var all = false
    @Flag(help: "Compare every file, not only what git says changed, and list every folder again.") var full = false
    @Option(help: "What set this run off, for the history.")
    var trigger: SyncTrigger = .manual
    @Flag(help: "Print the summary as JSON.") var json = false
    @Flag(help: "If another sync of the project is running, leave it to run once more for us and return at once.")
    var coalesce = false

    func validate() throws {
        if all && repo != nil { throw ValidationError("--all and --repo exclude each other") }
    }

    func run() throws {
        try ReconcileRun(db: global.db, databaseURL: global.databaseURL, repo: repo, all: all, full: full, trigger: trigger, json: json,
                         coalesce: coalesce).execute()
    }

    /// `reconcile` as scripts write it (see `PlainArguments`), without
    /// ArgumentParser: false for anything else.
    static func runIfPlain(_ argv: [String]) -> Bool {
        guard argv.count >= 2, argv[1] == "reconcile",
            let arguments = PlainArguments(argv[2...], values: ["--db", "--database-url", "--repo", "--trigger"],
                                           flags: ["--all", "--full", "--json", "--coalesce"]),
            !(arguments.flags.contains("--all") && arguments.values["--repo"] != nil),  // ArgumentParser says why
            let trigger = arguments.values["--trigger"].map({ SyncTrigger(rawValue: $0) }) ?? .manual  // an unknown word: ArgumentParser says why
        else { return false }
        let (values, flags) = (arguments.values, arguments.flags)
        let run = ReconcileRun(db: values["--db"], databaseURL: values["--database-url"], repo: values["--repo"], all: flags.contains("--all"),
                               full: flags.contains("--full"), trigger: trigger,
                               json: flags.contains("--json"), coalesce: flags.contains("--coalesce"))
        runPlain(run.execute)
        return true
    }
}

/// One `reconcile` command, however its arguments were read.
struct ReconcileRun {
    var db: String?
    var databaseURL: String?
    var repo: String?
    var all: Bool
    var full: Bool
    var trigger: SyncTrigger
    var json: Bool
    var coalesce: Bool

    func execute() throws {
        var partial = false
        try perform {
            Trace.mark("arguments parsed")
            let engine = try GlobalOptions.engine(GlobalOptions.settings(db: db, databaseURL: databaseURL))
            Trace.mark("database open")
            let projects = all ? try engine.store.projects() : [try engine.project(forRepo: repo)]
            Trace.mark("project found")
            var summaries: [ReconcileSummary] = []
            for found in projects {
                var project = found
                if all {
                    // As this host must use it: a take-over just now moved it to this host's clone.
                    let (role, current, _) = try engine.ownership(of: found)
                    guard role.isOwner else {
                        if !json { print("\(found.name): \(role.ownerPhrase); skipped") }
                        continue
                    }
                    project = current
                }
                // Edits waiting to be written (a merge or index.lock held them back) go first.
                if !coalesce {
                    do {
                        let outcomes = try engine.flushPendingWrites(project: project, trigger: trigger)
                        if !json {
                            for case let .pending(reason) in outcomes { print("\(project.name): an edit still waits: \(reason)") }
                        }
                    } catch {
                        // The reconcile still runs; the waiting edits are retried next time.
                        printError("\(project.name): waiting edits could not be retried: \(error)")
                    }
                }
                let bar = ProgressBar(enabled: !json, label: project.name)
                let options = ReconcileOptions(full: full, trigger: trigger, maxFileBytes: engine.maxFileBytes)
                let outcome = try engine.reconcileExclusively(project, options: options, mode: coalesce ? .coalesce : .wait) { done, total in
                    bar.update(done, total)
                }
                Trace.mark("reconciled")
                bar.finish()
                guard case let .ran(runs) = outcome else {
                    if !json { print("\(project.name): a sync is already running; it will run once more to include this") }
                    continue
                }
                for summary in runs {
                    summaries.append(summary)
                    if !summary.problems.isEmpty { partial = true }
                    if !json { printSummary(summary) }
                }
            }
            if json {
                if all || summaries.count != 1 { try printJSON(summaries) } else { try printJSON(summaries[0]) }
            }
        }
        if partial { throw ExitCode(3) }
    }

    private func printSummary(_ s: ReconcileSummary) {
        var parts: [String] = []
        for (count, word) in [(s.created, "new"), (s.updated, "updated"), (s.archived, "archived"),
                              (s.unarchived, "unarchived"), (s.removed, "removed"), (s.restored, "restored"),
                              (s.mainSpecsChanged, "main specs")] where count > 0 {
            parts.append("\(count) \(word)")
        }
        let range = "\(s.fromCommit.map { String($0.prefix(8)) } ?? "∅")..\(s.toCommit.map { String($0.prefix(8)) } ?? "∅")"
        let what = parts.isEmpty ? "no changes" : parts.joined(separator: ", ")
        print("\(s.projectName): \(what) (\(s.mode.rawValue), \(range), \(s.durationMs) ms)")
        if let reason = s.fullReason, s.mode == .full { print("  full compare: \(reason)") }
        for problem in s.problems { print("  ! \(problem.message)") }
    }
}

struct List: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List changes (active ones by default).")

    @OptionGroup var global: GlobalOptions
    @Option(help: "Only this repository's changes.") var repo: String?
    @Option(help: "Only this project's changes (by name).") var project: String?
    @Flag(help: "Archived changes instead of active ones.") var archived = false
    @Flag(help: "Every change: active, archived and removed.") var all = false
    @Flag(help: "Print {\"changes\": [...]} as JSON.") var json = false

    func validate() throws {
        if repo != nil && project != nil { throw ValidationError("--repo and --project exclude each other") }
        if archived && all { throw ValidationError("--archived and --all exclude each other") }
    }

    func run() throws {
        try perform {
            let engine = try global.engine()
            var projectId: String?
            if let project { projectId = try engine.project(named: project).id }
            else if repo != nil { projectId = try engine.project(forRepo: repo).id }
            let statuses: Set<SpecStatus>? = all ? nil : archived ? [.archived] : [.active]
            let output = StandardOutputBuffer()
            if json {
                var changes = StreamedJSONObjectArray<ChangeListing>(key: "changes", output: output)
                try engine.forEachChange(projectId: projectId, statuses: statuses) { try changes.append($0) }
                try changes.finish()
                return
            }
            // Two passes: the first measures the columns, the second prints.
            var widths = TableWidths()
            var projects = Set<String>()
            var projectWidth = 0
            try engine.forEachChange(projectId: projectId, statuses: statuses) { change in
                widths.measure(row(change))
                projects.insert(change.project)
                projectWidth = max(projectWidth, change.project.count)
            }
            if projects.isEmpty {
                print(all || archived ? "No changes." : "No active changes. (--archived or --all shows the others.)")
                return
            }
            let showProject = projects.count > 1
            let header = ["CHANGE", "STATUS", "TASKS", "TITLE"]
            widths.measure(header)
            if showProject { widths.insertColumn(width: max(projectWidth, "PROJECT".count), at: 0) }
            output.write(widths.line((showProject ? ["PROJECT"] : []) + header))
            try engine.forEachChange(projectId: projectId, statuses: statuses) { change in
                output.write("\n" + widths.line((showProject ? [change.project] : []) + row(change)))
            }
            output.write("\n")
            output.flush()
        }
    }

    /// A change's table cells, the project's column left out.
    private func row(_ change: ChangeListing) -> [String] {
        let tasks = change.totalTasks == 0 ? "no tasks" : change.completedTasks == change.totalTasks ? "✓ \(change.totalTasks)/\(change.totalTasks)" : "\(change.completedTasks)/\(change.totalTasks)"
        var row = [change.changeId, change.status, tasks, truncate(change.title, 48)]
        if let error = change.syncError { row.append("! " + truncate(error, 40)) }
        return row
    }
}

struct Show: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Show one change: its files, tasks and validation issues.",
        discussion: "SPEC is a change id, a folder path such as changes/archive/2026-01-12-add-x, project:path, or a row id.")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The change.") var spec: String
    @Option(help: "Look only in this project.") var project: String?
    @Flag(help: "Print the change as JSON, content included.") var json = false

    func run() throws {
        try perform {
            let engine = try global.engine()
            let projectId = try project.map { try engine.project(named: $0).id }
            let detail = try engine.detail(of: engine.resolveSpec(spec, projectId: projectId))
            if json { try printJSON(detail); return }
            print("\(detail.title)")
            print("  change:   \(detail.changeId)  (\(detail.status)\(detail.archivedOn.map { ", archived \($0)" } ?? ""))")
            print("  project:  \(detail.project)   path: \(detail.path)   id: \(detail.id)")
            print("  tasks:    \(detail.completedTasks)/\(detail.totalTasks) (\(detail.taskStatus))")
            printSchema(detail)
            if let synced = detail.lastSyncedAt { print("  synced:   \(synced)") }
            if let error = detail.syncError { print("  error:    \(error)") }
            print("  files:")
            for file in detail.files {
                print("    \(file.path)  \(file.size) bytes  \(file.blobId.prefix(10))\(file.isUTF8 ? "" : "  (not UTF-8, kept as bytes)")")
            }
            if !detail.tasks.isEmpty {
                print("  task list:")
                for task in detail.tasks {
                    let indent = String(repeating: " ", count: min(task.indent ?? 0, 8))
                    // The text starts with the task's number when one is written.
                    let place = detail.taskFiles.count > 1 ? "\(task.file ?? ""):\(task.line)" : "line \(task.line)"
                    print("    \(indent)[\(task.marker)] \(truncate(task.text, 70))  (\(place))")
                }
            }
            if !detail.issues.isEmpty {
                print("  issues:")
                for issue in detail.issues { print("    \(issue)") }
            }
        }
    }
}

struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "Show each project's sync state.")

    @OptionGroup var global: GlobalOptions
    @Flag(help: "Print the projects as JSON.") var json = false

    /// "host-a (this host), lease renewed 0.4 s ago", or why nobody holds it.
    static func ownerLine(_ owner: OwnerStatus) -> String {
        var line = (owner.host ?? "(none)") + (owner.isThisHost ? " (this host)" : "")
        if let age = owner.leaseAgeMs { line += ", lease renewed \(String(format: "%.1f", Double(age) / 1000)) s ago" }
        if !owner.held { line += "; the lease ran out: the next host with a clone to look (a standby's scan, the owner's daemon or a command) takes it" }
        return line
    }

    func run() throws {
        try perform {
            let projects = try global.engine().status(owners: true)
            if json { try printJSON(["projects": projects]); return }
            if projects.isEmpty { print("No projects. Register one with `openspec-sync init --repo PATH`."); return }
            for p in projects {
                print("\(p.name)  \(p.repoPath)/\(p.openspecPath)")
                print("  changes: \(p.active) active, \(p.archived) archived, \(p.removed) removed; \(p.mainSpecs) main specs")
                let when = p.lastReconciledAt.map { "\($0)" } ?? "never"
                print("  last sync: \(when) at \(p.lastReconciledCommit.map { String($0.prefix(12)) } ?? "(no commit)")")
                if let run = p.lastRun {
                    print("  last run: \(run.action) via \(run.triggeredBy)\(run.success ? "" : " — FAILED")\(run.durationMs.map { ", \($0) ms" } ?? "")")
                    if run.runs > 1, let first = run.firstSyncedAt { print("  \(run.runs) such runs in a row since \(first)") }
                }
                if p.withErrors > 0 { print("  \(p.withErrors) change(s) with sync errors: `openspec-sync list --all --json` shows them") }
                if let error = p.lastError { print("  error: \(error)") }
                if p.pendingWrites > 0 { print("  \(p.pendingWrites) edit(s) waiting to be written to files (retried automatically)") }
                if p.openConflicts > 0 { print("  \(p.openConflicts) conflict(s) kept: `openspec-sync conflicts` lists them") }
                for skipped in p.skipped {
                    switch skipped.reason {
                    case .nameNotUTF8: print("  skipped \(skipped.path): its name is not valid UTF-8 (\\xNN marks each bad byte); rename it to sync it")
                    case .submodule: print("  skipped \(skipped.path): a git submodule, not a change")
                    }
                }
                if !p.pendingPaths.isEmpty { print("  uncommitted or failed paths re-checked next run: \(p.pendingPaths.count)") }
                if let owner = p.owner { print("  owner: " + Self.ownerLine(owner)) }
                for standby in p.standbys ?? [] {
                    print("  standby: \(standby.host) at \(standby.repoPath), last seen \(standby.seenAt)")
                }
            }
        }
    }
}

struct History: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history",
        abstract: "Show the sync log, newest first.",
        discussion: "Pages: pass the printed next cursor as --cursor to continue.")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "Only this change's history.") var spec: String?
    @Option(help: "Only this project's history.") var project: String?
    @Option(help: "At most this many rows.") var limit: Int = 20
    @Option(help: "Continue after this row id (the previous page's next cursor).") var cursor: Int64?
    @Flag(help: "Print {\"items\": [...], \"nextCursor\": ...} as JSON.") var json = false

    func validate() throws {
        if limit < 1 || limit > 1000 { throw ValidationError("--limit takes 1 to 1000") }
    }

    func run() throws {
        try perform {
            let engine = try global.engine()
            let projectId = try project.map { try engine.project(named: $0).id }
            let specId = try spec.map { try engine.resolveSpec($0, projectId: projectId).id }
            let page = try engine.historyPage(projectId: projectId, specId: specId, limit: limit, cursor: cursor)
            if json {
                try printJSON(page)
                return
            }
            if page.items.isEmpty { print("No history."); return }
            let rows = page.items.map { item in
                [String(item.id), ISO8601DateFormatter().string(from: item.syncedAt), item.project, item.specPath ?? "(run)",
                 item.runs > 1 ? "\(item.action) ×\(item.runs)" : item.action, item.triggeredBy, item.success ? "ok" : "FAILED: " + truncate(item.errorMessage ?? "", 50)]
            }
            print(renderTable(header: ["ID", "WHEN", "PROJECT", "CHANGE", "ACTION", "TRIGGER", "RESULT"], rows: rows))
            if let next = page.nextCursor { print("more: --cursor \(next)") }
        }
    }
}

/// `show`'s schema lines: the schema, where its tasks are, and which artifacts exist.
func printSchema(_ detail: SpecDetail) {
    print("  schema:   \(detail.schemaName ?? "spec-driven")   tasks in: \(detail.taskFiles.isEmpty ? detail.trackedTasks : detail.taskFiles.joined(separator: ", "))")
    guard !detail.artifacts.isEmpty else { return }
    let marks = detail.artifacts.map { "\($0.present ? "✓" : "·") \($0.id) (\($0.generates))" }
    print("  artifacts: " + marks.joined(separator: "  "))
}
