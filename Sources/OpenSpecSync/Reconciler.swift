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
    /// Change folders to read and compare whatever the stat cache says (the
    /// scan loop's re-check); each is marked verified when found in step.
    public var recheck: [String]
    /// Only what the commits since the last sync changed, without walking the
    /// working tree: what a git hook needs.
    public var committedOnly = false
    /// Give up before touching anything (throwing `SyncError.tooMuchWork`)
    /// when the commits since the last sync touched more paths than this, or
    /// everything must be compared: a hook then hands the work to the background.
    public var workLimit: Int?

    public init(full: Bool = false, trigger: String = SyncTrigger.manual.rawValue,
                maxFileBytes: Int = 8 << 20, recheck: [String] = []) {
        self.full = full; self.trigger = trigger; self.maxFileBytes = maxFileBytes
        self.recheck = recheck
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
    /// The first `listLimit` changes; `changesOmitted` counts the rest.
    public var changes: [ReconcileChange] = []
    public var changesOmitted = 0
    public var problems: [FileProblem] = []
    public var durationMs = 0

    public var changedCount: Int { created + updated + archived + unarchived + removed + restored }
    public static let listLimit = 1000
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
        let runId = UUID().uuidString.lowercased()
        // Committed on its own before the run's transaction, so subscribers in
        // any process see the sync begin; the run's summary row (same runId) ends it.
        let start = try? store.write { writer -> (row: Int64, firstImport: Bool)? in
            guard let project = try writer.project(id: projectId) else { return nil }
            let row = try writer.insertHistory(HistoryValues(
                projectId: projectId, specId: nil, runId: runId, direction: .filesystemToDatabase, syncedAt: started,
                success: true, errorMessage: nil, filesChanged: [], triggeredBy: options.trigger,
                action: HistoryRecord.startedAction, fromCommit: nil, toCommit: nil, durationMs: nil))
            return (row, !project.reconciledOnce)
        }
        let startRow = start?.row
        do {
            // The whole run, git diff included, happens under the database's
            // write lock: two runs for one project can never interleave.
            // A first import writes nearly every page it touches anew.
            let firstImport = start?.firstImport ?? false
            return try (firstImport ? store.bulkWrite : store.write) { writer in
                guard let project = try writer.project(id: projectId) else {
                    throw SyncError.unknownProject(projectId)
                }
                var run = Run(reconciler: self, writer: writer, project: project, options: options,
                              started: started, runId: runId, startMark: startRow, progress: progress)
                let result = try run.execute()
                Trace.mark("run done")
                return result
            }
        } catch SyncError.tooMuchWork(let reason) {
            // A hand-off to the background, not a failure: nothing ran here, and
            // the background run logs its own start and end.
            if let startRow { try? store.write { try $0.deleteHistory(id: startRow) } }
            throw SyncError.tooMuchWork(reason)
        } catch {
            // Leave a trace of a run that could not happen at all.
            try? store.write { writer in
                try writer.recordProjectError(projectId: projectId, error: "\(error)")
                if try writer.project(id: projectId) != nil {
                    try writer.insertRunSummary(HistoryValues(
                        projectId: projectId, specId: nil, runId: runId,
                        direction: .filesystemToDatabase, syncedAt: Date(), success: false,
                        errorMessage: "\(error)", filesChanged: [], triggeredBy: options.trigger,
                        action: "failed", fromCommit: nil, toCommit: nil,
                        durationMs: Int(Date().timeIntervalSince(started) * 1000)), startMark: startRow)
                }
            }
            throw error
        }
    }
}

/// What the commits since the last run changed, read by libgit2 on another
/// core while the reconciling thread loads the stat cache and walks the
/// working tree: after a commit, opening the repository and diffing two
/// trees is a sixth of a run. The caller takes the repository over after
/// `wait()`; until then only the worker touches it.
private final class CommitLookahead: @unchecked Sendable {
    private let done = DispatchGroup()
    private(set) var repository: Result<Repository, Error> = .failure(CancellationError())
    /// Whether the base commit still exists; nil when the repository did not open.
    private(set) var baseExists: Bool?
    /// The diff, when the base exists.
    private(set) var changes: Result<[PathChange], Error>?

    init(repoPath: String, base: ObjectID, head: ObjectID?, under prefix: String) {
        done.enter()
        DispatchQueue.global().async { [self] in
            defer { done.leave() }
            repository = Result { try Repository(path: repoPath) }
            guard case let .success(opened) = repository else { return }
            baseExists = opened.commitExists(base)
            if baseExists == true { changes = Result { try opened.diff(from: base, to: head, under: prefix) } }
        }
    }

    func wait() { done.wait() }
}

/// A value computed on another core; `value()` waits for it.
private final class Background<T>: @unchecked Sendable {
    private let done = DispatchGroup()
    private var result: T?

    init(_ work: @escaping @Sendable () -> T) {
        done.enter()
        DispatchQueue.global().async { [self] in
            result = work()
            done.leave()
        }
    }

    func value() -> T {
        done.wait()
        return result!
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
    let runId: String
    /// The row that marked this run's start, if one was written.
    let startMark: Int64?
    var summary: ReconcileSummary
    /// openspec-relative paths to look at again next time.
    var pending = Set<String>()
    /// openspec-relative paths with unmerged index entries.
    var conflicted = Set<String>()
    var changedPaths: [String] = []
    /// The stamps taken at the start of this run, saved at its end.
    var newStatCache = StatCache(index: nil, indexTakenAt: 0, conflicted: [], buckets: [:])
    /// Buckets of the stat cache stored before this run, and those to save again.
    var previousBuckets = Set<Int>()
    var changedBuckets: Set<Int>?
    var indexMoved = true
    /// The index was read for unmerged entries this run (it moved, or was too new to trust).
    var indexReread = false
    /// Whether this run walked the working tree (and so may save stamps).
    var walked = true
    /// A full compare reads every change folder, so the stamps of `changes/`
    /// come from those reads (each taken before its read), not from a walk
    /// before them: the folder's records, nil for one a stamp is missing from.
    var stampsFromReads = false
    var readStamps: [String: StampRecords?] = [:]
    /// With `stampsFromReads`: the walk's records of `specs/`, and when it began.
    var specsRecords = StampRecords()
    var walkStarted: Int64 = 0
    let recheck: Set<String>
    /// Paths left out on purpose, by the folder that was looked at this run
    /// (an empty list clears what an earlier run found there); with
    /// `skippedComplete` (a full compare) they replace every group.
    var skipped: [String: [SkippedPath]] = [:]
    var skippedComplete = false
    var fromCommit: String?
    var toCommit: String?
    /// The project's config or a schema file is among what changed.
    var schemasChanged = false

    var fs: FileSystem { reconciler.fileSystem }
    let timer = PhaseTimer()

    init(reconciler: Reconciler, writer: StoreWriter, project: ProjectRecord, options: ReconcileOptions,
         started: Date, runId: String, startMark: Int64?, progress: Reconciler.Progress?) {
        self.reconciler = reconciler
        self.runId = runId
        self.startMark = startMark
        self.writer = writer
        self.project = project
        self.options = options
        self.started = started
        self.progress = progress
        summary = ReconcileSummary(projectId: project.id, projectName: project.name,
                                   runId: runId, mode: "incremental")
        recheck = Set(options.recheck)
    }

    var openspecRoot: String { project.repoPath + "/" + project.openspecPath }

    /// Strips "openspec/" from a repository-relative path; nil outside it.
    func openspecRelative(_ repoPath: String) -> String? {
        let prefix = project.openspecPath + "/"
        guard repoPath.hasPrefix(prefix) else { return nil }
        return String(repoPath.dropFirst(prefix.count))
    }

    /// The repository, opened on first use: a run where HEAD has not moved
    /// and the index has not changed never starts libgit2 at all.
    private var repository: Repository?

    private var lookahead: CommitLookahead?

    private mutating func repo() throws -> Repository {
        if let repository { return repository }
        if let lookahead {
            // Opened on the other core; its error is the one a direct open would give.
            timer.measure("wait for commit diff") { lookahead.wait() }
            do {
                let opened = try lookahead.repository.get()
                repository = opened
                return opened
            } catch {
                throw SyncError.notARepository(path: project.repoPath, cause: error as? GitError)
            }
        }
        do {
            let opened = try timer.measure("open repository") { try Repository(path: project.repoPath) }
            repository = opened
            return opened
        } catch {
            throw SyncError.notARepository(path: project.repoPath, cause: error as? GitError)
        }
    }

    mutating func execute() throws -> ReconcileSummary {
        // HEAD read from the files when that is unambiguous; libgit2 otherwise.
        let peeked = Repository.peekHead(workdir: project.repoPath)
        let head = try peeked ?? repo().headCommit()
        let headUnmoved = peeked != nil && peeked?.hex == project.lastReconciledCommit
        let gitDir = peeked != nil ? project.repoPath + "/.git" : try repo().gitDir
        toCommit = head?.hex
        fromCommit = project.lastReconciledCommit
        if peeked != nil, !headUnmoved, !options.full, project.reconciledOnce,
            let base = project.lastReconciledCommit.flatMap({ ObjectID(hex: $0) }) {
            lookahead = CommitLookahead(repoPath: project.repoPath, base: base, head: head, under: project.openspecPath)
        }
        summary.fromCommit = fromCommit
        summary.toCommit = toCommit

        // The working tree as lstat sees it now, compared with the stamps the
        // last run recorded: only files whose stamp moved are read again,
        // and whether they changed is decided by blob id.
        // A git hook's run does not walk, so it needs only the cache's
        // header (the index's stamp and unmerged paths), not 512 buckets.
        let headerOnly = options.committedOnly && !options.full
        var cached = try timer.measure("load stat cache") {
            StatCache.decode(rows: try writer.statCacheRows(projectId: project.id, headerOnly: headerOnly))
        }
        // Before any walk, the whole cache: the walk compares with every bucket.
        func loadWholeCache() throws {
            guard headerOnly else { return }
            cached = StatCache.decode(rows: try writer.statCacheRows(projectId: project.id))
            previousBuckets = Set(cached?.buckets.keys ?? [:].keys)
        }
        previousBuckets = Set(cached?.buckets.keys ?? [:].keys)
        var full = options.full || !project.reconciledOnce
        if options.full { summary.fullReason = "asked for (--full)" }
        if !project.reconciledOnce { summary.fullReason = "first sync of this project" }
        func baseExists(_ last: String) throws -> Bool {
            guard let id = ObjectID(hex: last) else { return false }
            let repository = try repo()
            return lookahead?.baseExists ?? repository.commitExists(id)
        }
        // A rebased-away or reset-away base commit means a full compare. It
        // takes precedence over a missing cache as the reason given.
        func checkBase() throws {
            if !options.full, project.reconciledOnce, !headUnmoved, let last = project.lastReconciledCommit,
                !(try baseExists(last)) {
                full = true
                summary.fullReason = "the last synced commit \(last.prefix(12)) is gone (rebase or reset); compared everything"
            }
        }
        if !full && cached == nil {
            full = true
            summary.fullReason = "no record of the working tree from the last run; compared everything"
        }
        // A git hook needs only what the commits changed: uncommitted edits
        // are the watcher's and the scan loop's. No walk then, and the stamps
        // stay as they were (a stamp left stale only costs a re-read later).
        // Any other run walks whatever the base says, so it asks git after
        // the walk, while the lookahead reads the commits on the other core.
        if options.committedOnly { try checkBase() }
        if options.workLimit != nil && full { throw SyncError.tooMuchWork(.fullCompare(reason: summary.fullReason)) }
        walked = full || !options.committedOnly
        var current: [Int: StatCache.Bucket] = [:]
        if walked {
            try loadWholeCache()
            stampsFromReads = full
            current = try walkWorkingTree(cached: cached, gitDir: gitDir)
        } else if let cached {
            conflicted = Set(cached.conflicted)
        }
        if !options.committedOnly { try checkBase() }
        pending.formUnion(conflicted)

        var candidates = Set<String>()
        if !full, let cached {
            // What the commits since the last run changed, by tree id (nothing
            // when HEAD has not moved).
            let base = project.lastReconciledCommit.flatMap { ObjectID(hex: $0) }
            do {
                var changes: [PathChange] = []
                if !headUnmoved {
                    let repository = try repo()
                    if let done = lookahead?.changes {
                        changes = try done.get()
                    } else {
                        let prefix = project.openspecPath
                        changes = try timer.measure("tree-to-tree diff") { try repository.diff(from: base, to: head, under: prefix) }
                    }
                }
                for change in changes {
                    for path in [change.oldPath, change.newPath].compactMap({ $0 }) {
                        if let relative = openspecRelative(path) { candidates.insert(relative) }
                    }
                }
            } catch {
                full = true
                summary.fullReason = "git could not diff \(last(fromCommit)) to HEAD (\(error)); compared everything"
            }
            if let limit = options.workLimit, full || candidates.count > limit {
                throw SyncError.tooMuchWork(.changedPaths(candidates.count))
            }
            if walked {
                let (moved, buckets) = timer.measure("compare stamps") { cached.changes(comparedWith: current) }
                changedBuckets = buckets
                candidates.formUnion(moved)
            }
            candidates.formUnion(project.pendingPathList)
            candidates.formUnion(conflicted)
            schemasChanged = candidates.contains(where: SchemaTable.affectsSchemas)
            if options.workLimit != nil && schemasChanged {
                throw SyncError.tooMuchWork(.schemasChanged)
            }
        }
        if full && !walked {
            // The diff failed in a hook's run: compare everything after all.
            walked = true
            try loadWholeCache()
            _ = try walkWorkingTree(cached: cached, gitDir: gitDir)
            pending.formUnion(conflicted)
        }
        summary.mode = full ? "full" : "incremental"

        var folders = Set<String>()
        var capabilities = Set<String>()
        var listed: Set<String>? = nil
        if full {
            listed = try timer.measure("discover folders") { try collectAllFolders(into: &folders, capabilities: &capabilities) }
        } else {
            folders.formUnion(options.recheck)
            // Another config or schema can move any change's tasks.
            if schemasChanged { folders.formUnion(try writer.allSpecs(projectId: project.id).filter { $0.status != .removed }.map(\.path)) }
            for path in candidates {
                switch OpenSpecPath.classify(path) {
                case let .changeFile(folder, _): folders.insert(folder)
                case let .mainSpec(capability): capabilities.insert(capability)
                case .other: break
                }
            }
            // Git's diff shows no submodule (it has no files here): after a
            // commit, the submodules last seen are looked at again.
            if !headUnmoved {
                for path in SkippedPaths.decode(try writer.skippedPaths(projectId: project.id)).all where path.reason == .submodule {
                    folders.insert(path.path)
                }
            }
        }

        try syncChanges(folders: folders, full: full, listed: listed)
        if stampsFromReads {
            timer.measure("stamps of changes") {
                var records = changeStamps(read: readStamps)
                records.append(contentsOf: specsRecords)
                newStatCache.buckets = StatCache.split(records, takenAt: walkStarted)
            }
        }
        try timer.measure("main specs") { try syncMainSpecs(capabilities, full: full) }
        try timer.measure("finish") { try finish() }
        timer.report()
        return summary
    }

    /// Stamps the working tree and notes the index's unmerged entries (a
    /// conflicted merge, rebase or stash pop), read from the index only when
    /// the index file itself changed or is too new to trust; the stamps and
    /// the index's own stamp become the stat cache this run saves.
    private mutating func walkWorkingTree(cached: StatCache?, gitDir: String) throws -> [Int: StatCache.Bucket] {
        let walkStarted = Int64(Date().timeIntervalSince1970 * 1_000_000_000)
        self.walkStarted = walkStarted
        // After a commit the index has moved and must be scanned for
        // unmerged entries: that runs on another core during the walk.
        let indexStamp = fs.stamp(of: gitDir + "/index")
        let indexTrusted = cached.map { cached in indexStamp.map { cached.index == $0 && !cached.isRacyIndex($0) } ?? false } ?? false
        let openspecPath = project.openspecPath
        let indexScan = indexTrusted ? nil : Background { Repository.scanConflictedPaths(indexPath: gitDir + "/index", under: openspecPath) }
        // A full compare lists every folder again; otherwise folders whose
        // stamp has not moved are not re-read (files in them are still stamped).
        let listings = options.full ? nil : cached.map { cache in timer.measure("folder listings") { cache.listings() } }
        let current = timer.measure("stat walk") {
            if stampsFromReads {
                specsRecords = fs.stampRecords(under: openspecRoot + "/specs", prefix: "specs/", listings: listings)
                specsRecords.append(contentsOf: schemaStamps(fs: fs, openspecRoot: openspecRoot, listings: listings))
                return StatCache.split(specsRecords, takenAt: walkStarted)
            }
            return StatCache.split(stampWorkingTree(listings: listings), takenAt: walkStarted)
        }
        if let cached, indexTrusted {
            conflicted = Set(cached.conflicted)
        } else {
            indexReread = true
            conflicted = []
            let scanned = timer.measure("index conflicts") { indexScan?.value() ?? nil }
            // A layout the scan does not read (a split index, say): libgit2 decides.
            let paths = scanned ?? (try? timer.measure("index conflicts (libgit2)") {
                try repo().conflictedPaths(under: project.openspecPath)
            }) ?? []
            for path in paths {
                if let relative = openspecRelative(path) { conflicted.insert(relative) }
            }
        }
        newStatCache = StatCache(index: indexStamp, indexTakenAt: walkStarted, conflicted: conflicted.sorted(), buckets: current)
        indexMoved = cached?.index != indexStamp
        return current
    }

    /// Stamps of everything the reconciler reads: change folders and main specs.
    private func stampWorkingTree(listings: FolderListings?) -> StampRecords {
        var records = fs.stampRecords(under: openspecRoot + "/changes", prefix: "changes/", listings: listings)
        records.append(contentsOf: fs.stampRecords(under: openspecRoot + "/specs", prefix: "specs/", listings: listings))
        records.append(contentsOf: schemaStamps(fs: fs, openspecRoot: openspecRoot, listings: listings))
        return records
    }

    /// The records of `changes/` in the order a walk makes them, with each
    /// change folder's records from its reads (`read`). A change folder
    /// that was not read (it appeared since) or lacks a stamp gets none,
    /// and the folders above it lose theirs, so the next walk lists them
    /// and finds it. Anything else is not read by a sync, so it is stamped now.
    private func changeStamps(read: [String: StampRecords?]) -> StampRecords {
        var records = StampRecords()
        var unstamped = Set<String>()
        func add(_ path: String, kind: EntryKind) {
            if let folder = read[path] {
                if let folder { records.append(contentsOf: folder) } else { unstamped.insert(path) }
                return
            }
            if kind == .directory && ChangeFolder(path: path) != nil {
                unstamped.insert(path)
                return
            }
            guard kind != .other, let stamp = fs.stamp(of: openspecRoot + "/" + path) else { return }
            records.append(path: path, stamp)
            if stamp.isDirectory {
                records.append(contentsOf: fs.stampRecords(under: openspecRoot + "/" + path, prefix: path + "/", listings: nil))
            }
        }
        let root = openspecRoot + "/changes"
        guard let entries = try? fs.entries(of: root) else { return records }
        for entry in entries where !IgnoredNames.contains(entry.name) {
            let path = "changes/" + entry.name
            guard entry.name == "archive", entry.kind == .directory else {
                add(path, kind: entry.kind)
                continue
            }
            // As the walk: the archive's stamp, taken before it is listed, then its folders.
            // (No record for it otherwise: the next walk lists it.)
            guard let stamp = fs.stamp(of: root + "/archive"), let archived = try? fs.entries(of: root + "/archive") else {
                continue
            }
            records.append(path: path, stamp)
            for child in archived where !IgnoredNames.contains(child.name) {
                add(path + "/" + child.name, kind: child.kind)
            }
        }
        return unstamped.isEmpty ? records : records.removing(unstamped)
    }

    private func last(_ commit: String?) -> String { commit.map { String($0.prefix(12)) } ?? "the empty tree" }

    // MARK: Discovery

    /// Every change folder and main spec on disk, plus every one the database
    /// still thinks exists (so that a vanished one is noticed). Returns the
    /// change folders the listing showed as folders.
    private mutating func collectAllFolders(into folders: inout Set<String>, capabilities: inout Set<String>) throws -> Set<String> {
        let changesRoot = openspecRoot + "/changes"
        skippedComplete = true
        for scope in ["changes", "changes/archive"] { noteInvalidNames(in: scope) }
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
        let listed = folders
        for spec in try writer.allSpecs(projectId: project.id) where spec.status != .removed {
            folders.insert(spec.path)
        }
        walkSpecs(openspecRoot + "/specs", relative: "", into: &capabilities)
        for (capability, state) in try writer.mainSpecStates(projectId: project.id) where state.status == "present" {
            capabilities.insert(capability)
        }
        return listed
    }

    /// Change folders under `scope` whose names are not UTF-8: skipped, and kept to report.
    private mutating func noteInvalidNames(in scope: String) {
        skipped[scope] = fs.invalidNames(in: openspecRoot + "/" + scope)
            .filter { name in !name.withUnsafeBufferPointer { IgnoredNames.contains($0) } }
            .map { SkippedPath(path: scope + "/" + escapedName($0), reason: .nameNotUTF8) }
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

    /// `listed`: folders a listing just showed as folders (a full compare),
    /// which need no second look to know they exist.
    private mutating func syncChanges(folders: Set<String>, full: Bool, listed: Set<String>?) throws {
        guard !folders.isEmpty else { return }
        let storedByPath: [String: SpecSummary]? = full
            ? Dictionary(try writer.allSpecs(projectId: project.id).map { ($0.path, $0) }, uniquingKeysWith: { a, _ in a })
            : nil
        let storedBlobs: [String: [String: String]]? = full ? try writer.allFileBlobIds(projectId: project.id) : nil

        // Phase 1: which folders exist, which rows they belong to.
        var present: [(folder: ChangeFolder, stored: SpecSummary?)] = []
        var disappeared: [SpecSummary] = []
        let submodules = declaredSubmodules()
        try timer.measure("which folders exist") {
            for path in folders.sorted() {
                guard let folder = ChangeFolder(path: path) else { continue }
                let stored = try storedByPath.map { $0[path] } ?? writer.spec(projectId: project.id, path: path)
                if submodules.contains(path) {
                    // Another repository, checked out or not (then an empty folder): never a change.
                    skipped[path] = [SkippedPath(path: path, reason: .submodule)]
                    if let stored, stored.status != .removed { disappeared.append(stored) }
                    continue
                }
                if listed?.contains(path) == true || fs.kind(of: openspecRoot + "/" + path) == .directory {
                    present.append((folder, stored))
                    continue
                }
                skipped[path] = []
                if let stored, stored.status != .removed {
                    disappeared.append(stored)
                } else if path.contains("\u{FFFD}") {
                    // A name that is not UTF-8, decoded: list its folder for the real bytes.
                    noteInvalidNames(in: folder.isArchived ? "changes/archive" : "changes")
                }
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

        // Phase 3: read, hash and parse folders on the other cores while
        // this thread writes them in order; memory stays at a window of
        // folders however many changes there are.
        var preparer = FolderPreparer(fs: fs, openspecRoot: openspecRoot, options: options, conflicted: conflicted)
        preparer.recordsStamps = stampsFromReads
        preparer.schemas = SchemaTable.load(fs: fs, openspecRoot: openspecRoot, limit: options.maxFileBytes)
        preparer.reevaluate = schemasChanged || full
        var inputs: [PreparePipeline.Input] = []
        inputs.reserveCapacity(present.count)
        for item in present {
            let stored = item.stored ?? moves[item.folder.path]
            var previous: [String: String] = [:]
            if let stored {
                previous = try storedBlobs.map { $0[stored.id] ?? [:] } ?? writer.fileBlobIds(specId: stored.id)
            }
            inputs.append((item.folder, stored, previous))
        }
        // One folder needs no second thread.
        let pipeline = PreparePipeline(preparer: preparer, inputs: inputs, workerCount: inputs.count > 1 ? PreparePipeline.defaultWorkers : 0)
        defer { pipeline.finish() }
        for index in 0..<pipeline.count {
            let prepared = timer.measure("wait or prepare") { pipeline.take(index) }
            try timer.measure("write folders") { try apply(prepared, using: preparer) }
            progress?(index + 1, pipeline.count)
        }

        // Phase 4: folders gone without an archive are removed, history kept.
        for spec in disappeared {
            try writer.markRemoved(specId: spec.id, at: now)
            let files = try writer.fileBlobIds(specId: spec.id).keys.sorted().map { spec.path + "/" + $0 }
            try record(ReconcileChange(specId: spec.id, path: spec.path, action: "removed", files: files, error: nil))
            summary.removed += 1
        }
    }

    /// The openspec-relative paths `.gitmodules` declares as submodules.
    private func declaredSubmodules() -> Set<String> {
        guard let read = try? fs.read(project.repoPath + "/.gitmodules", limit: 1 << 20), !read.oversize else { return [] }
        var paths = Set<String>()
        for line in String(decoding: read.bytes, as: UTF8.self).split(whereSeparator: \.isNewline) {
            let parts = line.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            if parts.count == 2, parts[0] == "path", let relative = openspecRelative(parts[1]) { paths.insert(relative) }
        }
        return paths
    }

    /// Writes one prepared folder: its row, its files and a history row.
    private mutating func apply(_ prepared: PreparedFolder, using preparer: FolderPreparer) throws {
        if stampsFromReads { readStamps[prepared.folder.path] = .some(prepared.stamps) }
        summary.examined += 1
        skipped[prepared.folder.path] = prepared.skipped
        if prepared.isSubmodule {
            // Another repository: never a change, and no longer one if it was.
            if let stored = prepared.stored, stored.status != .removed {
                try writer.markRemoved(specId: stored.id, at: now)
                try record(ReconcileChange(specId: stored.id, path: stored.path, action: "removed", files: [], error: nil))
                summary.removed += 1
            }
            return
        }
        var evaluation = prepared.evaluation
        if !prepared.problems.isEmpty {
            // A file that could not be read keeps the content last synced.
            var files = prepared.files
            for problem in prepared.problems {
                pending.insert(problem.path)
                let relative = String(problem.path.dropFirst(prepared.folder.path.count + 1))
                guard files[relative] == nil, let stored = prepared.stored, let blob = prepared.previous[relative],
                      let data = try writer.fileContent(specId: stored.id, path: relative) else { continue }
                let bytes = [UInt8](data)
                files[relative] = ScannedFile(
                    values: FileValues(path: relative, blobId: blob, size: bytes.count,
                                       isUTF8: isValidUTF8(bytes), content: data, syncError: nil),
                    bytes: bytes, modifiedAt: nil)
            }
            summary.problems.append(contentsOf: prepared.problems)
            let error = prepared.problems.map(\.message).joined(separator: "; ")
            evaluation = preparer.evaluate(prepared.folder, stored: prepared.stored, previous: prepared.previous, files: files, error: error)
            guard let evaluation else { return }
            try write(prepared, evaluation, rows: FolderPreparer.fileRows(files))
            return
        }
        // After a schema change a folder is evaluated whatever its files: its row may still be in step.
        let inStep = try evaluation.map { try preparer.reevaluate && SchemaRefresh.leavesRowAsIs($0, stored: prepared.stored, writer: writer) } ?? true
        guard let evaluation, !inStep else {
            // In step already; a full compare or a re-check has verified it.
            if let stored = prepared.stored, summary.mode == "full" || recheck.contains(prepared.folder.path) {
                try writer.markVerified(specId: stored.id, at: now)
            }
            return
        }
        try write(prepared, evaluation, rows: FolderPreparer.fileRows(prepared.files))
    }

    private mutating func write(_ prepared: PreparedFolder, _ evaluation: FolderEvaluation, rows: [FileValues]) throws {
        let folder = prepared.folder
        let status = evaluation.status
        let specId: String
        let action: String
        if let stored = prepared.stored {
            specId = stored.id
            try writer.updateSpec(id: specId, evaluation.values, at: now)
            if stored.status == .removed && stored.path == folder.path { action = "restored"; summary.restored += 1 }
            else if stored.status != .archived && status == .archived { action = "archived"; summary.archived += 1 }
            else if stored.status == .archived && status == .active { action = "unarchived"; summary.unarchived += 1 }
            else if evaluation.error != nil && evaluation.changedFiles.isEmpty { action = "failed" }
            else { action = "updated"; summary.updated += 1 }
        } else {
            specId = try writer.insertSpec(projectId: project.id, evaluation.values, at: now)
            action = "created"
            summary.created += 1
        }
        if evaluation.error != nil { summary.failed += 1 }
        try writer.replaceFiles(specId: specId, files: rows, previous: prepared.previous)
        try record(ReconcileChange(specId: specId, path: folder.path, action: action,
                                   files: evaluation.changedFiles.map { folder.path + "/" + $0 }, error: evaluation.error))
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
                if conflicted.contains(relative) || FolderPreparer.conflictMarkerLine(read.bytes) != nil {
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
                    isUTF8: isValidUTF8(read.bytes), content: Data(read.bytes),
                    issuesJSON: ColumnJSON.issues(spec.issues), syncError: nil), at: now)
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
        // A 20,000-change import must not hold every change in memory.
        if summary.changes.count < ReconcileSummary.listLimit { summary.changes.append(change) } else { summary.changesOmitted += 1 }
        if changedPaths.count < ReconcileSummary.listLimit { changedPaths.append(contentsOf: change.files) }
        try writer.insertHistory(HistoryValues(
            projectId: project.id, specId: change.specId, runId: runId, direction: .filesystemToDatabase,
            syncedAt: now, success: change.error == nil, errorMessage: change.error, filesChanged: change.files,
            triggeredBy: options.trigger, action: change.action, fromCommit: fromCommit, toCommit: toCommit,
            durationMs: nil))
    }

    /// Merges what this run found skipped into the project's list.
    private func saveSkipped() throws {
        guard skippedComplete || !skipped.isEmpty else { return }
        let before = SkippedPaths.decode(try writer.skippedPaths(projectId: project.id))
        var after = skippedComplete ? SkippedPaths() : before
        for (scope, paths) in skipped { after.groups[scope] = paths.isEmpty ? nil : paths }
        if after != before { try writer.setSkippedPaths(projectId: project.id, after.encoded()) }
    }

    private mutating func finish() throws {
        // A file that failed keeps no stamp, so it is read again next time.
        var save = walked ? changedBuckets ?? previousBuckets.union(newStatCache.buckets.keys) : []
        for path in pending {
            let bucket = Array(path.utf8).withUnsafeBufferPointer { StatCache.bucket(of: $0) }
            if walked, let records = newStatCache.buckets[bucket]?.records {
                newStatCache.buckets[bucket]?.records = records.removing([path])
                save.insert(bucket)
            }
        }
        var rows: [Int: [UInt8]?] = [:]
        for bucket in save {
            rows[bucket] = newStatCache.buckets[bucket].map { StatCache.encode($0) }
        }
        // Also after a re-read of a racy index: the new walk time makes it trustworthy next run,
        // which otherwise re-reads it (and starts libgit2) on every run.
        if walked && (indexMoved || indexReread || changedBuckets == nil) { rows[-1] = newStatCache.encodedHeader() }
        if !rows.isEmpty {
            try timer.measure("save stat cache") { try writer.saveStatCacheRows(projectId: project.id, rows: rows) }
        }
        try saveSkipped()
        summary.durationMs = Int(Date().timeIntervalSince(started) * 1000)
        let error = summary.problems.isEmpty ? nil
            : "\(summary.problems.count) file(s) could not be synced: " + summary.problems.prefix(3).map(\.message).joined(separator: "; ")
        // The run's own row: "no changes" when nothing moved, so every run is
        // logged; a run of such runs shares one row that counts them.
        let action = summary.changedCount + summary.mainSpecsChanged + summary.failed == 0 ? "unchanged" : "run"
        try writer.insertRunSummary(HistoryValues(
            projectId: project.id, specId: nil, runId: runId, direction: .filesystemToDatabase, syncedAt: now,
            success: error == nil, errorMessage: error, filesChanged: Array(changedPaths.prefix(ReconcileSummary.listLimit)),
            triggeredBy: options.trigger, action: action, fromCommit: fromCommit, toCommit: toCommit,
            durationMs: summary.durationMs), startMark: startMark)
        try writer.finishReconcile(projectId: project.id, commit: toCommit, pendingPaths: Array(pending),
                                   at: now, error: error)
    }

}
