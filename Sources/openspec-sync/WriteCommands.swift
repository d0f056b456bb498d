import ArgumentParser
import Foundation
import OpenSpecSync

/// Prints what became of an edit and exits 0 (written or unchanged), 5 (pending) or 6 (conflict).
private func report(_ outcome: WriteOutcome, what: String, json: Bool, engine: SyncEngine) throws {
    switch outcome {
    case let .written(commit):
        if json { try printJSON(WriteReport(.written, commit: commit)) }
        else { print("\(what): written and committed as \(commit.prefix(12))") }
    case .unchanged:
        if json { try printJSON(WriteReport(.unchanged)) }
        else { print("\(what): unchanged, the file already is so; nothing to commit") }
    case let .pending(reason):
        if json { try printJSON(WriteReport(.pending, reason: reason)) }
        else { print("\(what): saved, not written yet: \(reason)") }
        throw ExitCode(5)
    case let .conflict(id):
        if json { try printJSON(WriteReport(.conflict, conflictId: id)) }
        else {
            if let reason = try engine.store.conflict(id: id)?.reason {
                print("\(what): conflict #\(id): \(reason); the file was kept.")
            } else {
                print("\(what): conflict #\(id): the file changed on disk since the last sync, so the file was kept.")
            }
            print("Your edit is saved: `openspec-sync conflicts` shows it; `openspec-sync resolve SPEC --reapply --conflict \(id)` writes it over the file.")
        }
        throw ExitCode(6)
    }
}

struct Edit: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "edit",
        abstract: "Replace one file of a change with new content, then commit it.",
        discussion: """
            The content is read from stdin (or --input), exactly as given. The edit is saved in the \
            database first, then written atomically and committed as "openspec-sync". If the file \
            changed on disk since the last sync, the file wins and the edit is kept as a conflict. \
            Exit codes: 0 written, 5 saved but waiting (mid-merge, index.lock), 6 conflict.
            """)

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The change.") var spec: String
    @Argument(help: "The file, relative to the change folder (tasks.md, specs/auth/spec.md, ...).") var file: String
    @Option(help: "Read the content from this file instead of stdin.") var input: String?
    @Option(help: "Look only in this project.") var project: String?
    @Flag(help: "Print the outcome as JSON.") var json = false

    func run() throws {
        try perform {
            let engine = try global.engine()
            let content: [UInt8]
            if let input {
                guard let data = FileManager.default.contents(atPath: input) else {
                    throw ValidationError("cannot read --input \(input)")
                }
                content = [UInt8](data)
            } else {
                content = [UInt8](FileHandle.standardInput.readDataToEndOfFile())
            }
            let projectId = try project.map { try engine.project(named: $0).id }
            let target = try engine.resolveSpec(spec, projectId: projectId)
            try report(try engine.edit(spec: target, file: file, content: content), what: "\(target.changeId)/\(file)", json: json, engine: engine)
        }
    }
}

struct TaskCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "task",
        abstract: "Tick or untick one task of a change's tasks.md, then commit it.",
        discussion: """
            TASK is the written number (1.2) or #N for the Nth checkbox. Only the checkbox's marker \
            changes; every other byte of the file stays. Exit codes as for `edit`.
            """)

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The change.") var spec: String
    @Argument(help: "The task: a number such as 1.2, or #N.") var task: String
    @Flag(help: "Mark the task done.") var done = false
    @Flag(help: "Mark the task not done.") var undone = false
    @Option(help: "Look only in this project.") var project: String?
    @Flag(help: "Print the outcome as JSON.") var json = false

    func validate() throws {
        if done == undone { throw ValidationError("give exactly one of --done and --undone") }
    }

    func run() throws {
        try perform {
            let engine = try global.engine()
            let projectId = try project.map { try engine.project(named: $0).id }
            let target = try engine.resolveSpec(spec, projectId: projectId)
            try report(try engine.toggleTask(spec: target, task: task, done: done),
                       what: "\(target.changeId) task \(task)", json: json, engine: engine)
        }
    }
}

struct Conflicts: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "conflicts",
        abstract: "List kept conflicts: edits that lost to a change on disk.",
        discussion: "Nothing is thrown away: each conflict holds the whole losing edit. `resolve` closes or re-applies it.")

    @OptionGroup var global: GlobalOptions
    @Option(help: "Only this project's conflicts.") var project: String?
    @Flag(help: "Include resolved conflicts.") var all = false
    @Flag(help: "Print {\"conflicts\": [...]} as JSON, kept content included.") var json = false

    func run() throws {
        try perform {
            let engine = try global.engine()
            let projectId = try project.map { try engine.project(named: $0).id }
            let conflicts = try engine.conflicts(projectId: projectId, includeResolved: all)
            if json { try printJSON(["conflicts": conflicts]); return }
            if conflicts.isEmpty { print("No open conflicts."); return }
            let reasons = conflicts.compactMap { c in c.reason.map { "#\(c.id): \($0)" } }
            let rows = conflicts.map { c in
                ["#\(c.id)", c.changeId ?? "(gone)", c.path, "\(c.detectedAt)", c.resolution ?? "open", "\(c.keptBytes) bytes kept"]
            }
            print(renderTable(header: ["ID", "CHANGE", "FILE", "DETECTED", "STATE", "EDIT"], rows: rows))
            for reason in reasons { print(reason) }
            print("`openspec-sync conflicts --json` shows the kept content; `openspec-sync resolve SPEC --reapply` writes it.")
        }
    }
}

struct Resolve: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resolve",
        abstract: "Close a change's conflict: keep the file, or re-apply the kept edit.",
        discussion: """
            --filesystem keeps the file as it is. --reapply writes the kept edit over the file as it is \
            now and commits it (exit codes as for `edit`). With several open conflicts on the change, \
            name one with --conflict ID.
            """)

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The change.") var spec: String
    @Flag(help: "Keep the file as it is.") var filesystem = false
    @Flag(help: "Write the kept edit over the file.") var reapply = false
    @Option(help: "The conflict's id (from `conflicts`).") var conflict: Int64?
    @Option(help: "Look only in this project.") var project: String?
    @Flag(help: "Print the outcome as JSON.") var json = false

    func validate() throws {
        if filesystem == reapply { throw ValidationError("give exactly one of --filesystem and --reapply") }
    }

    func run() throws {
        try perform {
            let engine = try global.engine()
            let projectId = try project.map { try engine.project(named: $0).id }
            let target = try engine.resolveSpec(spec, projectId: projectId)
            let chosen: ConflictView
            do {
                chosen = try engine.openConflict(of: target, id: conflict)
            } catch SyncError.severalConflicts(_, let ids) {
                throw ValidationError("\(target.changeId) has \(ids.count) open conflicts (\(ids.map { "#\($0)" }.joined(separator: ", "))); pick one with --conflict ID")
            }
            let outcome = try engine.resolveConflict(chosen.id, resolution: reapply ? .reapply : .filesystem)
            if let outcome {
                try report(outcome, what: "\(target.changeId)/\(chosen.path) (conflict #\(chosen.id) re-applied)", json: json, engine: engine)
            } else if json {
                try printJSON(WriteReport(.resolved))
            } else {
                print("conflict #\(chosen.id) closed; the file stays as it is")
            }
        }
    }
}

struct Log: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "log",
        abstract: "List the commits that touched a change's files, newest first.",
        discussion: "Commits made by openspec-sync (writes from the database) are marked. An archived change's list includes its commits from before the archive.")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The change (id, folder path, or project:path).") var spec: String
    @Option(help: "Look only in this project.") var project: String?
    @Option(help: "At most this many commits.") var limit: Int = 50
    @Flag(help: "Print {\"commits\": [...], \"shallow\": BOOL} as JSON.") var json = false

    func validate() throws {
        if limit < 1 || limit > 10_000 { throw ValidationError("--limit takes 1 to 10000") }
    }

    func run() throws {
        try perform {
            let engine = try global.engine()
            let projectId = try project.map { try engine.project(named: $0).id }
            let log = try engine.log(spec: engine.resolveSpec(spec, projectId: projectId), limit: limit)
            if json { try printJSON(log); return }
            if log.commits.isEmpty {
                print("No commits touch this change (it may not be committed yet).")
            } else {
                let formatter = ISO8601DateFormatter()
                let rows = log.commits.map { entry in
                    [String(entry.commit.prefix(10)), formatter.string(from: entry.time), entry.syncCommit ? "sync" : "",
                     entry.author, truncate(entry.summary, 60)]
                }
                print(renderTable(header: ["COMMIT", "WHEN", "", "AUTHOR", "SUMMARY"], rows: rows))
            }
            if log.shallow {
                print("The history is shallow (a shallow clone): older commits were not fetched; `git fetch --unshallow` fetches them.")
            }
        }
    }
}

struct Rollback: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rollback",
        abstract: "Restore a change's files to their content at an earlier commit, as a new commit.",
        discussion: """
            Files the commit had are written back, files it lacked are deleted, and the result is \
            committed as "openspec-sync" on top of HEAD: history is never rewritten, so a rollback can \
            itself be rolled back (`rollback SPEC --to HEAD~1`). `log SPEC` lists the commits to pick from. \
            A file changed on disk since the last sync, or not committed, wins: nothing is written, and \
            the commit's version of each such file is kept as a conflict (`conflicts`, `resolve --reapply`). \
            Exit codes: 0 restored (or already as asked), 4 unknown change or commit, 6 conflict, \
            1 refused while the repository is mid-merge or locked (nothing changed; run it again then).
            """)

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The change (id, folder path, or project:path).") var spec: String
    @Option(help: "The commit to restore from: an id, a branch, a tag, HEAD~N.") var to: String
    @Option(help: "Look only in this project.") var project: String?
    @Flag(help: "Print the outcome as JSON.") var json = false

    func run() throws {
        try perform {
            let engine = try global.engine()
            let projectId = try project.map { try engine.project(named: $0).id }
            let target = try engine.resolveSpec(spec, projectId: projectId)
            let result = try engine.rollback(spec: target, to: to)
            if json { try printJSON(result) }
            switch result.outcome {
            case .written:
                if !json {
                    print("\(target.changeId): restored to \(result.target.prefix(12)) and committed as \(result.commit?.prefix(12) ?? "")")
                    for path in result.restored { print("  restored \(path)") }
                    for path in result.deleted { print("  deleted  \(path)") }
                }
            case .unchanged:
                if !json { print("\(target.changeId): the files already match \(result.target.prefix(12)); nothing to commit") }
            case .conflict:
                if !json {
                    print("\(target.changeId): conflict: \(result.conflictPaths.joined(separator: ", ")) changed on disk since the last sync or are not committed, so nothing was written.")
                    print("Commit or discard those changes and roll back again; the commit's versions are kept as conflict(s) \(result.conflictIds.map { "#\($0)" }.joined(separator: ", ")) (`openspec-sync conflicts`).")
                }
                throw ExitCode(6)
            }
        }
    }
}
