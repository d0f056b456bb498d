import Foundation
import OpenSpecFormat
import OpenSpecGit
import OpenSpecStore

/// How one reconcile should run.
public struct ReconcileOptions: Sendable {
    /// Compare everything instead of following git's diff.
    public var full: Bool
    /// What set the run off: a `SyncTrigger` value or a hook name.
    public var trigger: String
    /// Files larger than this are recorded with an error, not read.
    public var maxFileBytes: Int
    /// OpenSpec's `apply.tracks`: which files of a change hold its tasks.
    public var trackedTasks: String

    public init(full: Bool = false, trigger: String = SyncTrigger.manual.rawValue,
                maxFileBytes: Int = 8 << 20, trackedTasks: String = "tasks.md") {
        self.full = full; self.trigger = trigger; self.maxFileBytes = maxFileBytes; self.trackedTasks = trackedTasks
    }
}

/// One spec the run created, changed, moved or removed.
public struct ReconcileChange: Codable, Sendable, Equatable {
    public var specId: String
    public var path: String
    public var action: String
    public var files: [String]
    public var error: String?
}

/// A file that could not be synced this time; the rest of the batch went on.
public struct FileProblem: Codable, Sendable, Equatable {
    public var path: String
    public var message: String
}

/// What a reconcile did.
public struct ReconcileSummary: Codable, Sendable {
    public var projectId: String
    public var projectName: String
    public var runId: String
    /// "full" or "incremental".
    public var mode: String
    /// Why a full compare ran when an incremental one was asked for.
    public var fullReason: String?
    public var fromCommit: String?
    public var toCommit: String?
    public var created = 0
    public var updated = 0
    public var archived = 0
    public var unarchived = 0
    public var removed = 0
    public var restored = 0
    public var failed = 0
    public var mainSpecsChanged = 0
    /// Change folders read this run.
    public var examined = 0
    public var changes: [ReconcileChange] = []
    public var problems: [FileProblem] = []
    public var durationMs = 0

    public var changedCount: Int { created + updated + archived + unarchived + removed + restored }
    public var succeeded: Bool { problems.isEmpty }
}

/// The filesystem -> database direction. The working tree, as seen through
/// git, is the truth; the database follows it one batch at a time, inside
/// one write transaction, so a crash leaves the old state or the new one.
public struct Reconciler: Sendable {
    public let store: Store
    public let fileSystem: FileSystem
    /// Called after each change folder is written: (done, total).
    public typealias Progress = (Int, Int) -> Void

    public init(store: Store, fileSystem: FileSystem = PosixFileSystem()) {
        self.store = store
        self.fileSystem = fileSystem
    }

    public func reconcile(projectId: String, options: ReconcileOptions = ReconcileOptions(),
                          progress: Progress? = nil) throws -> ReconcileSummary {
        let started = Date()
        do {
            // The whole run, git diff included, happens under the database's
            // write lock: two runs for one project can never interleave.
            return try store.write { writer in
                guard let project = try writer.project(id: projectId) else {
                    throw SyncError.unknownProject(projectId)
                }
                var run = Run(reconciler: self, writer: writer, project: project, options: options,
                              started: started, progress: progress)
                return try run.execute()
            }
        } catch {
            // Leave a trace of a run that could not happen at all.
            try? store.write { writer in
                try writer.recordProjectError(projectId: projectId, error: "\(error)")
                if try writer.project(id: projectId) != nil {
                    try writer.insertHistory(HistoryValues(
                        projectId: projectId, specId: nil, runId: UUID().uuidString.lowercased(),
                        direction: .filesystemToDatabase, syncedAt: Date(), success: false,
                        errorMessage: "\(error)", filesChanged: [], triggeredBy: options.trigger,
                        action: "failed", fromCommit: nil, toCommit: nil,
                        durationMs: Int(Date().timeIntervalSince(started) * 1000)))
                }
            }
            throw error
        }
    }
}

/// The state of one reconcile while it runs.
private struct Run {
    let reconciler: Reconciler
    let writer: StoreWriter
    let project: ProjectRecord
    let options: ReconcileOptions
    let started: Date
    let progress: Reconciler.Progress?
    let now = Date()
    let runId = UUID().uuidString.lowercased()
    var summary: ReconcileSummary
    /// openspec-relative paths to look at again next time.
    var pending = Set<String>()
    /// openspec-relative paths with unmerged index entries.
    var conflicted = Set<String>()
    var changedPaths: [String] = []
    var fromCommit: String?
    var toCommit: String?

    var fs: FileSystem { reconciler.fileSystem }

    init(reconciler: Reconciler, writer: StoreWriter, project: ProjectRecord, options: ReconcileOptions,
         started: Date, progress: Reconciler.Progress?) {
        self.reconciler = reconciler
        self.writer = writer
        self.project = project
        self.options = options
        self.started = started
        self.progress = progress
        summary = ReconcileSummary(projectId: project.id, projectName: project.name,
                                   runId: runId, mode: "incremental")
    }

    var openspecRoot: String { project.repoPath + "/" + project.openspecPath }

    /// Strips "openspec/" from a repository-relative path; nil outside it.
    func openspecRelative(_ repoPath: String) -> String? {
        let prefix = project.openspecPath + "/"
        guard repoPath.hasPrefix(prefix) else { return nil }
        return String(repoPath.dropFirst(prefix.count))
    }

    mutating func execute() throws -> ReconcileSummary {
        let repo: Repository
        do {
            repo = try Repository(path: project.repoPath)
        } catch {
            throw SyncError.notARepository(path: project.repoPath, reason: "\(error)")
        }
        let head = try repo.headCommit()
        toCommit = head?.hex
        fromCommit = project.lastReconciledCommit
        summary.fromCommit = fromCommit
        summary.toCommit = toCommit

        // What git says differs from HEAD right now: uncommitted edits, which
        // are the truth, and which we must re-check next time even if reverted.
        var working: [PathChange] = []
        do {
            working = try repo.workingTreeChanges(under: project.openspecPath)
        } catch {
            summary.problems.append(FileProblem(path: project.openspecPath, message: "cannot read the index and working tree: \(error)"))
        }
        for change in working {
            for path in [change.oldPath, change.newPath].compactMap({ $0 }) {
                guard let relative = openspecRelative(path) else { continue }
                pending.insert(relative)
                if change.kind == .conflicted { conflicted.insert(relative) }
            }
        }

        var full = options.full || !project.reconciledOnce
        if options.full { summary.fullReason = "asked for (--full)" }
        if !project.reconciledOnce { summary.fullReason = "first sync of this project" }
        var candidates = Set<String>()
        if !full {
            var base: ObjectID?
            if let last = project.lastReconciledCommit {
                if let id = ObjectID(hex: last), repo.commitExists(id) {
                    base = id
                } else {
                    full = true
                    summary.fullReason = "the last synced commit \(last.prefix(12)) is gone (rebase or reset); compared everything"
                }
            }
            if !full {
                do {
                    for change in try repo.diff(from: base, to: head, under: project.openspecPath) {
                        for path in [change.oldPath, change.newPath].compactMap({ $0 }) {
                            if let relative = openspecRelative(path) { candidates.insert(relative) }
                        }
                    }
                } catch {
                    full = true
                    summary.fullReason = "git could not diff \(last(fromCommit)) to HEAD (\(error)); compared everything"
                }
            }
            candidates.formUnion(pending)
            candidates.formUnion(project.pendingPathList)
        }
        summary.mode = full ? "full" : "incremental"

        var folders = Set<String>()
        var capabilities = Set<String>()
        if full {
            try collectAllFolders(into: &folders, capabilities: &capabilities)
        } else {
            for path in candidates {
                switch OpenSpecPath.classify(path) {
                case let .changeFile(folder, _): folders.insert(folder)
                case let .mainSpec(capability): capabilities.insert(capability)
                case .other: break
                }
            }
        }

        try syncChanges(folders: folders, full: full)
        try syncMainSpecs(capabilities, full: full)
        try finish()
        return summary
    }

    private func last(_ commit: String?) -> String { commit.map { String($0.prefix(12)) } ?? "the empty tree" }

    // MARK: Discovery

    /// Every change folder and main spec on disk, plus every one the database
    /// still thinks exists (so that a vanished one is noticed).
    private func collectAllFolders(into folders: inout Set<String>, capabilities: inout Set<String>) throws {
        let changesRoot = openspecRoot + "/changes"
        if fs.kind(of: changesRoot) == .directory {
            for entry in try fs.entries(of: changesRoot) where entry.kind == .directory {
                if entry.name == "archive" {
                    for archived in try fs.entries(of: changesRoot + "/archive") where archived.kind == .directory {
                        let path = "changes/archive/" + archived.name
                        if ChangeFolder(path: path) != nil { folders.insert(path) }
                    }
                } else {
                    let path = "changes/" + entry.name
                    if ChangeFolder(path: path) != nil { folders.insert(path) }
                }
            }
        }
        for spec in try writer.allSpecs(projectId: project.id) where spec.status != .removed {
            folders.insert(spec.path)
        }
        walkSpecs(openspecRoot + "/specs", relative: "", into: &capabilities)
        for (capability, state) in try writer.mainSpecStates(projectId: project.id) where state.status == "present" {
            capabilities.insert(capability)
        }
    }

    /// Main specs: any `spec.md` below `specs/` at depth one or more; dot
    /// entries and linked folders are skipped, as OpenSpec does.
    private func walkSpecs(_ directory: String, relative: String, into capabilities: inout Set<String>) {
        guard let entries = try? fs.entries(of: directory) else { return }
        for entry in entries where !entry.name.hasPrefix(".") {
            let child = relative.isEmpty ? entry.name : relative + "/" + entry.name
            if entry.kind == .directory {
                walkSpecs(directory + "/" + entry.name, relative: child, into: &capabilities)
            } else if entry.kind == .file, entry.name == "spec.md", !relative.isEmpty {
                capabilities.insert(relative)
            }
        }
    }

    // MARK: Change folders

    private mutating func syncChanges(folders: Set<String>, full: Bool) throws {
        guard !folders.isEmpty else { return }
        let storedByPath: [String: SpecSummary]? = full
            ? Dictionary(try writer.allSpecs(projectId: project.id).map { ($0.path, $0) }, uniquingKeysWith: { a, _ in a })
            : nil
        let storedBlobs: [String: [String: String]]? = full ? try writer.allFileBlobIds(projectId: project.id) : nil

        // Phase 1: which folders exist, which rows they belong to.
        var present: [(folder: ChangeFolder, stored: SpecSummary?)] = []
        var disappeared: [SpecSummary] = []
        for path in folders.sorted() {
            guard let folder = ChangeFolder(path: path) else { continue }
            let stored = try storedByPath.map { $0[path] } ?? writer.spec(projectId: project.id, path: path)
            if fs.kind(of: openspecRoot + "/" + path) == .directory {
                present.append((folder, stored))
            } else if let stored, stored.status != .removed {
                disappeared.append(stored)
            }
        }

        // Phase 2: a new folder that is the archived (or un-archived) form of
        // a vanished one is a move: it keeps the row, its id and its history,
        // whatever git's rename detection made of it.
        var moves: [String: SpecSummary] = [:]
        var usedIds = Set<String>()
        for item in present where item.stored == nil {
            let folder = item.folder
            if let index = disappeared.firstIndex(where: { $0.changeId == folder.changeId && ($0.status == .archived) != folder.isArchived }) {
                moves[folder.path] = disappeared.remove(at: index)
            } else if folder.isArchived {
                // Removed in an earlier run, archived now (delete and add synced apart).
                let earlier = try writer.specs(projectId: project.id, changeId: folder.changeId)
                    .filter { $0.status == .removed && $0.path == "changes/" + folder.changeId && !usedIds.contains($0.id) }
                if let match = earlier.last { moves[folder.path] = match }
            }
            if let match = moves[folder.path] { usedIds.insert(match.id) }
        }

        // Phase 3: read, parse and write each present folder, one at a time,
        // so memory stays flat however many changes there are.
        let total = present.count
        var done = 0
        for item in present {
            let stored = item.stored ?? moves[item.folder.path]
            let previous: [String: String]
            if let stored {
                previous = try storedBlobs.map { $0[stored.id] ?? [:] } ?? writer.fileBlobIds(specId: stored.id)
            } else {
                previous = [:]
            }
            try syncFolder(item.folder, stored: stored, previous: previous)
            done += 1
            progress?(done, total)
        }

        // Phase 4: folders gone without an archive are removed, history kept.
        for spec in disappeared {
            try writer.markRemoved(specId: spec.id, at: now)
            let files = try writer.fileBlobIds(specId: spec.id).keys.sorted().map { spec.path + "/" + $0 }
            try record(ReconcileChange(specId: spec.id, path: spec.path, action: "removed", files: files, error: nil))
            summary.removed += 1
        }
    }

    /// A file as read now, or what the database had when it could not be read.
    private struct ScannedFile {
        var values: FileValues
        var bytes: [UInt8]
        var modifiedAt: Date?
    }

    private mutating func syncFolder(_ folder: ChangeFolder, stored: SpecSummary?, previous: [String: String]) throws {
        summary.examined += 1
        var problems: [FileProblem] = []
        var files: [String: ScannedFile] = [:]
        scan(directory: openspecRoot + "/" + folder.path, relative: "", folder: folder, into: &files, problems: &problems)

        // A file that could not be read keeps the content last synced.
        for problem in problems {
            let relative = String(problem.path.dropFirst(folder.path.count + 1))
            pending.insert(problem.path)
            guard files[relative] == nil, let stored, let blob = previous[relative],
                  let data = try writer.fileContent(specId: stored.id, path: relative) else { continue }
            let bytes = [UInt8](data)
            files[relative] = ScannedFile(
                values: FileValues(path: relative, blobId: blob, size: bytes.count,
                                   isUTF8: String(validating: bytes, as: UTF8.self) != nil, content: data, syncError: nil),
                bytes: bytes, modifiedAt: nil)
        }
        summary.problems.append(contentsOf: problems)
        let error = problems.isEmpty ? nil : problems.map(\.message).joined(separator: "; ")

        let current = files.mapValues { $0.values.blobId }
        let status: SpecStatus = folder.isArchived ? .archived : .active
        let changedFiles = Set(current.keys).union(previous.keys).filter { current[$0] != previous[$0] }.sorted()
        let moved = stored.map { $0.path != folder.path || $0.status != status } ?? true
        if let stored, !moved, changedFiles.isEmpty, stored.syncError == error {
            return  // in step already
        }

        let snapshot = ChangeSnapshot.read(folder: folder, files: files.mapValues(\.bytes), trackedTasks: options.trackedTasks)
        func text(_ name: String) -> String? {
            files[name].flatMap { String(validating: $0.bytes, as: UTF8.self) }
        }
        let values = SpecValues(
            path: folder.path, changeId: folder.changeId, title: snapshot.title, status: status,
            archivedOn: folder.archivedOn, proposalContent: text("proposal.md"), tasksContent: text("tasks.md"),
            designContent: text("design.md"), completedTasks: snapshot.completedTasks,
            totalTasks: snapshot.totalTasks, taskStatus: snapshot.taskStatus.rawValue,
            tasksJSON: Self.tasksJSON(snapshot.tasks), schemaName: snapshot.metadata?.schema,
            createdOn: snapshot.metadata?.created, issuesJSON: Self.issuesJSON(snapshot.issues),
            filesystemModifiedAt: files.values.compactMap(\.modifiedAt).max(), syncError: error)

        let specId: String
        let action: String
        if let stored {
            specId = stored.id
            try writer.updateSpec(id: specId, values, at: now)
            if stored.status == .removed && stored.path == folder.path { action = "restored"; summary.restored += 1 }
            else if stored.status != .archived && status == .archived { action = "archived"; summary.archived += 1 }
            else if stored.status == .archived && status == .active { action = "unarchived"; summary.unarchived += 1 }
            else if error != nil && changedFiles.isEmpty { action = "failed" }
            else { action = "updated"; summary.updated += 1 }
        } else {
            specId = try writer.insertSpec(projectId: project.id, values, at: now)
            action = "created"
            summary.created += 1
        }
        if error != nil { summary.failed += 1 }
        try writer.replaceFiles(specId: specId, files: files.values.map(\.values), previous: previous)
        try record(ReconcileChange(specId: specId, path: folder.path, action: action,
                               files: changedFiles.map { folder.path + "/" + $0 }, error: error))
    }

    /// Reads every file of a change folder (recursively). Links are not
    /// followed, editor and merge leftovers are skipped.
    private func scan(directory: String, relative: String, folder: ChangeFolder,
                      into files: inout [String: ScannedFile], problems: inout [FileProblem]) {
        let entries: [(name: String, kind: EntryKind)]
        do {
            entries = try fs.entries(of: directory)
        } catch {
            let path = folder.path + (relative.isEmpty ? "" : "/" + relative)
            problems.append(FileProblem(path: path, message: "\(path): \((error as? FileSystemError)?.reason ?? "\(error)")"))
            return
        }
        for entry in entries.sorted(by: { $0.name < $1.name }) where !Self.isIgnoredName(entry.name) {
            let child = relative.isEmpty ? entry.name : relative + "/" + entry.name
            let openspecPath = folder.path + "/" + child
            switch entry.kind {
            case .directory:
                scan(directory: directory + "/" + entry.name, relative: child, folder: folder, into: &files, problems: &problems)
            case .symlink:
                problems.append(FileProblem(path: openspecPath, message: "\(openspecPath) is a symbolic link; links are not followed"))
            case .other:
                continue
            case .file:
                do {
                    let read = try fs.read(directory + "/" + entry.name, limit: options.maxFileBytes)
                    if read.oversize {
                        problems.append(FileProblem(path: openspecPath, message: "\(openspecPath) is \(read.size) bytes, over the \(options.maxFileBytes)-byte limit (OPENSPEC_SYNC_MAX_FILE_BYTES); not synced"))
                        continue
                    }
                    if conflicted.contains(openspecPath) {
                        problems.append(FileProblem(path: openspecPath, message: "\(openspecPath) has an unresolved merge conflict in the index; resolve it and commit, then it syncs"))
                        continue
                    }
                    if let line = Self.conflictMarkerLine(read.bytes) {
                        problems.append(FileProblem(path: openspecPath, message: "\(openspecPath):\(line): merge-conflict markers; resolve them, then the file syncs"))
                        continue
                    }
                    let isUTF8 = String(validating: read.bytes, as: UTF8.self) != nil
                    files[child] = ScannedFile(
                        values: FileValues(path: child, blobId: Repository.hashBlob(read.bytes).hex, size: read.size,
                                           isUTF8: isUTF8, content: Data(read.bytes), syncError: nil),
                        bytes: read.bytes, modifiedAt: read.modifiedAt)
                } catch {
                    let reason = (error as? FileSystemError)?.reason ?? "\(error)"
                    problems.append(FileProblem(path: openspecPath, message: "\(openspecPath): \(reason)"))
                }
            }
        }
    }

    /// Names that are never change content: hidden files and folders (but
    /// OpenSpec's own `.openspec.yaml`), editor swap files, merge leftovers
    /// and this tool's temporary files.
    static func isIgnoredName(_ name: String) -> Bool {
        if name.hasPrefix(".") { return name != ".openspec.yaml" }
        for suffix in ["~", ".swp", ".swx", ".tmp", ".orig", ".rej", ".bak"] where name.hasSuffix(suffix) {
            return true
        }
        return false
    }

    /// The 1-based line of a `<<<<<<<` marker that is followed by `=======`
    /// and `>>>>>>>` lines, or nil.
    static func conflictMarkerLine(_ bytes: [UInt8]) -> Int? {
        var line = 1
        var openLine: Int?
        var sawSeparator = false
        var atLineStart = true
        var index = 0
        let count = bytes.count
        while index < count {
            let byte = bytes[index]
            if atLineStart && index + 7 <= count {
                if byte == UInt8(ascii: "<") || byte == UInt8(ascii: "=") || byte == UInt8(ascii: ">") {
                    var run = 1
                    while run < 7 && bytes[index + run] == byte { run += 1 }
                    let end = index + 7
                    let bounded = end == count || bytes[end] == UInt8(ascii: " ") || bytes[end] == UInt8(ascii: "\n") || bytes[end] == UInt8(ascii: "\r")
                    if run == 7 && bounded {
                        if byte == UInt8(ascii: "<") { openLine = openLine ?? line }
                        else if byte == UInt8(ascii: "=") { if openLine != nil { sawSeparator = true } }
                        else if sawSeparator, let open = openLine { return open }
                    }
                }
            }
            atLineStart = byte == UInt8(ascii: "\n")
            if atLineStart { line += 1 }
            index += 1
        }
        return nil
    }

    // MARK: Main specs

    private mutating func syncMainSpecs(_ capabilities: Set<String>, full: Bool) throws {
        guard !capabilities.isEmpty else { return }
        let states = try writer.mainSpecStates(projectId: project.id)
        for capability in capabilities.sorted() {
            let relative = "specs/" + capability + "/spec.md"
            let absolute = openspecRoot + "/" + relative
            let state = states[capability]
            guard fs.kind(of: absolute) == .file else {
                if let state, state.status == "present" {
                    try writer.markMainSpecRemoved(projectId: project.id, capability: capability, at: now)
                    summary.mainSpecsChanged += 1
                    changedPaths.append(relative)
                }
                continue
            }
            do {
                let read = try fs.read(absolute, limit: options.maxFileBytes)
                if read.oversize {
                    throw FileSystemError(path: relative, operation: "read (\(read.size) bytes, over the limit)", code: EFBIG)
                }
                if conflicted.contains(relative) || Self.conflictMarkerLine(read.bytes) != nil {
                    summary.problems.append(FileProblem(path: relative, message: "\(relative): merge conflict; resolve it, then the spec syncs"))
                    pending.insert(relative)
                    continue
                }
                let blob = Repository.hashBlob(read.bytes).hex
                if let state, state.status == "present", state.blobId == blob { continue }
                let spec = MainSpec.parse(read.bytes, path: relative)
                try writer.upsertMainSpec(projectId: project.id, MainSpecValues(
                    capability: capability, path: relative, title: spec.title, purpose: spec.purpose,
                    requirementCount: spec.requirements.count, blobId: blob, size: read.size,
                    isUTF8: String(validating: read.bytes, as: UTF8.self) != nil, content: Data(read.bytes),
                    issuesJSON: Self.issuesJSON(spec.issues), syncError: nil), at: now)
                summary.mainSpecsChanged += 1
                changedPaths.append(relative)
            } catch {
                summary.problems.append(FileProblem(path: relative, message: "\(relative): \(error)"))
                pending.insert(relative)
            }
        }
    }

    // MARK: Bookkeeping

    private mutating func record(_ change: ReconcileChange) throws {
        summary.changes.append(change)
        changedPaths.append(contentsOf: change.files)
        try writer.insertHistory(HistoryValues(
            projectId: project.id, specId: change.specId, runId: runId, direction: .filesystemToDatabase,
            syncedAt: now, success: change.error == nil, errorMessage: change.error, filesChanged: change.files,
            triggeredBy: options.trigger, action: change.action, fromCommit: fromCommit, toCommit: toCommit,
            durationMs: nil))
    }

    private mutating func finish() throws {
        summary.durationMs = Int(Date().timeIntervalSince(started) * 1000)
        let error = summary.problems.isEmpty ? nil
            : "\(summary.problems.count) file(s) could not be synced: " + summary.problems.prefix(3).map(\.message).joined(separator: "; ")
        // The run's own row: "no changes" when nothing moved, so every run is logged.
        let action = summary.changedCount + summary.mainSpecsChanged + summary.failed == 0 ? "unchanged" : "run"
        try writer.insertHistory(HistoryValues(
            projectId: project.id, specId: nil, runId: runId, direction: .filesystemToDatabase, syncedAt: now,
            success: error == nil, errorMessage: error, filesChanged: Array(changedPaths.prefix(1000)),
            triggeredBy: options.trigger, action: action, fromCommit: fromCommit, toCommit: toCommit,
            durationMs: summary.durationMs))
        try writer.finishReconcile(projectId: project.id, commit: toCommit, pendingPaths: Array(pending),
                                   at: now, error: error)
    }

    // MARK: Columns as JSON

    static func tasksJSON(_ tasks: TaskList?) -> String {
        guard let tasks else { return "[]" }
        return JSONText.array(tasks.tasks.map { task in
            JSONText.object([
                ("line", String(task.line)), ("marker", JSONText.string(task.marker)),
                ("done", task.isDone ? "true" : "false"), ("number", JSONText.optional(task.number)),
                ("text", JSONText.string(task.text)), ("indent", String(task.indent)),
                ("group", JSONText.optional(task.group)),
            ])
        })
    }

    static func issuesJSON(_ issues: [ValidationIssue]) -> String {
        JSONText.array(issues.map { issue in
            JSONText.object([
                ("level", JSONText.string(issue.level.rawValue)), ("path", JSONText.string(issue.path)),
                ("message", JSONText.string(issue.message)), ("line", JSONText.optional(issue.line)),
            ])
        })
    }
}
