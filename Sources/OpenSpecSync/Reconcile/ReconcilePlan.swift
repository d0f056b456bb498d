import OpenSpecStore

/// What an incremental run starts from.
struct IncrementalPlan: Equatable, Sendable {
    /// The commit to diff from (nil: the empty tree).
    var base: String?
    /// HEAD is not where the last run left it: the commits between are diffed.
    var headMoved: Bool
    /// Paths the last run left to look at again.
    var pending: [String]
}

/// A reconcile is a plan and its application: compare everything, or
/// follow what git, the stamps and the last run's leftovers point at.
/// The plan is made from plain values, read before anything is compared;
/// `ReconcileRun` applies it.
enum ReconcilePlan: Equatable, Sendable {
    case full(FullReason)
    case incremental(IncrementalPlan)

    /// The facts a plan is made from.
    struct Facts: Equatable, Sendable {
        var askedFull = false
        /// Whether the project was ever synced, and the commit it was last synced at.
        var reconciledOnce: Bool
        var lastCommit: String?
        var pendingPaths: [String] = []
        /// Whether the last run's stamps of the working tree are there to compare with.
        var hasStatCache: Bool
        /// HEAD's commit (nil: unborn).
        var head: String?
        /// Whether `lastCommit` still exists; nil while not looked up,
        /// taken as yes. Only `baseToVerify` needs looking up.
        var baseExists: Bool?

        var headMoved: Bool { head != lastCommit }

        /// The facts as the project's row, the stat cache and HEAD's commit give them.
        init(project: ProjectRecord, askedFull: Bool, statCache: StatCache?, head: String?) {
            self.init(askedFull: askedFull, reconciledOnce: project.reconciledOnce, lastCommit: project.lastReconciledCommit,
                      pendingPaths: project.pendingPathList, hasStatCache: statCache != nil, head: head)
        }

        init(askedFull: Bool = false, reconciledOnce: Bool, lastCommit: String? = nil, pendingPaths: [String] = [],
             hasStatCache: Bool, head: String? = nil, baseExists: Bool? = nil) {
            self.askedFull = askedFull; self.reconciledOnce = reconciledOnce; self.lastCommit = lastCommit
            self.pendingPaths = pendingPaths; self.hasStatCache = hasStatCache; self.head = head; self.baseExists = baseExists
        }

        /// The last synced commit when whether it still exists decides the plan.
        var baseToVerify: String? {
            guard !askedFull, reconciledOnce, headMoved else { return nil }
            return lastCommit
        }
    }

    /// The plan for `facts`. A first sync is named over `--full`; a vanished
    /// base over a missing stat cache.
    init(_ facts: Facts) {
        if !facts.reconciledOnce { self = .full(.firstSync); return }
        if facts.askedFull { self = .full(.asked); return }
        if let base = facts.baseToVerify, facts.baseExists == false { self = .full(.baseGone(commit: base)); return }
        if !facts.hasStatCache { self = .full(.noStatCache); return }
        self = .incremental(IncrementalPlan(base: facts.lastCommit, headMoved: facts.headMoved, pending: facts.pendingPaths))
    }

    var isFull: Bool {
        if case .full = self { return true }
        return false
    }

    var fullReason: FullReason? {
        if case let .full(reason) = self { return reason }
        return nil
    }
}
