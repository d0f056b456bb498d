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

/// The stamps of every synced file as of the last reconcile, plus the git
/// index's stamp and the unmerged paths it held then. A stamp only says
/// "look again": whether a file changed is always decided by its blob id.
/// A file modified within a second of the walk that recorded it is "racy"
/// (a second write could keep the same stamp) and is always re-read.
struct StatCache: Equatable {
    /// Wall-clock nanoseconds when the walk that produced `records` began.
    var takenAt: Int64
    var index: FileStamp?
    var conflicted: [String]
    var records: StampRecords

    static let racyWindow: Int64 = 1_000_000_000

    func isRacy(_ stamp: FileStamp) -> Bool {
        stamp.modifiedNanos >= takenAt - Self.racyWindow || stamp.changedNanos >= takenAt - Self.racyWindow
    }

    /// Paths whose stamp differs from `current`, is racy, or that appeared
    /// or vanished. Equal streams with nothing racy cost one comparison;
    /// streams in the same order are compared in lockstep; anything else
    /// through dictionaries.
    func changedPaths(comparedWith current: StampRecords) -> Set<String> {
        let anyRacy = records.newest >= takenAt - Self.racyWindow
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

    // MARK: Encoding

    private static let magic: [UInt8] = Array("OSSC2".utf8)

    func encoded() -> [UInt8] {
        var out = Self.magic
        var header = StampRecords()
        let none = FileStamp(size: -1, modifiedNanos: 0, changedNanos: 0, inode: 0, mode: 0)
        Array("takenAt".utf8).withUnsafeBufferPointer {
            header.append(path: $0, FileStamp(size: takenAt, modifiedNanos: records.newest, changedNanos: 0, inode: UInt64(conflicted.count), mode: 0))
        }
        Array("index".utf8).withUnsafeBufferPointer { header.append(path: $0, index ?? none) }
        for path in conflicted { Array(path.utf8).withUnsafeBufferPointer { header.append(path: $0, none) } }
        withUnsafeBytes(of: UInt64(header.bytes.count).littleEndian) { out.append(contentsOf: $0) }
        out.append(contentsOf: header.bytes)
        out.append(contentsOf: records.bytes)
        return out
    }

    /// nil for anything that is not a whole cache (then a full compare runs).
    static func decode(_ bytes: [UInt8]) -> StatCache? {
        guard bytes.count >= magic.count + 8, Array(bytes[0..<magic.count]) == magic else { return nil }
        var headerLength = 0
        for i in 0..<8 { headerLength |= Int(bytes[magic.count + i]) << (8 * i) }
        let start = magic.count + 8
        guard headerLength >= 0, headerLength <= bytes.count - start else { return nil }
        var header = StampRecords()
        header.bytes = Array(bytes[start..<start + headerLength])
        var records = StampRecords()
        records.bytes = Array(bytes[(start + headerLength)...])
        var entries: [(String, FileStamp)] = []
        guard header.forEach({ path, stamp in entries.append((String(decoding: path, as: UTF8.self), stamp)) }),
              entries.count >= 2, entries[0].0 == "takenAt", entries[1].0 == "index",
              records.forEach({ _, _ in }) else { return nil }
        records.newest = entries[0].1.modifiedNanos
        let index = entries[1].1.size < 0 ? nil : entries[1].1
        return StatCache(takenAt: entries[0].1.size, index: index, conflicted: entries.dropFirst(2).map(\.0), records: records)
    }
}
