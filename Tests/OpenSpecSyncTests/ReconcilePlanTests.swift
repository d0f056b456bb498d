import Testing
@testable import OpenSpecSync

/// The plan is made from plain values: no repository, no database.
@Suite("Reconcile plan: full or incremental, and why")
struct ReconcilePlanTests {
    static let synced = String(repeating: "a", count: 40)
    static let later = String(repeating: "b", count: 40)

    /// A project synced at `synced`, with its stat cache, HEAD at `later`.
    static func facts(_ change: (inout ReconcilePlan.Facts) -> Void = { _ in }) -> ReconcilePlan.Facts {
        var facts = ReconcilePlan.Facts(reconciledOnce: true, lastCommit: synced, pendingPaths: ["changes/x/tasks.md"],
                                        hasStatCache: true, head: later)
        change(&facts)
        return facts
    }

    @Test("after a commit, with the stamps of the last run: incremental from the last synced commit")
    func incrementalAfterCommit() {
        #expect(ReconcilePlan(Self.facts()) == .incremental(IncrementalPlan(
            base: Self.synced, headMoved: true, pending: ["changes/x/tasks.md"])))
        // The base, once looked up and found, changes nothing.
        #expect(ReconcilePlan(Self.facts { $0.baseExists = true }) == ReconcilePlan(Self.facts()))
    }

    @Test("HEAD where the last run left it: incremental, no diff, no base to look up")
    func incrementalHeadUnmoved() {
        let facts = Self.facts { $0.head = Self.synced }
        #expect(facts.baseToVerify == nil)
        #expect(ReconcilePlan(facts) == .incremental(IncrementalPlan(
            base: Self.synced, headMoved: false, pending: ["changes/x/tasks.md"])))
    }

    @Test("a project never synced: full, as a first sync, even when --full is asked too")
    func firstSync() {
        let never = Self.facts { $0.reconciledOnce = false; $0.lastCommit = nil; $0.hasStatCache = false }
        #expect(ReconcilePlan(never) == .full(.firstSync))
        #expect(ReconcilePlan(Self.facts { $0.reconciledOnce = false; $0.askedFull = true }) == .full(.firstSync))
        #expect(never.baseToVerify == nil)
        #expect(FullReason.firstSync.description == "first sync of this project")
    }

    @Test("--full: full as asked, whatever the cache and the base")
    func asked() {
        let facts = Self.facts { $0.askedFull = true; $0.hasStatCache = false; $0.baseExists = false }
        #expect(ReconcilePlan(facts) == .full(.asked))
        #expect(facts.baseToVerify == nil, "no base is looked up for a full compare asked for")
        #expect(FullReason.asked.description == "asked for (--full)")
    }

    @Test("no stat cache from the last run: full")
    func noStatCache() {
        #expect(ReconcilePlan(Self.facts { $0.hasStatCache = false }) == .full(.noStatCache))
        #expect(FullReason.noStatCache.description == "no record of the working tree from the last run; compared everything")
    }

    @Test("the last synced commit is gone: full, named over a missing stat cache")
    func baseGone() {
        let gone = Self.facts { $0.baseExists = false }
        #expect(gone.baseToVerify == Self.synced)
        #expect(ReconcilePlan(gone) == .full(.baseGone(commit: Self.synced)))
        #expect(ReconcilePlan(Self.facts { $0.baseExists = false; $0.hasStatCache = false }) == .full(.baseGone(commit: Self.synced)))
        #expect(FullReason.baseGone(commit: Self.synced).description
            == "the last synced commit aaaaaaaaaaaa is gone (rebase or reset); compared everything")
        // HEAD unmoved: the base is HEAD, and is not looked up.
        #expect(ReconcilePlan(Self.facts { $0.head = Self.synced; $0.baseExists = false }).isFull == false)
    }

    @Test("a diff git could not make: the reason names the base, or the empty tree")
    func diffFailed() {
        #expect(FullReason.diffFailed(base: Self.synced, error: "object not found").description
            == "git could not diff aaaaaaaaaaaa to HEAD (object not found); compared everything")
        #expect(FullReason.diffFailed(base: nil, error: "corrupt").description
            == "git could not diff the empty tree to HEAD (corrupt); compared everything")
        #expect(ReconcilePlan.full(.diffFailed(base: nil, error: "corrupt")).fullReason == .diffFailed(base: nil, error: "corrupt"))
    }

    @Test("synced at an unborn HEAD, HEAD still unborn: incremental from the empty tree")
    func unbornHead() {
        let facts = Self.facts { $0.lastCommit = nil; $0.head = nil }
        #expect(facts.baseToVerify == nil)
        #expect(ReconcilePlan(facts) == .incremental(IncrementalPlan(base: nil, headMoved: false, pending: ["changes/x/tasks.md"])))
    }
}
