import Foundation

/// What `lstat` says of one file: enough to know it is unchanged without
/// reading it, the way git's index does.
public struct FileStamp: Equatable, Sendable {
    public var size: Int64
    public var modifiedNanos: Int64
    public var changedNanos: Int64
    public var inode: UInt64
    public var mode: UInt32

    public init(size: Int64, modifiedNanos: Int64, changedNanos: Int64, inode: UInt64, mode: UInt32) {
        self.size = size; self.modifiedNanos = modifiedNanos; self.changedNanos = changedNanos
        self.inode = inode; self.mode = mode
    }
}

/// Stamps of a file tree as a flat byte stream of records
/// (`u32 path length, path, i64 size, i64 mtime, i64 ctime, u64 inode,
/// u32 mode`, little-endian), built without making a String per file:
/// a no-change run compares two such streams with one memcmp.
public struct StampRecords: Equatable, Sendable {
    public var bytes: [UInt8] = []
    /// The newest mtime or ctime among the records, in nanoseconds.
    public var newest: Int64 = 0

    public init() {}

    /// Bytes after the path: four 64-bit fields and the 32-bit mode.
    static let fixedSize = 8 * 4 + 4

    mutating func append(path: UnsafeBufferPointer<UInt8>, _ stamp: FileStamp) {
        put32(UInt32(path.count))
        bytes.append(contentsOf: path)
        put64(UInt64(bitPattern: stamp.size))
        put64(UInt64(bitPattern: stamp.modifiedNanos))
        put64(UInt64(bitPattern: stamp.changedNanos))
        put64(stamp.inode)
        put32(stamp.mode)
        newest = max(newest, stamp.modifiedNanos, stamp.changedNanos)
    }

    public mutating func append(contentsOf other: StampRecords) {
        bytes.append(contentsOf: other.bytes)
        newest = max(newest, other.newest)
    }

    private mutating func put64(_ value: UInt64) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    private mutating func put32(_ value: UInt32) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    /// One record read at `offset`: the path's byte range, its stamp, and
    /// where the next record starts. nil at the end or on malformed bytes.
    static func record(at offset: Int, in buffer: UnsafeBufferPointer<UInt8>) -> (path: Range<Int>, stamp: FileStamp, next: Int)? {
        func read64(_ at: Int) -> UInt64 {
            var value: UInt64 = 0
            for i in 0..<8 { value |= UInt64(buffer[at + i]) << (8 * UInt64(i)) }
            return value
        }
        func read32(_ at: Int) -> UInt32 {
            UInt32(buffer[at]) | UInt32(buffer[at + 1]) << 8 | UInt32(buffer[at + 2]) << 16 | UInt32(buffer[at + 3]) << 24
        }
        guard offset + 4 <= buffer.count else { return nil }
        let length = Int(read32(offset))
        let pathStart = offset + 4
        guard length <= buffer.count - pathStart, buffer.count - pathStart - length >= fixedSize else { return nil }
        let fields = pathStart + length
        let stamp = FileStamp(size: Int64(bitPattern: read64(fields)), modifiedNanos: Int64(bitPattern: read64(fields + 8)),
                              changedNanos: Int64(bitPattern: read64(fields + 16)), inode: read64(fields + 24),
                              mode: read32(fields + 32))
        return (pathStart..<fields, stamp, fields + fixedSize)
    }

    /// Calls `body` with each record. Returns false for a malformed stream.
    @discardableResult
    func forEach(_ body: (UnsafeBufferPointer<UInt8>, FileStamp) -> Void) -> Bool {
        bytes.withUnsafeBufferPointer { buffer in
            var offset = 0
            while offset < buffer.count {
                guard let record = Self.record(at: offset, in: buffer) else { return false }
                body(UnsafeBufferPointer(rebasing: buffer[record.path]), record.stamp)
                offset = record.next
            }
            return true
        }
    }

    /// path -> stamp, for the slow path of a comparison.
    func dictionary() -> [String: FileStamp] {
        var result: [String: FileStamp] = [:]
        forEach { path, stamp in result[String(decoding: path, as: UTF8.self)] = stamp }
        return result
    }

    /// The same records without `paths`.
    func removing(_ paths: Set<String>) -> StampRecords {
        var kept = StampRecords()
        forEach { path, stamp in
            if !paths.contains(String(decoding: path, as: UTF8.self)) { kept.append(path: path, stamp) }
        }
        return kept
    }
}

/// The stamps of every synced file as of the last reconcile, in buckets by
/// change folder (so a commit rewrites a few buckets, not a 5 MB blob on a
/// 20,000-change project), plus the git index's stamp and the unmerged
/// paths it held then. A stamp only says "look again": whether a file
/// changed is always decided by its blob id. A file modified within a
/// second of the walk that recorded it is "racy" (a second write could keep
/// the same stamp) and is always re-read.
struct StatCache: Equatable {
    /// Records of one bucket, and when the walk that recorded them began
    /// (wall-clock nanoseconds).
    struct Bucket: Equatable {
        var takenAt: Int64
        var records: StampRecords

        func isRacy(_ stamp: FileStamp) -> Bool {
            stamp.modifiedNanos >= takenAt - StatCache.racyWindow || stamp.changedNanos >= takenAt - StatCache.racyWindow
        }
    }

    static let racyWindow: Int64 = 1_000_000_000
    static let bucketCount = 64

    var index: FileStamp?
    var indexTakenAt: Int64
    var conflicted: [String]
    var buckets: [Int: Bucket]

    func isRacyIndex(_ stamp: FileStamp) -> Bool {
        stamp.modifiedNanos >= indexTakenAt - Self.racyWindow || stamp.changedNanos >= indexTakenAt - Self.racyWindow
    }

    /// The bucket of a path: a stable hash of its change folder (or main
    /// spec capability), so one folder's files always share a bucket.
    static func bucket(of path: UnsafeBufferPointer<UInt8>) -> Int {
        // "changes/<x>/", "changes/archive/<x>/" or "specs/<x>/": hash up to the folder's end.
        var slashes = 0
        var needed = 2
        var hash: UInt32 = 2_166_136_261
        for (offset, byte) in path.enumerated() {
            if byte == UInt8(ascii: "/") {
                slashes += 1
                if slashes == 2 && offset >= 15 && path[0..<16].elementsEqual("changes/archive/".utf8) { needed = 3 }
                if slashes == needed { break }
            }
            hash = (hash ^ UInt32(byte)) &* 16_777_619
        }
        return Int(hash % UInt32(bucketCount))
    }

    /// Splits one walk's records into buckets.
    static func split(_ records: StampRecords, takenAt: Int64) -> [Int: Bucket] {
        var buckets: [Int: Bucket] = [:]
        records.forEach { path, stamp in
            let bucket = Self.bucket(of: path)
            buckets[bucket, default: Bucket(takenAt: takenAt, records: StampRecords())].records.append(path: path, stamp)
        }
        return buckets
    }

    /// Paths whose stamp differs from `current`, is racy, or that appeared
    /// or vanished, and the buckets that must be saved again.
    func changes(comparedWith current: [Int: Bucket]) -> (paths: Set<String>, buckets: Set<Int>) {
        var paths = Set<String>()
        var dirty = Set<Int>()
        for bucket in Set(buckets.keys).union(current.keys) {
            let old = buckets[bucket] ?? Bucket(takenAt: 0, records: StampRecords())
            let new = current[bucket]?.records ?? StampRecords()
            let moved = old.changedPaths(comparedWith: new)
            if !moved.isEmpty || old.records.bytes != new.bytes {
                paths.formUnion(moved)
                dirty.insert(bucket)
            }
        }
        return (paths, dirty)
    }

    // MARK: Encoding: one blob per bucket, plus a header row (bucket -1).

    private static let magic: [UInt8] = Array("OSSC3".utf8)

    static func encode(_ bucket: Bucket) -> [UInt8] {
        var out = magic
        withUnsafeBytes(of: UInt64(bitPattern: bucket.takenAt).littleEndian) { out.append(contentsOf: $0) }
        withUnsafeBytes(of: UInt64(bitPattern: bucket.records.newest).littleEndian) { out.append(contentsOf: $0) }
        out.append(contentsOf: bucket.records.bytes)
        return out
    }

    static func decodeBucket(_ bytes: [UInt8]) -> Bucket? {
        guard bytes.count >= magic.count + 16, Array(bytes[0..<magic.count]) == magic else { return nil }
        func read(_ at: Int) -> Int64 {
            var value: UInt64 = 0
            for i in 0..<8 { value |= UInt64(bytes[at + i]) << (8 * UInt64(i)) }
            return Int64(bitPattern: value)
        }
        var records = StampRecords()
        records.bytes = Array(bytes[(magic.count + 16)...])
        records.newest = read(magic.count + 8)
        guard records.forEach({ _, _ in }) else { return nil }
        return Bucket(takenAt: read(magic.count), records: records)
    }

    func encodedHeader() -> [UInt8] {
        var header = StampRecords()
        let none = FileStamp(size: -1, modifiedNanos: 0, changedNanos: 0, inode: 0, mode: 0)
        Array("index".utf8).withUnsafeBufferPointer { header.append(path: $0, index ?? none) }
        for path in conflicted { Array(path.utf8).withUnsafeBufferPointer { header.append(path: $0, none) } }
        return Self.encode(Bucket(takenAt: indexTakenAt, records: header))
    }

    /// nil for anything that is not a whole cache (then a full compare runs).
    static func decode(rows: [Int: [UInt8]]) -> StatCache? {
        guard let headerBytes = rows[-1], let header = decodeBucket(headerBytes) else { return nil }
        var entries: [(String, FileStamp)] = []
        header.records.forEach { path, stamp in entries.append((String(decoding: path, as: UTF8.self), stamp)) }
        guard entries.first?.0 == "index" else { return nil }
        var buckets: [Int: Bucket] = [:]
        for (number, bytes) in rows where number >= 0 {
            guard number < bucketCount, let bucket = decodeBucket(bytes) else { return nil }
            buckets[number] = bucket
        }
        return StatCache(index: entries[0].1.size < 0 ? nil : entries[0].1, indexTakenAt: header.takenAt,
                         conflicted: entries.dropFirst().map(\.0), buckets: buckets)
    }
}

extension StatCache.Bucket {
    /// Paths whose stamp differs from `current`, is racy, or that appeared
    /// or vanished. Equal streams with nothing racy cost one comparison;
    /// streams in the same order are compared in lockstep; anything else
    /// through dictionaries.
    func changedPaths(comparedWith current: StampRecords) -> Set<String> {
        let anyRacy = records.newest >= takenAt - StatCache.racyWindow
        if !anyRacy && records.bytes == current.bytes { return [] }
        // Same paths in the same order (edits in place): compare in lockstep.
        let lockstep: Set<String>? = records.bytes.withUnsafeBufferPointer { old in
            current.bytes.withUnsafeBufferPointer { new in
                var changed = Set<String>()
                var oldOffset = 0
                var newOffset = 0
                while true {
                    let a = StampRecords.record(at: oldOffset, in: old)
                    let b = StampRecords.record(at: newOffset, in: new)
                    guard let a, let b else { return a == nil && b == nil ? changed : nil }
                    guard old[a.path].elementsEqual(new[b.path]) else { return nil }
                    if a.stamp != b.stamp || isRacy(a.stamp) {
                        changed.insert(String(decoding: UnsafeBufferPointer(rebasing: new[b.path]), as: UTF8.self))
                    }
                    oldOffset = a.next
                    newOffset = b.next
                }
            }
        }
        if let lockstep { return lockstep }
        // Files came or went: compare by path.
        let old = records.dictionary()
        let new = current.dictionary()
        var result = Set<String>()
        for (path, stamp) in new {
            if let before = old[path], before == stamp, !isRacy(before) { continue }
            result.insert(path)
        }
        for path in old.keys where new[path] == nil { result.insert(path) }
        return result
    }
}
