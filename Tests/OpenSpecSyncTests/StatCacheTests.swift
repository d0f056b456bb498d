import Foundation
import OpenSpecStore
import Testing
@testable import OpenSpecSync

@Suite("Stat cache")
struct StatCacheTests {
    private func records(_ entries: [(String, FileStamp)]) -> StampRecords {
        var records = StampRecords()
        for (path, stamp) in entries { records.append(path: path, stamp) }
        return records
    }

    private let old = FileStamp(size: 10, modifiedNanos: 1_000, changedNanos: 1_000, inode: 7, mode: 0o100644)
    private let takenAt: Int64 = 100_000_000_000

    @Test("splitting a walk puts each record in its folder's bucket, in walk order, with the newest time")
    func splitByFolder() {
        // Folders interleave buckets; a folder's records stay together and in order.
        var paths: [String] = []
        for n in 0..<40 { paths += ["changes/c\(n)", "changes/c\(n)/proposal.md", "changes/c\(n)/tasks.md"] }
        paths += ["changes/archive/2026-01-01-x/tasks.md", "specs/auth/spec.md"]
        let stamps = paths.enumerated().map { index, path in
            (path, FileStamp(size: Int64(index), modifiedNanos: Int64(1_000 + index), changedNanos: Int64(2_000 - index), inode: 1, mode: 0o100644))
        }
        let buckets = StatCache.split(records(stamps), takenAt: takenAt)
        for (number, bucket) in buckets {
            let expected = stamps.filter { Array($0.0.utf8).withUnsafeBufferPointer { StatCache.bucket(of: $0) } == number }
            #expect(bucket.records == records(expected), "bucket \(number)")
            #expect(bucket.takenAt == takenAt)
        }
        #expect(buckets.values.map { $0.records.dictionary().count }.reduce(0, +) == paths.count)
    }

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
        #expect(spread.count > 120, "200 folders should spread over many of the 512 buckets")
    }

    @Test("a stamp is racy for 100 ms after its time when that has a fraction of a second, for a second otherwise")
    func racyWindows() {
        let walk: Int64 = 1_700_000_000_000_000_000  // a whole second
        func stamp(_ nanos: Int64) -> FileStamp {
            FileStamp(size: 1, modifiedNanos: nanos, changedNanos: nanos, inode: 1, mode: 0o100644)
        }
        // Fine-grained file times (ext4, xfs, btrfs...): 100 ms.
        #expect(stamp(walk - 99_000_001).isRacy(walkBegan: walk))
        #expect(!stamp(walk - 100_000_001).isRacy(walkBegan: walk))
        // Whole seconds may be all the file system keeps: a second, as git.
        #expect(stamp(walk - 1_000_000_000).isRacy(walkBegan: walk))
        #expect(!stamp(walk - 2_000_000_000).isRacy(walkBegan: walk))
        // A ctime with a fraction is proof enough; a later one counts too.
        let mixed = FileStamp(size: 1, modifiedNanos: walk - 2_000_000_000, changedNanos: walk - 50_000_001, inode: 1, mode: 0o100644)
        #expect(mixed.isRacy(walkBegan: walk))
        // A bucket is racy as soon as one record is.
        let bucket = StatCache.Bucket(takenAt: walk, records: records([("a", stamp(walk - 5_000_000_001)), ("b", stamp(walk - 300_000_001))]))
        #expect(!bucket.hasRacy)
        let recent = StatCache.Bucket(takenAt: walk, records: records([("a", stamp(walk - 5_000_000_001)), ("b", stamp(walk - 1_000_000_000))]))
        #expect(recent.hasRacy)
        #expect(recent.changedPaths(comparedWith: recent.records) == ["b"])
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
        let walked = PosixFileSystem().stampRecords(under: root, prefix: "changes/", listings: nil).dictionary()
        #expect(walked.keys.sorted() == [
            "changes/x", "changes/x/.openspec.yaml", "changes/x/proposal.md", "changes/x/specs", "changes/x/specs/s",
            "changes/x/specs/s/spec.md",
        ])
        #expect(walked.filter { $0.value.isDirectory }.keys.sorted() == ["changes/x", "changes/x/specs", "changes/x/specs/s"])
    }

    /// A folder tree under a new temporary root.
    private func tree(_ files: [String]) throws -> String {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("openspec-sync-walk-\(UUID().uuidString)").path
        for path in files {
            let url = URL(fileURLWithPath: root + "/" + path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data("x".utf8).write(to: url)
        }
        return root
    }

    @Test("the folder listings built from the cache name each folder's entries, nested folders included")
    func listingsMatchLookups() throws {
        var files: [String] = []
        for n in 0..<30 { files += ["c\(n)/tasks.md", "c\(n)/specs/a/spec.md", "c\(n)/specs/b/deep/spec.md", "c\(n)/z.md"] }
        for n in 0..<20 { files += ["archive/2026-01-01-x\(n)/tasks.md", "archive/2026-01-01-x\(n)/specs/s/spec.md"] }
        let root = try tree(files)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let records = PosixFileSystem().stampRecords(under: root, prefix: "changes/", listings: nil)
        let later = Int64(Date().timeIntervalSince1970 * 1e9) + 10_000_000_000  // nothing racy
        let built = StatCache(index: nil, indexTakenAt: 0, conflicted: [], buckets: StatCache.split(records, takenAt: later)).listings()
        // What each folder holds, straight from the records' paths.
        var expected: [String: Set<String>] = [:]
        records.forEach { path, stamp in
            let name = String(decoding: path, as: UTF8.self)
            if stamp.isDirectory { expected[name, default: []] = expected[name] ?? [] }
            let slash = name.lastIndex(of: "/")!
            expected[String(name[..<slash])]?.insert(String(name[name.index(after: slash)...]))
        }
        #expect(expected.count == 1 + 30 * 5 + 20 * 3, "archive; 30 changes with specs, specs/a, specs/b, specs/b/deep; 20 archived with specs, specs/s")
        records.forEach { path, stamp in
            guard stamp.isDirectory else { return }
            let name = String(decoding: path, as: UTF8.self)
            var names = Set<String>()
            guard var position = built.firstName(in: path, ifStamped: stamp) else {
                Issue.record("no listing for \(name)")
                return
            }
            while position >= 0 {
                let (entry, next) = built.name(at: position)
                names.insert(String(decoding: entry, as: UTF8.self))
                position = next
            }
            #expect(names == expected[name], "\(name)")
        }
    }

    @Test("a folder whose stamp has not moved is not listed again; a moved or racy one is")
    func listingsSkipReaddir() throws {
        let root = try tree(["x/a.md", "x/b.md", "x/specs/s/spec.md"])
        defer { try? FileManager.default.removeItem(atPath: root) }
        let fs = PosixFileSystem()
        let first = fs.stampRecords(under: root, prefix: "changes/", listings: nil)
        let stamps = first.dictionary()
        let folder = try #require(stamps["changes/x"])
        let newest = max(folder.modifiedNanos, folder.changedNanos)

        // A recorded listing of x that lacks b.md, taken long after x last changed: the
        // walk believes it, which shows that x was not read again (a real
        // folder never lies like this: adding b.md would have moved x's stamp).
        let partial = records(first.dictionary().filter { $0.key != "changes/x/b.md" }.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })
        let trusted = StatCache(index: nil, indexTakenAt: 0, conflicted: [],
                                buckets: StatCache.split(partial, takenAt: newest + 5_000_000_000))
        let walked = fs.stampRecords(under: root, prefix: "changes/", listings: trusted.listings()).dictionary()
        #expect(walked["changes/x/b.md"] == nil)
        #expect(walked["changes/x/a.md"] != nil && walked["changes/x/specs/s/spec.md"] != nil, "files of a trusted listing are stamped")

        // The same listing recorded right after x's last change is racy: x is read.
        let racy = StatCache(index: nil, indexTakenAt: 0, conflicted: [], buckets: StatCache.split(partial, takenAt: newest + 50_000_000))
        #expect(fs.stampRecords(under: root, prefix: "changes/", listings: racy.listings()).dictionary()["changes/x/b.md"] != nil)

        // A listing whose folder stamp differs from the folder's now is not used either.
        var moved = folder
        moved.modifiedNanos -= 1
        let stale = records(partial.dictionary().map { ($0.key, $0.key == "changes/x" ? moved : $0.value) }.sorted { $0.0 < $1.0 })
        let staleCache = StatCache(index: nil, indexTakenAt: 0, conflicted: [], buckets: StatCache.split(stale, takenAt: newest + 5_000_000_000))
        #expect(fs.stampRecords(under: root, prefix: "changes/", listings: staleCache.listings()).dictionary()["changes/x/b.md"] != nil)
    }

    @Test("an archive folder's changes are shared out between the walk's halves, each folder before its entries")
    func archiveSharedOut() throws {
        var files = ["live/tasks.md", "archive/notes.md~"]
        for n in 0..<150 { files += ["archive/2026-01-01-c\(n)/tasks.md", "archive/2026-01-01-c\(n)/specs/s/spec.md"] }
        let root = try tree(files)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let fs = PosixFileSystem()
        let first = fs.stampRecords(under: root, prefix: "changes/", listings: nil)
        var order: [String] = []
        first.forEach { path, _ in order.append(String(decoding: path, as: UTF8.self)) }
        #expect(order.count == 2 + 1 + 150 * 5, "live, its tasks.md, archive, and per change: folder, tasks.md, specs, specs/s, spec.md")
        #expect(Set(order).count == order.count)
        #expect(!order.contains("changes/archive/notes.md~"))
        for (index, path) in order.enumerated() {
            let parent = String(path[..<path.lastIndex(of: "/")!])
            if parent != "changes" { #expect(order[..<index].contains(parent), "\(parent) before \(path)") }
        }
        #expect(first.dictionary()["changes/archive"]?.isDirectory == true)

        // A trusted listing of archive that lacks a change is believed, as for any folder.
        let archive = try #require(first.dictionary()["changes/archive"])
        let partial = records(first.dictionary().filter { $0.key != "changes/archive/2026-01-01-c7" && !$0.key.hasPrefix("changes/archive/2026-01-01-c7/") }.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })
        let trusted = StatCache(index: nil, indexTakenAt: 0, conflicted: [],
                                buckets: StatCache.split(partial, takenAt: max(archive.modifiedNanos, archive.changedNanos) + 5_000_000_000))
        let walked = fs.stampRecords(under: root, prefix: "changes/", listings: trusted.listings()).dictionary()
        #expect(walked["changes/archive/2026-01-01-c7"] == nil && walked["changes/archive/2026-01-01-c8/tasks.md"] != nil)
        #expect(walked.count == first.dictionary().count - 5)
    }

    @Test("a full compare's stamps, taken from its reads, are the records a walk makes, in the same order")
    func stampsFromReads() throws {
        let h = try Harness()
        for n in 0..<70 { try h.writeChange("changes/c\(n)") }
        try h.repo.write("openspec/changes/c1/specs/auth/spec.md", "## ADDED Requirements\n")
        try h.repo.write("openspec/changes/c1/notes.md~", "an editor's backup\n")
        try h.repo.write("openspec/changes/README.md", "not a change\n")
        try h.repo.write("openspec/changes/archive/2026-01-01-old/tasks.md", "- [x] done\n")
        try h.repo.write("openspec/changes/archive/2026-01-01-old/specs/x/spec.md", "## ADDED Requirements\n")
        try h.repo.write("openspec/specs/auth/spec.md", "## Purpose\nAuth.\n")
        try FileManager.default.createSymbolicLink(atPath: h.repo.path + "/openspec/changes/shortcut", withDestinationPath: "c2")
        try h.repo.commitAll("changes")
        let fs = PosixFileSystem()
        func saved() throws -> [Int: StampRecords] {
            let rows = try h.engine.store.write { w in try w.statCacheRows(projectId: h.project.id) }
            return try #require(StatCache.decode(rows: rows)).buckets.mapValues(\.records)
        }
        func walked() -> [Int: StampRecords] {
            var records = fs.stampRecords(under: h.repo.path + "/openspec/changes", prefix: "changes/", listings: nil)
            records.append(contentsOf: fs.stampRecords(under: h.repo.path + "/openspec/specs", prefix: "specs/", listings: nil))
            records.append(contentsOf: schemaStamps(fs: fs, openspecRoot: h.repo.path + "/openspec", listings: nil))
            return StatCache.split(records, takenAt: 0).mapValues(\.records)
        }
        let first = try h.reconcile()
        #expect(first.mode == .full)
        let walk = walked()
        var paths = Set<String>()
        for records in walk.values { paths.formUnion(records.dictionary().keys) }
        let expected = ["changes/c1/specs/auth/spec.md", "changes/README.md", "changes/shortcut", "changes/archive",
                        "changes/archive/2026-01-01-old/specs/x/spec.md", "specs/auth/spec.md", "config.yaml"]
        #expect(paths.isSuperset(of: expected) && !paths.contains("changes/c1/notes.md~"))
        #expect(try saved() == walk)
        try h.reconcile(full: true)
        #expect(try saved() == walk)
        let next = try h.reconcile()
        #expect(next.mode == .incremental && next.changedCount == 0)
    }

    @Test("a change folder that could not be read in a full compare gets no stamps, nor do the folders above it")
    func unreadFolderUnstamped() throws {
        let failing = FailingFileSystem(failing: "/openspec/changes/archive/2026-01-01-old/tasks.md", code: EIO)
        let h = try Harness(fileSystem: failing)
        try h.writeChange("changes/live")
        try h.repo.write("openspec/changes/archive/2026-01-01-old/tasks.md", "- [x] done\n")
        try h.repo.write("openspec/changes/archive/2026-01-02-other/tasks.md", "- [x] done\n")
        try h.repo.commitAll("changes")
        let first = try h.reconcile()
        #expect(first.failed == 1)
        let rows = try h.engine.store.write { w in try w.statCacheRows(projectId: h.project.id) }
        var paths = Set<String>()
        for bucket in try #require(StatCache.decode(rows: rows)).buckets.values { paths.formUnion(bucket.records.dictionary().keys) }
        #expect(!paths.contains { $0.hasPrefix("changes/archive/2026-01-01-old") })
        #expect(!paths.contains("changes/archive"), "a trusted listing of archive would hide the unread folder")
        #expect(paths.contains("changes/archive/2026-01-02-other/tasks.md") && paths.contains("changes/live/tasks.md"))

        failing.heal()
        let next = try h.reconcile()
        #expect(next.failed == 0)
        #expect(try h.spec("changes/archive/2026-01-01-old")?.syncError == nil)
    }

    @Test("dropping a path drops its folders' records, so they are listed again")
    func removingDropsFolders() {
        let folder = FileStamp(size: 0, modifiedNanos: 1_000, changedNanos: 1_000, inode: 3, mode: 0o040755)
        let all = records([("changes/x", folder), ("changes/x/specs", folder), ("changes/x/specs/a.md", old),
                           ("changes/x/tasks.md", old), ("changes/y", folder), ("changes/y/tasks.md", old)])
        #expect(all.removing(["changes/x/specs/a.md"]).dictionary().keys.sorted() == ["changes/x/tasks.md", "changes/y", "changes/y/tasks.md"])
    }

    @Test("a file that became a folder, or a folder that became a file, is named as changed")
    func typeChangesNamed() {
        let folder = FileStamp(size: 0, modifiedNanos: 1_000, changedNanos: 1_000, inode: 3, mode: 0o040755)
        let bucket = StatCache.Bucket(takenAt: takenAt, records: records([("changes/x", folder), ("changes/x/tasks.md", old)]))
        // Same paths in the same order (lockstep), and with an entry added below (by path).
        #expect(bucket.changedPaths(comparedWith: records([("changes/x", folder), ("changes/x/tasks.md", folder)])) == ["changes/x/tasks.md"])
        #expect(bucket.changedPaths(comparedWith: records([("changes/x", folder), ("changes/x/tasks.md", folder),
                                                           ("changes/x/tasks.md/a", old)])) == ["changes/x/tasks.md", "changes/x/tasks.md/a"])
        let folders = StatCache.Bucket(takenAt: takenAt, records: records([("changes/x", folder), ("changes/x/specs", folder)]))
        #expect(folders.changedPaths(comparedWith: records([("changes/x", folder), ("changes/x/specs", old)])) == ["changes/x/specs"])
    }

    @Test("folder records are never named as changed, but a racy one gets its bucket saved again")
    func foldersAreNotContent() {
        let folder = FileStamp(size: 0, modifiedNanos: 1_000, changedNanos: 1_000, inode: 3, mode: 0o040755)
        var touchedFolder = folder
        touchedFolder.modifiedNanos += 1
        let bucket = StatCache.Bucket(takenAt: takenAt, records: records([("changes/x", folder), ("changes/x/a.md", old)]))
        #expect(bucket.changedPaths(comparedWith: records([("changes/x", touchedFolder), ("changes/x/a.md", old)])).isEmpty)
        #expect(bucket.changedPaths(comparedWith: records([("changes/x", touchedFolder), ("changes/x/b.md", old)])) == ["changes/x/a.md", "changes/x/b.md"])

        let racyFolder = FileStamp(size: 0, modifiedNanos: takenAt - 10, changedNanos: takenAt - 10, inode: 3, mode: 0o040755)
        let same = records([("changes/x", racyFolder), ("changes/x/a.md", old)])
        let cache = StatCache(index: nil, indexTakenAt: takenAt, conflicted: [], buckets: StatCache.split(same, takenAt: takenAt))
        let result = cache.changes(comparedWith: StatCache.split(same, takenAt: takenAt + 5_000_000_000))
        #expect(result.paths.isEmpty)
        #expect(result.buckets.count == 1, "the racy folder's bucket is saved with the new walk time")
    }
}
