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
    public var size: Int
    public var modifiedAt: Date
    public var mode: UInt32
    /// True when the file was larger than the cap and `bytes` is empty.
    public var oversize: Bool
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
        guard let dir = opendir(directory) else {
            throw FileSystemError(path: directory, operation: "list", code: errno)
        }
        defer { closedir(dir) }
        var result: [(name: String, kind: EntryKind)] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: Int(NAME_MAX) + 1) { String(cString: $0) }
            }
            if name == "." || name == ".." { continue }
            let kind: EntryKind
            switch Int32(entry.pointee.d_type) {
            case Int32(DT_REG): kind = .file
            case Int32(DT_DIR): kind = .directory
            case Int32(DT_LNK): kind = .symlink
            default: kind = self.kind(of: directory + "/" + name) ?? .other
            }
            result.append((name, kind))
        }
        return result
    }

    public func read(_ path: String, limit: Int) throws -> FileRead {
        // A file being rewritten while we read it would give a torn copy:
        // compare lstat before and after, and read again when they differ.
        var attempt = 0
        while true {
            attempt += 1
            var before = stat()
            guard lstat(path, &before) == 0 else { throw FileSystemError(path: path, operation: "stat", code: errno) }
            guard Self.kind(before.st_mode) == .file else {
                throw FileSystemError(path: path, operation: "read (not a regular file)", code: EINVAL)
            }
            let size = Int(before.st_size)
            let modified = Date(timeIntervalSince1970: Double(before.st_mtim.tv_sec) + Double(before.st_mtim.tv_nsec) / 1e9)
            if size > limit {
                return FileRead(bytes: [], size: size, modifiedAt: modified, mode: UInt32(before.st_mode), oversize: true)
            }
            let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
            guard fd >= 0 else { throw FileSystemError(path: path, operation: "open", code: errno) }
            var bytes = [UInt8](repeating: 0, count: size)
            var total = 0
            var failure: Int32 = 0
            while total < size {
                let n = bytes.withUnsafeMutableBytes { buffer in
                    Glibc.read(fd, buffer.baseAddress! + total, size - total)
                }
                if n < 0 { if errno == EINTR { continue }; failure = errno; break }
                if n == 0 { break }
                total += n
            }
            close(fd)
            if failure != 0 { throw FileSystemError(path: path, operation: "read", code: failure) }
            var after = stat()
            let stable = lstat(path, &after) == 0 && after.st_size == before.st_size
                && after.st_mtim.tv_sec == before.st_mtim.tv_sec && after.st_mtim.tv_nsec == before.st_mtim.tv_nsec
                && after.st_ino == before.st_ino && total == size
            if stable {
                return FileRead(bytes: bytes, size: size, modifiedAt: modified, mode: UInt32(before.st_mode), oversize: false)
            }
            if attempt >= 5 {
                throw FileSystemError(path: path, operation: "read (it kept changing while being read)", code: EAGAIN)
            }
            usleep(20_000)
        }
    }
}
