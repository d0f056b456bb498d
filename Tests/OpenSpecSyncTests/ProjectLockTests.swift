import Foundation
import OpenSpecSyncTestSupport
import Testing
@testable import OpenSpecSync

@Suite("Project lock: one reconcile at a time, no trigger lost")
struct ProjectLockTests {
    private func freshLock() throws -> ProjectLock {
        ProjectLock(databasePath: try makeTemporaryDirectory(prefix: "lock") + "/sync.sqlite", projectId: "p")
    }

    private func summary() -> ReconcileSummary {
        ReconcileSummary(projectId: "p", projectName: "p", runId: UUID().uuidString, mode: .incremental)
    }

    /// Records which runs happened, from any thread.
    final class Runs: @unchecked Sendable {
        private let lock = NSLock()
        private var own: [Bool] = []
        func add(_ ownRun: Bool) { lock.withLock { own.append(ownRun) } }
        var all: [Bool] { lock.withLock { own } }
    }

    @Test("a run that covers everything takes earlier marks: one run")
    func coveringRunTakesMarks() throws {
        let lock = try freshLock()
        lock.markDirty()  // another trigger, earlier
        let runs = Runs()
        let outcome = try lock.run(.coalesce) { own in runs.add(own); return summary() }
        #expect(runs.all == [true])
        guard case .ran = outcome else { Issue.record("expected a run"); return }
        #expect(!lock.isDirty)
    }

    @Test("a narrow run (a hook's) leaves other triggers' marks to a full run after it")
    func narrowRunLeavesMarks() throws {
        let lock = try freshLock()
        lock.markDirty()  // e.g. the watcher saw an uncommitted edit
        let runs = Runs()
        _ = try lock.run(.coalesce, ownRunCoversAll: false) { own in runs.add(own); return summary() }
        #expect(runs.all == [true, false], "the watcher's need must get a run that walks the tree")
        // Without a foreign mark, a narrow run is the only run.
        let alone = Runs()
        _ = try lock.run(.coalesce, ownRunCoversAll: false) { own in alone.add(own); return summary() }
        #expect(alone.all == [true])
    }

    @Test("a hook's mark left during a run costs no run once HEAD is synced; any other mark still does")
    func hookMarksDroppedWhenSynced() throws {
        // A hook that found the lock taken leaves its mark (here: while the holder's own run is under way).
        let lock = try freshLock()
        let runs = Runs()
        _ = try lock.run(.coalesce, ownRunCoversAll: false, commitsSynced: { true }) { own in
            if own { _ = try lock.run(.coalesce, ownRunCoversAll: false) { _ in Issue.record("the lock is held"); return nil } }
            runs.add(own)
            return summary()
        }
        #expect(runs.all == [true], "synced at HEAD: the hook's need is met")
        #expect(!lock.isMarked)

        // Not synced (HEAD moved again): the mark gets its run.
        let behind = Runs()
        _ = try lock.run(.coalesce, ownRunCoversAll: false, commitsSynced: { false }) { own in
            if own { _ = try lock.run(.coalesce, ownRunCoversAll: false) { _ in nil } }
            behind.add(own)
            return summary()
        }
        #expect(behind.all == [true, false])

        // A general mark (the watcher's) is never dropped, even with HEAD synced.
        let general = Runs()
        _ = try lock.run(.coalesce, ownRunCoversAll: false, commitsSynced: { true }) { own in
            if own { lock.markDirty() }
            general.add(own)
            return summary()
        }
        #expect(general.all == [true, false])
        #expect(!lock.isMarked)
    }

    @Test("a trigger during a run hands off, and the holder runs once more for it")
    func handOff() throws {
        let lock = try freshLock()
        let runs = Runs()
        let started = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        let holder = Thread {
            _ = try? lock.run(.coalesce) { own in
                runs.add(own)
                if own { started.signal(); release.wait() }
                return summary()
            }
        }
        holder.start()
        started.wait()
        // Five triggers while the holder runs: all hand off at once.
        for _ in 0..<5 {
            let outcome = try lock.run(.coalesce) { _ in Issue.record("must not run while held"); return summary() }
            guard case .handedOff = outcome else { Issue.record("expected a hand-off"); return }
        }
        release.signal()
        let deadline = Date().addingTimeInterval(5)
        while runs.all.count < 2 && Date() < deadline { usleep(10_000) }
        usleep(100_000)
        #expect(runs.all == [true, false], "five triggers cost exactly one more run")
        #expect(!lock.isDirty)
    }

    @Test("wait mode queues behind a running sync, then runs itself")
    func waitMode() throws {
        let lock = try freshLock()
        let runs = Runs()
        let started = DispatchSemaphore(value: 0)
        let holder = Thread {
            _ = try? lock.run(.coalesce) { own in
                runs.add(own)
                if own { started.signal(); usleep(200_000) }
                return summary()
            }
        }
        holder.start()
        started.wait()
        let began = Date()
        let outcome = try lock.run(.wait) { own in runs.add(own); return summary() }
        #expect(Date().timeIntervalSince(began) >= 0.15, "it waited for the holder")
        guard case let .ran(results) = outcome else { Issue.record("expected a run"); return }
        #expect(results.count >= 1)
    }
}
