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

    /// A folder's record: it says when the folder was listed, and is never
    /// content itself.
    public var isDirectory: Bool { mode & UInt32(S_IFMT) == UInt32(S_IFDIR) }

    /// Whether a write after a walk that began at `takenAt` (wall-clock
    /// nanoseconds) could leave this stamp unchanged: the file's time lies
    /// within the file system's timestamp granularity of the walk. Times
    /// with a fraction of a second prove a fine-grained file system (the
    /// kernel's file clock ticks every few milliseconds), where 100 ms is
    /// ample; whole-second times may come from a file system that keeps
    /// nothing finer, so they get a second, as git does.
    func isRacy(walkBegan takenAt: Int64) -> Bool {
        let window = modifiedNanos % 1_000_000_000 != 0 || changedNanos % 1_000_000_000 != 0
            ? StatCache.fineRacyWindow : StatCache.racyWindow
        return modifiedNanos >= takenAt - window || changedNanos >= takenAt - window
    }
}

/// The entries of every folder as the last walk listed them, for folders
/// whose stamp was old enough to trust then (see `StatCache.listings()`).
/// Looked up by a hash of the path bytes (and the path compared), so
/// neither building it nor a lookup makes a String.
public struct FolderListings: Sendable {
    /// A folder's path and names are ranges of `bytes`, and its names a
    /// chain through `names`: building this for 2,000 folders and 6,000
    /// files allocates a few arrays, not one per path.
    struct Listing: Sendable {
        var path: Range<Int>
        var stamp: FileStamp
        var firstName = -1
        var lastName = -1
    }

    private var slots: [UInt64: Int] = [:]
    private var listings: [Listing] = []
    private var bytes: [UInt8] = []
    private var names: [(name: Range<Int>, next: Int)] = []

    var isEmpty: Bool { listings.isEmpty }

    static func key(_ path: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var hash: UInt64 = 14_695_981_039_346_656_037
        for byte in path { hash = (hash ^ UInt64(byte)) &* 1_099_511_628_211 }
        return hash
    }

    private func slot(of path: UnsafeBufferPointer<UInt8>) -> Int? {
        guard let index = slots[Self.key(path)] else { return nil }
        let same = bytes.withUnsafeBufferPointer { sameBytes(UnsafeBufferPointer(rebasing: $0[listings[index].path]), path) }
        return same ? index : nil
    }

    mutating func addFolder(_ path: UnsafeBufferPointer<UInt8>, stamp: FileStamp) {
        let key = Self.key(path)
        guard slots[key] == nil else { return }  // a hash collision: that folder is simply listed again
        slots[key] = listings.count
        let start = bytes.count
        bytes.append(contentsOf: path)
        listings.append(Listing(path: start..<bytes.count, stamp: stamp))
    }

    /// Adds `path`'s last component to its parent folder's names, if that
    /// folder is listed here. The parent is looked for first among
    /// `openFolders` (the folders above the previous record, innermost
    /// last): in a walk's order it is nearly always there, which spares a
    /// hash lookup. Folders that cannot be the parent any more are dropped.
    mutating func addEntry(_ path: UnsafeBufferPointer<UInt8>, openFolders: inout [Int]) {
        guard let slash = path.lastIndex(of: UInt8(ascii: "/")) else { return }
        let parentPath = UnsafeBufferPointer(rebasing: path[..<slash])
        var found: Int?
        bytes.withUnsafeBufferPointer { bytes in
            while let top = openFolders.last {
                if sameBytes(UnsafeBufferPointer(rebasing: bytes[listings[top].path]), parentPath) { found = top; return }
                openFolders.removeLast()
            }
        }
        guard let parent = found ?? slot(of: parentPath) else { return }
        let start = bytes.count
        bytes.append(contentsOf: UnsafeBufferPointer(rebasing: path[(slash + 1)...]))
        names.append((start..<bytes.count, -1))
        let index = names.count - 1
        if listings[parent].lastName >= 0 { names[listings[parent].lastName].next = index } else { listings[parent].firstName = index }
        listings[parent].lastName = index
    }

    /// The listing of the folder at `path`, if it has one with `stamp`.
    func listing(of path: UnsafeBufferPointer<UInt8>, ifStamped stamp: FileStamp) -> Int? {
        guard let index = slot(of: path), listings[index].stamp == stamp else { return nil }
        return index
    }

    /// Where the names last listed in the folder at `path` begin, if its
    /// stamp is still `stamp`: a position for `name(at:)`, past the end
    /// (negative) for an empty folder; nil when the folder must be read.
    func firstName(in path: UnsafeBufferPointer<UInt8>, ifStamped stamp: FileStamp) -> Int? {
        guard let index = slot(of: path), listings[index].stamp == stamp else { return nil }
        return listings[index].firstName
    }

    /// The name at `position`, and the position of the next (negative after the last).
    func name(at position: Int) -> (name: ArraySlice<UInt8>, next: Int) {
        (bytes[names[position].name], names[position].next)
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

    mutating func append(path: String, _ stamp: FileStamp) {
        Array(path.utf8).withUnsafeBufferPointer { append(path: $0, stamp) }
    }

    /// Appends whole records already encoded, whose newest time is `newest`.
    mutating func append(bytes records: UnsafeBufferPointer<UInt8>, newest recordsNewest: Int64) {
        bytes.append(contentsOf: records)
        newest = max(newest, recordsNewest)
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

    /// The same records without `paths`, and without the records of the
    /// folders above them, so the next walk lists those folders again and
    /// finds the paths (a trusted listing would otherwise hide them).
    func removing(_ paths: Set<String>) -> StampRecords {
        var folders = Set<String>()
        for path in paths {
            var folder = Substring(path)
            while let slash = folder.lastIndex(of: "/") {
                folder = folder[..<slash]
                folders.insert(String(folder))
            }
        }
        var kept = StampRecords()
        forEach { path, stamp in
            let name = String(decoding: path, as: UTF8.self)
            if paths.contains(name) || (stamp.isDirectory && folders.contains(name)) { return }
            kept.append(path: path, stamp)
        }
        return kept
    }
}

/// The stamps of every synced file as of the last reconcile, in buckets by
/// change folder (so a commit rewrites a few buckets, not a 5 MB blob on a
/// 20,000-change project), plus the git index's stamp and the unmerged
/// paths it held then. A stamp only says "look again": whether a file
/// changed is always decided by its blob id. A file modified within the
/// timestamp granularity of the walk that recorded it is "racy" (a second
/// write could keep the same stamp) and is always re-read.
struct StatCache: Equatable {
    /// Records of one bucket, and when the walk that recorded them began
    /// (wall-clock nanoseconds).
    struct Bucket: Equatable {
        var takenAt: Int64
        var records: StampRecords

        func isRacy(_ stamp: FileStamp) -> Bool {
            stamp.isRacy(walkBegan: takenAt)
        }

        /// Whether any record is racy. `newest` rules most buckets out at once.
        var hasRacy: Bool {
            guard records.newest >= takenAt - StatCache.racyWindow else { return false }
            var found = false
            records.forEach { _, stamp in if !found && isRacy(stamp) { found = true } }
            return found
        }
    }

    /// Racy windows for whole-second and for finer file times (see `FileStamp.isRacy`).
    static let racyWindow: Int64 = 1_000_000_000
    static let fineRacyWindow: Int64 = 100_000_000
    static let bucketCount = 512

    var index: FileStamp?
    var indexTakenAt: Int64
    var conflicted: [String]
    var buckets: [Int: Bucket]

    func isRacyIndex(_ stamp: FileStamp) -> Bool {
        stamp.isRacy(walkBegan: indexTakenAt)
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
    /// A folder's records are adjacent in a walk, so they are copied as runs
    /// of bytes, not one record at a time.
    static func split(_ records: StampRecords, takenAt: Int64) -> [Int: Bucket] {
        var buckets: [Int: Bucket] = [:]
        records.bytes.withUnsafeBufferPointer { buffer in
            var runStart = 0
            var runBucket = -1
            var runNewest = Int64.min
            func flush(upTo end: Int) {
                guard runBucket >= 0, end > runStart else { return }
                buckets[runBucket, default: Bucket(takenAt: takenAt, records: StampRecords())].records
                    .append(bytes: UnsafeBufferPointer(rebasing: buffer[runStart..<end]), newest: runNewest)
            }
            var offset = 0
            while let record = StampRecords.record(at: offset, in: buffer) {
                let bucket = Self.bucket(of: UnsafeBufferPointer(rebasing: buffer[record.path]))
                if bucket != runBucket {
                    flush(upTo: offset)
                    (runStart, runBucket, runNewest) = (offset, bucket, Int64.min)
                }
                runNewest = max(runNewest, record.stamp.modifiedNanos, record.stamp.changedNanos)
                offset = record.next
            }
            flush(upTo: offset)
        }
        return buckets
    }

    /// Every folder listing the next walk may reuse: a folder whose record
    /// is not racy (listed long enough after its last change that an
    /// entry added in the same clock tick cannot hide), with the names of
    /// the records one level below it. Folders of every bucket are paired
    /// with entries of every bucket (`changes/archive` lists folders hashed
    /// elsewhere).
    func listings() -> FolderListings {
        var listings = FolderListings()
        for bucket in buckets.values {
            bucket.records.forEach { path, stamp in
                if stamp.isDirectory && !bucket.isRacy(stamp) { listings.addFolder(path, stamp: stamp) }
            }
        }
        guard !listings.isEmpty else { return listings }
        for bucket in buckets.values {
            var open: [Int] = []
            bucket.records.forEach { path, stamp in
                listings.addEntry(path, openFolders: &open)
                // A folder's entries follow it: it goes on top of the open folders.
                if stamp.isDirectory, let folder = listings.listing(of: path, ifStamped: stamp) { open.append(folder) }
            }
        }
        return listings
    }

    /// Paths whose stamp differs from `current`, is racy, or that appeared
    /// or vanished, and the buckets that must be saved again. Folder
    /// records only mark a bucket to save: a folder is not content.
    func changes(comparedWith current: [Int: Bucket]) -> (paths: Set<String>, buckets: Set<Int>) {
        var paths = Set<String>()
        var dirty = Set<Int>()
        for bucket in Set(buckets.keys).union(current.keys) {
            let old = buckets[bucket] ?? Bucket(takenAt: 0, records: StampRecords())
            let new = current[bucket]?.records ?? StampRecords()
            let moved = old.changedPaths(comparedWith: new)
            // A bucket with anything racy is saved again even when nothing
            // moved: its new walk time makes its folders' listings trustworthy.
            if !moved.isEmpty || old.hasRacy || !sameBytes(old.records.bytes, new.bytes) {
                paths.formUnion(moved)
                dirty.insert(bucket)
            }
        }
        return (paths, dirty)
    }

    // MARK: Encoding: one blob per bucket, plus a header row (bucket -1).

    private static let magic: [UInt8] = Array("OSSC4".utf8)

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
    /// or vanished; a file that became a folder (or the reverse) counts as
    /// changed, though a folder alone is never content. Equal streams with nothing racy cost one comparison;
    /// streams in the same order are compared in lockstep; anything else
    /// through dictionaries.
    func changedPaths(comparedWith current: StampRecords) -> Set<String> {
        if sameBytes(records.bytes, current.bytes) && !hasRacy { return [] }
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
                    guard sameBytes(UnsafeBufferPointer(rebasing: old[a.path]), UnsafeBufferPointer(rebasing: new[b.path])) else { return nil }
                    if (a.stamp != b.stamp || isRacy(a.stamp)) && (!b.stamp.isDirectory || !a.stamp.isDirectory) {
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
            let before = old[path]
            // A folder is not content, but a file that became one is gone.
            if stamp.isDirectory && before?.isDirectory != false { continue }
            if let before, before == stamp, !isRacy(before) { continue }
            result.insert(path)
        }
        for (path, stamp) in old where new[path] == nil && !stamp.isDirectory { result.insert(path) }
        return result
    }
}

/// Byte equality through memcmp: `==` on arrays and `elementsEqual` compare
/// element by element, and these run for every record of a walk.
@inline(__always)
func sameBytes(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Bool {
    a.count == b.count && (a.count == 0 || memcmp(a.baseAddress!, b.baseAddress!, a.count) == 0)
}

func sameBytes(_ a: [UInt8], _ b: [UInt8]) -> Bool {
    a.withUnsafeBufferPointer { a in b.withUnsafeBufferPointer { b in sameBytes(a, b) } }
}
