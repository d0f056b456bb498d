import Foundation
import OpenSpecFormat
import OpenSpecGit
import OpenSpecStore

/// The steps that gather the facts of the plan: HEAD, the stat cache, the
/// base commit, and the paths git and the stamps point at.
extension ReconcileRun {
    /// HEAD, read from the files when that is unambiguous; libgit2 otherwise.
    /// After a commit, the diff starts on another core at once.
    mutating func readHead() throws {
        let peeked = Repository.peekHead(workdir: project.repoPath)
        head = try peeked ?? repo().headCommit()
        gitDir = peeked != nil ? project.repoPath + "/.git" : try repo().gitDir
        toCommit = head?.hex
        fromCommit = project.lastReconciledCommit
        summary.fromCommit = fromCommit
        summary.toCommit = toCommit
        if peeked != nil, toCommit != fromCommit, !options.full, project.reconciledOnce,
            let base = project.lastReconciledCommit.flatMap({ ObjectID(hex: $0) }) {
            lookahead = CommitLookahead(repoPath: project.repoPath, base: base, head: head, under: project.openspecPath)
        }
    }

    /// A git hook's run does not walk, so it needs only the cache's header
    /// (the index's stamp and unmerged paths), not 512 buckets.
    private var headerOnly: Bool { options.committedOnly && !options.full }

    /// The working tree as lstat saw it at the last run: only files whose
    /// stamp moved since are read again, and whether they changed is decided by blob id.
    mutating func loadStatCache() throws {
        let headerOnly = headerOnly
        cached = try timer.measure("load stat cache") {
            StatCache.decode(rows: try writer.statCacheRows(projectId: project.id, headerOnly: headerOnly))
        }
        previousBuckets = Set(cached?.buckets.keys ?? [:].keys)
    }

    /// Before any walk, the whole cache: the walk compares with every bucket.
    mutating func loadWholeCache() throws {
        guard headerOnly else { return }
        cached = StatCache.decode(rows: try writer.statCacheRows(projectId: project.id))
        previousBuckets = Set(cached?.buckets.keys ?? [:].keys)
    }

    /// A rebased-away or reset-away base commit means a full compare.
    mutating func verifyBase() throws {
        guard let base = facts.baseToVerify else { return }
        facts.baseExists = try baseExists(base)
        plan = ReconcilePlan(facts)
    }

    private mutating func baseExists(_ last: String) throws -> Bool {
        guard let id = ObjectID(hex: last) else { return false }
        let repository = try repo()
        return lookahead?.baseExists ?? repository.commitExists(id)
    }

    /// Walks the working tree unless the run only follows commits; returns the stamps taken.
    mutating func walkAsPlanned() throws -> [Int: StatCache.Bucket] {
        walked = plan.isFull || !options.committedOnly
        guard walked else {
            if let cached { conflicted = Set(cached.conflicted) }
            return [:]
        }
        try loadWholeCache()
        stampsFromReads = plan.isFull
        return try walkWorkingTree()
    }

    /// The openspec-relative paths an incremental run looks at: what the new
    /// commits changed, whose stamps moved, what the last run left pending,
    /// what is conflicted. A diff git cannot make turns the plan full.
    mutating func gatherCandidates(current: [Int: StatCache.Bucket]) throws -> Set<String> {
        guard case let .incremental(incremental) = plan, let cached else { return [] }
        var candidates = Set<String>()
        do {
            candidates = try committedChanges(incremental)
        } catch {
            plan = .full(.diffFailed(base: incremental.base, error: "\(error)"))
        }
        if let limit = options.workLimit, plan.isFull || candidates.count > limit {
            throw SyncError.tooMuchWork(.changedPaths(candidates.count))
        }
        if walked {
            let (moved, buckets) = timer.measure("compare stamps") { cached.changes(comparedWith: current) }
            changedBuckets = buckets
            candidates.formUnion(moved)
        }
        candidates.formUnion(incremental.pending)
        candidates.formUnion(conflicted)
        schemasChanged = candidates.contains(where: SchemaTable.affectsSchemas)
        if options.workLimit != nil && schemasChanged {
            throw SyncError.tooMuchWork(.schemasChanged)
        }
        return candidates
    }

    /// What the commits since the last run changed, by tree id (nothing when HEAD has not moved).
    private mutating func committedChanges(_ incremental: IncrementalPlan) throws -> Set<String> {
        guard incremental.headMoved else { return [] }
        let repository = try repo()
        let changes: [PathChange]
        if let done = lookahead?.changes {
            changes = try done.get()
        } else {
            let (base, head, prefix) = (incremental.base.flatMap { ObjectID(hex: $0) }, head, project.openspecPath)
            changes = try timer.measure("tree-to-tree diff") { try repository.diff(from: base, to: head, under: prefix) }
        }
        var paths = Set<String>()
        for change in changes {
            for path in [change.oldPath, change.newPath].compactMap({ $0 }) {
                if let relative = openspecRelative(path) { paths.insert(relative) }
            }
        }
        return paths
    }
}
