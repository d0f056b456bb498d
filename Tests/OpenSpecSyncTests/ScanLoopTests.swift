import Foundation
import OpenSpecStore
import OpenSpecSyncTestSupport
import Testing
@testable import OpenSpecSync

@Suite("Scan loop: batch limit and skip rule")
struct ScanLoopTests {
    @Test("a round re-checks at most --batch specs, oldest first, and skips specs verified within an interval")
    func batchAndSkip() throws {
        let h = try Harness()
        for i in 1...5 { try h.writeChange("changes/c-\(i)") }
        try h.repo.commitAll("five")
        try h.reconcile()
        let retries = RetrySchedule()

        // Everything was verified moments ago: with a long interval nothing is due.
        let fresh = h.engine.scanRound(ScanOptions(interval: 3600, batch: 2), retries: retries)
        #expect(fresh.rechecked == 0)
        #expect(fresh.failures.isEmpty)

        // With a short interval all five are stale; a round takes only two, the oldest.
        usleep(50_000)
        let before = try h.specs()
        let first = h.engine.scanRound(ScanOptions(interval: 0.01, batch: 2), retries: retries)
        #expect(first.rechecked == 2)
        let after = try h.specs()
        let verified = zip(before, after).filter { $0.0.lastSyncedAt != $0.1.lastSyncedAt }.map(\.1.path)
        #expect(verified.count == 2, "exactly the batch was re-checked: \(verified)")

        // The next round takes two of the three still waiting, never the two just done.
        let second = h.engine.scanRound(ScanOptions(interval: 0.01, batch: 2), retries: retries)
        #expect(second.rechecked == 2)
        let third = try h.specs()
        let again = zip(after, third).filter { $0.0.lastSyncedAt != $0.1.lastSyncedAt }.map(\.1.path)
        #expect(Set(again).isDisjoint(with: verified), "just-verified specs are skipped: \(again)")
        #expect(second.line.contains("2 re-checked"))
    }
}
