import Foundation
import Testing
@testable import OpenSpecSync

@Suite("Stat cache")
struct StatCacheTests {
    private func records(_ entries: [(String, FileStamp)]) -> StampRecords {
        var records = StampRecords()
        for (path, stamp) in entries {
            Array(path.utf8).withUnsafeBufferPointer { records.append(path: $0, stamp) }
        }
        return records
    }

    private let old = FileStamp(size: 10, modifiedNanos: 1_000, changedNanos: 1_000, inode: 7, mode: 0o100644)
    private let takenAt: Int64 = 100_000_000_000

    @Test("encoding round-trips, and damaged bytes decode to nil")
    func roundTrip() throws {
        let buckets = StatCache.split(records([("changes/a/tasks.md", old), ("specs/x/spec.md", old)]), takenAt: takenAt)
        let cache = StatCache(index: old, indexTakenAt: takenAt, conflicted: ["changes/a/tasks.md"], buckets: buckets)
        var rows: [Int: [UInt8]] = [-1: cache.encodedHeader()]
        for (number, bucket) in buckets { rows[number] = StatCache.encode(bucket) }
        let decoded = try #require(StatCache.decode(rows: rows))
        #expect(decoded == cache)
        var damaged = rows
        damaged[buckets.keys.first!]!.removeLast(5)
        #expect(StatCache.decode(rows: damaged) == nil)
        #expect(StatCache.decode(rows: [:]) == nil, "no header: compare everything")
    }

    @Test("a folder's files share a bucket; archive folders hash by their own name")
    func buckets() {
        func bucket(_ path: String) -> Int { Array(path.utf8).withUnsafeBufferPointer { StatCache.bucket(of: $0) } }
        #expect(bucket("changes/add-x/tasks.md") == bucket("changes/add-x/specs/a/spec.md"))
        #expect(bucket("changes/archive/2026-01-01-x/tasks.md") == bucket("changes/archive/2026-01-01-x/proposal.md"))
        let spread = Set((0..<200).map { bucket("changes/change-\($0)/tasks.md") })
        #expect(spread.count > 40, "200 folders should spread over most of the 64 buckets")
    }

    @Test("only moved, new, vanished and racy stamps are named, and only their buckets saved")
    func changedPaths() {
        var touched = old
        touched.modifiedNanos += 1
        let racy = FileStamp(size: 1, modifiedNanos: takenAt - 10, changedNanos: takenAt - 10, inode: 9, mode: 0o100644)
        let bucket = StatCache.Bucket(takenAt: takenAt, records: records([("a", old), ("b", old), ("c", old), ("r", racy)]))
        // Same order: lockstep comparison.
        #expect(bucket.changedPaths(comparedWith: records([("a", old), ("b", touched), ("c", old), ("r", racy)])) == ["b", "r"])
        // Membership changed: the dictionary path.
        #expect(bucket.changedPaths(comparedWith: records([("c", old), ("a", old), ("new", old), ("r", racy)])) == ["b", "new", "r"])
        let calm = StatCache.Bucket(takenAt: takenAt, records: records([("a", old), ("b", old)]))
        #expect(calm.changedPaths(comparedWith: records([("a", old), ("b", old)])).isEmpty)

        let before = StatCache.split(records([("changes/a/x.md", old), ("changes/b/x.md", old)]), takenAt: takenAt)
        let after = StatCache.split(records([("changes/a/x.md", old), ("changes/b/x.md", touched)]), takenAt: takenAt)
        let cache = StatCache(index: nil, indexTakenAt: takenAt, conflicted: [], buckets: before)
        let result = cache.changes(comparedWith: after)
        #expect(result.paths == ["changes/b/x.md"])
        let bBucket = Array("changes/b/x.md".utf8).withUnsafeBufferPointer { StatCache.bucket(of: $0) }
        #expect(result.buckets == [bBucket])
    }

    @Test("the walk skips hidden, swap and backup files but keeps .openspec.yaml")
    func walkSkipsIgnoredNames() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("openspec-sync-walk-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        for path in ["x/proposal.md", "x/.openspec.yaml", "x/.DS_Store", "x/tasks.md.swp", "x/notes.md~", "x/.hidden/a.md", "x/specs/s/spec.md"] {
            let url = URL(fileURLWithPath: root + "/" + path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data("x".utf8).write(to: url)
        }
        let walked = PosixFileSystem().stampRecords(under: root, prefix: "changes/").dictionary().keys.sorted()
        #expect(walked == ["changes/x/.openspec.yaml", "changes/x/proposal.md", "changes/x/specs/s/spec.md"])
    }
}
