import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// What `lstat` says a path is. Links are never followed.
public enum EntryKind: Sendable, Equatable {
    case file, directory, symlink, other
}

/// The bytes of a file and what `lstat` said of it when they were read.
public struct FileRead: Sendable {
    public var bytes: [UInt8]
    /// True when the file was larger than the cap and `bytes` is empty.
    public var oversize: Bool
    /// The file's stamp, taken before its bytes were read: a later write
    /// changes it, so it can vouch for these bytes in the stat cache.
    public var stamp: FileStamp

    public var size: Int { Int(stamp.size) }
    public var modifiedAt: Date { Date(timeIntervalSince1970: Double(stamp.modifiedNanos) / 1e9) }
    public var mode: UInt32 { stamp.mode }
}

/// An I/O failure with the path and the operating system's reason.
public struct FileSystemError: Error, CustomStringConvertible, Sendable {
    public var path: String
    public var operation: String
    public var code: Int32
    public init(path: String, operation: String, code: Int32) {
        self.path = path; self.operation = operation; self.code = code
    }
    /// The failure without the absolute path, for messages that name the
    /// file relative to the repository themselves.
    public var reason: String { "cannot \(operation): \(String(cString: strerror(code)))" }
    public var description: String {
        "cannot \(operation) \(path): \(String(cString: strerror(code)))"
    }
}

/// The reconciler's only window on the working tree. A protocol so tests can
/// inject failures (EIO, ENOSPC, EACCES) that cannot be provoked for real.
public protocol FileSystem: Sendable {
    func kind(of path: String) -> EntryKind?
    func entries(of directory: String) throws -> [(name: String, kind: EntryKind)]
    /// Reads a whole regular file; re-reads when it changed while being read.
    func read(_ path: String, limit: Int) throws -> FileRead
    /// A folder's entries in listing order, each regular file among them
    /// read as `read` would (its failure kept in place of its content);
    /// names for which `skip` is true are listed but not read. With the
    /// folder's own stamp, taken before it was listed.
    func readFolder(_ directory: String, limit: Int, skip: (String) -> Bool) throws -> FolderContents
    /// The stamp of every file, link and folder below `root` (recursively,
    /// links not followed, `IgnoredNames` left out), as records whose paths
    /// are `prefix` + the path below `root`, each folder before its entries.
    /// A folder whose stamp equals its entry in `listings` is not read
    /// again: its entries are the ones listed then. A missing `root` gives none.
    func stampRecords(under root: String, prefix: String, listings: FolderListings?) -> StampRecords
    /// The stamp of one path (not following a link), nil if it does not exist.
    func stamp(of path: String) -> FileStamp?
    /// The names in `directory` that are not valid UTF-8, as bytes: `entries`
    /// and `readFolder` leave them out, since no String names them.
    func invalidNames(in directory: String) -> [[UInt8]]
}

/// One entry of `FileSystem.readFolder`: a regular file comes with what
/// reading it gave, a link with its stamp.
public struct FolderEntry {
    public var name: String
    public var kind: EntryKind
    public var read: Result<FileRead, Error>?
    public var linkStamp: FileStamp?
}

/// What `FileSystem.readFolder` found: the folder's stamp (nil if it could
/// not be taken) and its entries.
public struct FolderContents {
    public var stamp: FileStamp?
    public var entries: [FolderEntry]
    /// Names that are not valid UTF-8, left out of `entries` (see `FileSystem.invalidNames`).
    public var invalidNames: [[UInt8]] = []
}

extension FileSystem {
    /// `stamp(of:)`, `entries(of:)`, then `read` of each regular file.
    public func readFolder(_ directory: String, limit: Int, skip: (String) -> Bool) throws -> FolderContents {
        let stamp = self.stamp(of: directory)
        let entries = try entries(of: directory).map { entry in
            let path = directory + "/" + entry.name
            let read = entry.kind == .file && !skip(entry.name) ? Result { try self.read(path, limit: limit) } : nil
            return FolderEntry(name: entry.name, kind: entry.kind, read: read,
                               linkStamp: entry.kind == .symlink ? self.stamp(of: path) : nil)
        }
        return FolderContents(stamp: stamp, entries: entries, invalidNames: invalidNames(in: directory))
    }

    public func invalidNames(in directory: String) -> [[UInt8]] { [] }
}

/// Names that are never change content: hidden files and folders (but
/// OpenSpec's own `.openspec.yaml`), editor swap and backup files, merge
/// leftovers, and temporary files (this tool's included).
public enum IgnoredNames {
    private static let suffixes: [[UInt8]] = ["~", ".swp", ".swx", ".tmp", ".orig", ".rej", ".bak"].map { Array($0.utf8) }
    private static let metadata: [UInt8] = Array(".openspec.yaml".utf8)

    public static func contains(_ name: String) -> Bool {
        Array(name.utf8).withUnsafeBufferPointer { contains($0) }
    }

    public static func contains(_ name: UnsafeBufferPointer<UInt8>) -> Bool {
        if name.first == UInt8(ascii: ".") { return !name.elementsEqual(metadata) }
        for suffix in suffixes where name.count >= suffix.count {
            if name[(name.count - suffix.count)...].elementsEqual(suffix) { return true }
        }
        return false
    }
}

/// The name of a `readdir` entry, read in place. A dirent record is only as
/// long as its name needs, while `d_name` is declared for the longest name:
/// copying `d_name` by value reads past the record, and at the end of
/// readdir's buffer that faults. So: a pointer from the field's offset, and
/// strlen.
@inline(__always)
func direntName(_ entry: UnsafeMutablePointer<dirent>) -> UnsafeBufferPointer<UInt8> {
    let offset = MemoryLayout<dirent>.offset(of: \dirent.d_name)!
    let start = UnsafeRawPointer(entry).advanced(by: offset)
    let length = strlen(start.assumingMemoryBound(to: CChar.self))
    return UnsafeBufferPointer(start: start.assumingMemoryBound(to: UInt8.self), count: length)
}

/// One result slot per worker: each worker writes only its own slot, and
/// the slots are read after all workers have finished.
private final class Slots: @unchecked Sendable {
    private let buffer: UnsafeMutableBufferPointer<StampRecords>
    init(count: Int) {
        buffer = .allocate(capacity: count)
        buffer.initialize(repeating: StampRecords())
    }
    deinit { buffer.deinitialize(); buffer.deallocate() }
    func store(_ records: StampRecords, at index: Int) { buffer[index] = records }
    func value(at index: Int) -> StampRecords { buffer[index] }
}

/// The real file system through POSIX calls: no Foundation overhead on the
/// hot path of a 60,000-file scan.
public struct PosixFileSystem: FileSystem {
    public init() {}

    public func kind(of path: String) -> EntryKind? {
        var info = stat()
        guard lstat(path, &info) == 0 else { return nil }
        return Self.kind(info.st_mode)
    }

    static func kind(_ mode: mode_t) -> EntryKind {
        switch mode & S_IFMT {
        case S_IFREG: return .file
        case S_IFDIR: return .directory
        case S_IFLNK: return .symlink
        default: return .other
        }
    }

    public func entries(of directory: String) throws -> [(name: String, kind: EntryKind)] {
        var invalid: [[UInt8]] = []
        return try Self.withFolder(directory) { dir, fd in Self.list(dir, fd, invalid: &invalid) }
    }

    public func invalidNames(in directory: String) -> [[UInt8]] {
        var invalid: [[UInt8]] = []
        _ = try? Self.withFolder(directory) { dir, fd in Self.list(dir, fd, invalid: &invalid) }
        return invalid
    }

    /// Opens `directory` for listing and calls `body` with its stream and
    /// descriptor, both closed after.
    private static func withFolder<T>(_ directory: String, _ body: (OpaquePointer, Int32) throws -> T) throws -> T {
        let fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw FileSystemError(path: directory, operation: "list", code: errno) }
        guard let dir = fdopendir(fd) else {
            let code = errno
            close(fd)
            throw FileSystemError(path: directory, operation: "list", code: code)
        }
        defer { closedir(dir) }  // closes fd too
        return try body(dir, fd)
    }

    /// The entries of an open folder but `.` and `..`, with their kinds
    /// (from the listing, else from `fstatat`, links not followed). A name
    /// that is not valid UTF-8 goes to `invalid` instead: decoded, it would
    /// name another file (or none).
    private static func list(_ dir: OpaquePointer, _ fd: Int32, invalid: inout [[UInt8]]) -> [(name: String, kind: EntryKind)] {
        var result: [(name: String, kind: EntryKind)] = []
        while let entry = readdir(dir) {
            let bytes = direntName(entry)
            guard let name = String(validating: bytes, as: UTF8.self) else {
                invalid.append(Array(bytes))
                continue
            }
            if name == "." || name == ".." { continue }
            let kind: EntryKind
            switch Int32(entry.pointee.d_type) {
            case Int32(DT_REG): kind = .file
            case Int32(DT_DIR): kind = .directory
            case Int32(DT_LNK): kind = .symlink
            default:
                var info = stat()
                kind = fstatat(fd, name, &info, AT_SYMLINK_NOFOLLOW) == 0 ? Self.kind(info.st_mode) : .other
            }
            result.append((name, kind))
        }
        return result
    }

    public func stamp(of path: String) -> FileStamp? {
        var info = stat()
        guard lstat(path, &info) == 0 else { return nil }
        return Self.stamp(info)
    }

    static func stamp(_ info: stat) -> FileStamp {
        FileStamp(size: Int64(info.st_size),
                  modifiedNanos: Platform.modifiedNanos(info), changedNanos: Platform.changedNanos(info),
                  inode: UInt64(info.st_ino), mode: UInt32(info.st_mode))
    }

    /// Walks by directory descriptor (openat/fstatat: a short relative path
    /// per lookup) and builds records without a String per file. The top
    /// level is split in two halves walked on both cores; the halves are
    /// joined in a fixed order so an unchanged tree gives identical bytes.
    /// An `archive` folder usually holds most changes, so its entries are
    /// shared out as top-level items (else one core walks nearly all).
    public func stampRecords(under root: String, prefix: String, listings: FolderListings?) -> StampRecords {
        let fd = open(root, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { return StampRecords() }
        defer { close(fd) }
        let prefixBytes = Array(prefix.utf8)
        // An item is a path from `root` to visit, or a folder to stamp
        // without descending (its entries are items of their own, after it).
        var items: [(relative: [UInt8], folderStamp: FileStamp?)] = []
        for name in Self.names(in: fd) {
            if name == Self.archiveName, let (stamp, children) = Self.archiveEntries(fd, path: prefixBytes + name, listings: listings) {
                items.append((name, stamp))
                for child in children { items.append((name + [UInt8(ascii: "/")] + child, nil)) }
            } else {
                items.append((name, nil))
            }
        }
        let halves = items.count >= 64 ? [Array(items[..<(items.count / 2)]), Array(items[(items.count / 2)...])] : [items]
        let results = Slots(count: halves.count)
        DispatchQueue.concurrentPerform(iterations: halves.count) { half in
            var records = StampRecords()
            records.bytes.reserveCapacity(halves[half].count * 4 * 96)
            var path = prefixBytes
            var relative: [UInt8] = []
            for item in halves[half] {
                path.append(contentsOf: item.relative)
                if let stamp = item.folderStamp {
                    path.withUnsafeBufferPointer { records.append(path: $0, stamp) }
                } else {
                    relative.removeAll(keepingCapacity: true)
                    relative.append(contentsOf: item.relative)
                    Self.visit(parent: fd, relative: &relative, path: &path, into: &records, listings: listings)
                }
                path.removeSubrange(prefixBytes.count...)
            }
            results.store(records, at: half)
        }
        var all = StampRecords()
        for half in 0..<halves.count { all.append(contentsOf: results.value(at: half)) }
        return all
    }

    private static let archiveName = Array("archive".utf8)

    /// The stamp and entry names of the folder `archive` in `fd` (whose
    /// record path is `path`), listed as `visit` would list it; nil when it
    /// is not a folder.
    private static func archiveEntries(_ fd: Int32, path: [UInt8], listings: FolderListings?) -> (FileStamp, [[UInt8]])? {
        var info = stat()
        guard fstatat(fd, "archive", &info, AT_SYMLINK_NOFOLLOW) == 0, info.st_mode & S_IFMT == S_IFDIR else { return nil }
        let folderStamp = stamp(info)
        if let listings, var position = path.withUnsafeBufferPointer({ listings.firstName(in: $0, ifStamped: folderStamp) }) {
            var names: [[UInt8]] = []
            while position >= 0 {
                let (name, next) = listings.name(at: position)
                names.append(Array(name))
                position = next
            }
            return (folderStamp, names)
        }
        let child = openat(fd, "archive", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard child >= 0 else { return nil }
        defer { close(child) }
        return (folderStamp, names(in: child))
    }

    /// The entry names of a directory (a fresh descriptor, so `fd` stays usable).
    private static func names(in fd: Int32) -> [[UInt8]] {
        let copy = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard copy >= 0, let dir = fdopendir(copy) else { return [] }
        defer { closedir(dir) }
        var names: [[UInt8]] = []
        while let entry = readdir(dir) {
            let name = direntName(entry)
            if isDotOrIgnored(name) { continue }
            names.append(Array(name))
        }
        return names
    }

    @inline(__always)
    private static func isDotOrIgnored(_ name: UnsafeBufferPointer<UInt8>) -> Bool {
        (name.count <= 2 && name.allSatisfy { $0 == UInt8(ascii: ".") }) || IgnoredNames.contains(name)
    }

    /// Calls `body` with `relative` NUL-terminated, as a C path.
    @inline(__always)
    private static func withCPath<T>(_ relative: inout [UInt8], _ body: (UnsafePointer<CChar>) -> T) -> T {
        relative.append(0)
        defer { relative.removeLast() }
        return relative.withUnsafeBufferPointer { body(UnsafeRawPointer($0.baseAddress!).assumingMemoryBound(to: CChar.self)) }
    }

    /// Stamps the entry at `relative` (a path from the directory `parent`)
    /// whose record path is `path`, and walks it when it is a directory.
    /// No allocation per file.
    private static func visit(parent: Int32, relative: inout [UInt8], path: inout [UInt8],
                              into records: inout StampRecords, listings: FolderListings?) {
        var info = stat()
        guard withCPath(&relative, { fstatat(parent, $0, &info, AT_SYMLINK_NOFOLLOW) }) == 0 else { return }
        switch info.st_mode & S_IFMT {
        case S_IFREG, S_IFLNK:
            path.withUnsafeBufferPointer { records.append(path: $0, stamp(info)) }
        case S_IFDIR:
            let folderStamp = stamp(info)
            path.withUnsafeBufferPointer { records.append(path: $0, folderStamp) }
            if let listings, var position = path.withUnsafeBufferPointer({ listings.firstName(in: $0, ifStamped: folderStamp) }) {
                // Unchanged since it was listed (an entry added, removed or
                // renamed would have moved its stamp): no open, no readdir.
                let (relativeMark, pathMark) = (relative.count, path.count)
                while position >= 0 {
                    let (name, next) = listings.name(at: position)
                    relative.append(UInt8(ascii: "/"))
                    relative.append(contentsOf: name)
                    path.append(UInt8(ascii: "/"))
                    path.append(contentsOf: name)
                    visit(parent: parent, relative: &relative, path: &path, into: &records, listings: listings)
                    relative.removeSubrange(relativeMark...)
                    path.removeSubrange(pathMark...)
                    position = next
                }
                return
            }
            let child = withCPath(&relative) { openat(parent, $0, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) }
            guard child >= 0 else { return }
            guard let dir = fdopendir(child) else { close(child); return }
            defer { closedir(dir) }
            let pathMark = path.count
            var childRelative: [UInt8] = []
            while let entry = readdir(dir) {
                let name = direntName(entry)
                if isDotOrIgnored(name) { continue }
                childRelative.removeAll(keepingCapacity: true)
                childRelative.append(contentsOf: name)
                path.append(UInt8(ascii: "/"))
                path.append(contentsOf: name)
                visit(parent: child, relative: &childRelative, path: &path, into: &records, listings: listings)
                path.removeSubrange(pathMark...)
            }
        default:
            return
        }
    }

    public func read(_ path: String, limit: Int) throws -> FileRead {
        try Self.read(path, limit: limit) { open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW) }
    }

    /// Lists the folder through one descriptor and opens its files relative
    /// to it: a path lookup of one name per file, not of the whole path
    /// (a full import opens tens of thousands of files).
    public func readFolder(_ directory: String, limit: Int, skip: (String) -> Bool) throws -> FolderContents {
        try Self.withFolder(directory) { dir, fd in
            var info = stat()
            let stamp = fstat(fd, &info) == 0 ? Self.stamp(info) : nil
            var invalid: [[UInt8]] = []
            let entries = Self.list(dir, fd, invalid: &invalid).map { entry in
                let read = entry.kind == .file && !skip(entry.name)
                    ? Result { try Self.read(directory + "/" + entry.name, limit: limit) { openat(fd, entry.name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW) } }
                    : nil
                var linkStamp: FileStamp?
                if entry.kind == .symlink, fstatat(fd, entry.name, &info, AT_SYMLINK_NOFOLLOW) == 0 { linkStamp = Self.stamp(info) }
                return FolderEntry(name: entry.name, kind: entry.kind, read: read, linkStamp: linkStamp)
            }
            return FolderContents(stamp: stamp, entries: entries, invalidNames: invalid)
        }
    }

    /// Reads the file `open` opens (`path` names it in errors).
    private static func read(_ path: String, limit: Int, open: () -> Int32) throws -> FileRead {
        // fstat on the descriptor rather than a second path lookup.
        // A file rewritten in place while we read it would give a torn copy:
        // compare fstat before and after, and read again when they differ.
        // (A file replaced by rename leaves our descriptor on the old, whole file.)
        var attempt = 0
        while true {
            attempt += 1
            let fd = open()
            guard fd >= 0 else {
                let code = errno
                throw FileSystemError(path: path, operation: code == ELOOP ? "read (a symbolic link)" : "open", code: code)
            }
            defer { close(fd) }
            var before = stat()
            guard fstat(fd, &before) == 0 else { throw FileSystemError(path: path, operation: "stat", code: errno) }
            guard Self.kind(before.st_mode) == .file else {
                throw FileSystemError(path: path, operation: "read (not a regular file)", code: EINVAL)
            }
            let size = Int(before.st_size)
            if size > limit { return FileRead(bytes: [], oversize: true, stamp: Self.stamp(before)) }
            var total = 0
            var failure: Int32 = 0
            let bytes = [UInt8](unsafeUninitializedCapacity: size) { buffer, initialized in
                while total < size {
                    let n = Glibc.read(fd, buffer.baseAddress! + total, size - total)
                    if n < 0 { if errno == EINTR { continue }; failure = errno; break }
                    if n == 0 { break }
                    total += n
                }
                initialized = total
            }
            if failure != 0 { throw FileSystemError(path: path, operation: "read", code: failure) }
            var after = stat()
            let stable = fstat(fd, &after) == 0 && after.st_size == before.st_size
                && Platform.modifiedNanos(after) == Platform.modifiedNanos(before)
                && total == size
            if stable {
                return FileRead(bytes: bytes, oversize: false, stamp: Self.stamp(before))
            }
            if attempt >= 5 {
                throw FileSystemError(path: path, operation: "read (it kept changing while being read)", code: EAGAIN)
            }
            usleep(20_000)
        }
    }
}
