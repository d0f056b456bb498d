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
        let cache = StatCache(takenAt: takenAt, index: old, conflicted: ["changes/a/tasks.md"],
                              records: records([("changes/a/tasks.md", old), ("specs/x/spec.md", old)]))
        let decoded = try #require(StatCache.decode(cache.encoded()))
        #expect(decoded == cache)
        #expect(decoded.records.dictionary().keys.sorted() == ["changes/a/tasks.md", "specs/x/spec.md"])
        var truncated = cache.encoded()
        truncated.removeLast(5)
        #expect(StatCache.decode(truncated) == nil)
        #expect(StatCache.decode([]) == nil)
        #expect(StatCache.decode(Array("garbage that is long enough".utf8)) == nil)
    }

    @Test("only moved, new, vanished and racy stamps are named")
    func changedPaths() {
        var touched = old
        touched.modifiedNanos += 1
        let racy = FileStamp(size: 1, modifiedNanos: takenAt - 10, changedNanos: takenAt - 10, inode: 9, mode: 0o100644)
        let cache = StatCache(takenAt: takenAt, index: nil, conflicted: [],
                              records: records([("a", old), ("b", old), ("c", old), ("r", racy)]))
        // Same order: lockstep comparison.
        #expect(cache.changedPaths(comparedWith: records([("a", old), ("b", touched), ("c", old), ("r", racy)])) == ["b", "r"])
        // Membership changed: the dictionary path.
        #expect(cache.changedPaths(comparedWith: records([("c", old), ("a", old), ("new", old), ("r", racy)])) == ["b", "new", "r"])
        let calm = StatCache(takenAt: takenAt, index: nil, conflicted: [], records: records([("a", old), ("b", old)]))
        #expect(calm.changedPaths(comparedWith: records([("a", old), ("b", old)])).isEmpty)
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
