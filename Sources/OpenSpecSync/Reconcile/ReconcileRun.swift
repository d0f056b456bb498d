import Foundation
import OpenSpecFormat
import OpenSpecGit
import OpenSpecStore

/// The state of one reconcile while it runs: it reads the facts, makes the
/// `ReconcilePlan`, then applies it step by step (the steps live in the
/// `ReconcileRun+*.swift` files).
struct ReconcileRun {
    let reconciler: Reconciler
    let writer: any StoreTransaction
    let project: ProjectRecord
    let options: ReconcileOptions
    let started: Date
    let progress: Reconciler.Progress?
    let now = Date()
    let runId: String
    /// The row that marked this run's start, if one was written.
    let startMark: Int64?
    var summary: ReconcileSummary
    /// What the run does; made from `facts`, which grow as the run learns them.
    var plan = ReconcilePlan.full(.firstSync)
    var facts = ReconcilePlan.Facts(reconciledOnce: false, hasStatCache: false)
    var head: ObjectID?
    var gitDir = ""
    /// The stat cache the last run saved (only its header for a hook's run until a walk needs the rest).
    var cached: StatCache?
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

    /// The repository, opened on first use: a run where HEAD has not moved
    /// and the index has not changed never starts libgit2 at all.
    private var repository: Repository?
    var lookahead: CommitLookahead?

    init(reconciler: Reconciler, writer: any StoreTransaction, project: ProjectRecord, options: ReconcileOptions,
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
                                   runId: runId, mode: .incremental)
        recheck = Set(options.recheck)
    }

    var openspecRoot: String { project.repoPath + "/" + project.openspecPath }

    /// Strips "openspec/" from a repository-relative path; nil outside it.
    func openspecRelative(_ repoPath: String) -> String? {
        let prefix = project.openspecPath + "/"
        guard repoPath.hasPrefix(prefix) else { return nil }
        return String(repoPath.dropFirst(prefix.count))
    }

    mutating func repo() throws -> Repository {
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

    /// The run: the plan from what is known before the walk, settled once
    /// the base commit and git's diff have answered, then applied.
    mutating func execute() throws -> ReconcileSummary {
        try readHead()
        try loadStatCache()
        facts = ReconcilePlan.Facts(project: project, askedFull: options.full, statCache: cached, head: toCommit)
        plan = ReconcilePlan(facts)
        // A git hook needs only what the commits changed: uncommitted edits
        // are the watcher's and the scan loop's. No walk then, and the stamps
        // stay as they were (a stamp left stale only costs a re-read later).
        // Any other run walks whatever the base says, so it asks git after
        // the walk, while the lookahead reads the commits on the other core.
        if options.committedOnly { try verifyBase() }
        if options.workLimit != nil, let reason = plan.fullReason { throw SyncError.tooMuchWork(.fullCompare(reason: reason.description)) }
        let current = try walkAsPlanned()
        if !options.committedOnly { try verifyBase() }
        pending.formUnion(conflicted)
        let candidates = try gatherCandidates(current: current)
        if plan.isFull && !walked {
            // The diff failed in a hook's run: compare everything after all.
            walked = true
            try loadWholeCache()
            _ = try walkWorkingTree()
            pending.formUnion(conflicted)
        }
        summary.mode = plan.isFull ? .full : .incremental
        summary.fullReason = plan.fullReason?.description
        try applyPlan(candidates: candidates)
        timer.report()
        return summary
    }

    /// The application: the change folders, the stamps read with them, the main specs, the bookkeeping.
    private mutating func applyPlan(candidates: Set<String>) throws {
        let selection = try selectFolders(candidates: candidates)
        try syncChanges(folders: selection.folders, listed: selection.listed)
        if stampsFromReads {
            timer.measure("stamps of changes") {
                var records = changeStamps(read: readStamps)
                records.append(contentsOf: specsRecords)
                newStatCache.buckets = StatCache.split(records, takenAt: walkStarted)
            }
        }
        try timer.measure("main specs") { try syncMainSpecs(selection.capabilities) }
        try timer.measure("finish") { try finish() }
    }
}
