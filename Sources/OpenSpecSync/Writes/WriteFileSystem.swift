import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The file operations of a database-to-file write, one call per step, so a
/// test can fail the Nth step (EIO, ENOSPC, ...) and check that the file is
/// still its old or its new content.
public protocol WriteFileSystem: Sendable {
    /// What `lstat` says `path` is, nil when it does not exist. Links are never followed.
    func kind(of path: String) -> EntryKind?
    /// The whole content of a regular file, nil when it does not exist.
    func readIfPresent(_ path: String) throws -> [UInt8]?
    /// Whether the file at `path` holds exactly `expected` (nil: it does not exist).
    func content(of path: String, equals expected: [UInt8]?) throws -> Bool
    /// The permission bits of an existing file.
    func permissions(of path: String) -> mode_t?
    func createDirectory(_ path: String) throws
    /// Creates `path` (which must not exist), writes `bytes`, sets `mode`, fsyncs and closes it.
    func writeNewFile(_ path: String, bytes: [UInt8], mode: mode_t) throws
    func rename(_ from: String, to: String) throws
    func remove(_ path: String) throws
    /// fsync of a folder, so a rename inside it survives a power cut.
    func syncDirectory(_ path: String) throws
}

extension WriteFileSystem {
    /// Whether the file at `path` holds exactly `expected` (nil: it does not exist).
    public func content(of path: String, equals expected: [UInt8]?) throws -> Bool {
        try readIfPresent(path) == expected
    }
}

/// The real thing, through POSIX calls.
public struct PosixWriteFileSystem: WriteFileSystem {
    public init() {}

    public func kind(of path: String) -> EntryKind? { PosixFileSystem().kind(of: path) }

    public func readIfPresent(_ path: String) throws -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        if fd < 0 {
            if errno == ENOENT { return nil }
            throw FileSystemError(path: path, operation: "read", code: errno)
        }
        defer { close(fd) }
        var bytes: [UInt8] = []
        // Sized up front: growing by doubling held up to twice a large file while reading.
        var info = stat()
        if fstat(fd, &info) == 0 && info.st_size > 0 { bytes.reserveCapacity(Int(info.st_size)) }
        var buffer = [UInt8](repeating: 0, count: 64 << 10)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw FileSystemError(path: path, operation: "read", code: errno)
            }
            if count == 0 { return bytes }
            bytes.append(contentsOf: buffer[0..<count])
        }
    }

    /// Compares in pieces, so a large file is not held a second time.
    public func content(of path: String, equals expected: [UInt8]?) throws -> Bool {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        if fd < 0 {
            if errno == ENOENT { return expected == nil }
            throw FileSystemError(path: path, operation: "read", code: errno)
        }
        defer { close(fd) }
        guard let expected else { return false }
        var offset = 0
        var buffer = [UInt8](repeating: 0, count: 64 << 10)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw FileSystemError(path: path, operation: "read", code: errno)
            }
            if count == 0 { return offset == expected.count }
            guard offset + count <= expected.count else { return false }
            let same = buffer.withUnsafeBytes { piece in
                expected.withUnsafeBytes { whole in memcmp(piece.baseAddress!, whole.baseAddress! + offset, count) == 0 }
            }
            guard same else { return false }
            offset += count
        }
    }

    public func permissions(of path: String) -> mode_t? {
        var info = stat()
        guard lstat(path, &info) == 0 else { return nil }
        return info.st_mode & 0o7777
    }

    public func createDirectory(_ path: String) throws {
        if mkdir(path, 0o755) != 0 && errno != EEXIST {
            throw FileSystemError(path: path, operation: "create the folder", code: errno)
        }
    }

    public func writeNewFile(_ path: String, bytes: [UInt8], mode: mode_t) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else { throw FileSystemError(path: path, operation: "create", code: errno) }
        var closed = false
        defer { if !closed { close(fd) } }
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if written < 0 {
                if errno == EINTR { continue }
                throw FileSystemError(path: path, operation: "write", code: errno)
            }
            offset += written
        }
        // Set explicitly: the umask must not decide the mode of a synced file.
        guard fchmod(fd, mode) == 0 else { throw FileSystemError(path: path, operation: "set the mode of", code: errno) }
        guard fsync(fd) == 0 else { throw FileSystemError(path: path, operation: "fsync", code: errno) }
        closed = true
        guard close(fd) == 0 else { throw FileSystemError(path: path, operation: "close", code: errno) }
    }

    public func rename(_ from: String, to: String) throws {
        guard Glibc.rename(from, to) == 0 else { throw FileSystemError(path: to, operation: "rename \(from) to", code: errno) }
    }

    public func remove(_ path: String) throws {
        if unlink(path) != 0 && errno != ENOENT { throw FileSystemError(path: path, operation: "remove", code: errno) }
    }

    public func syncDirectory(_ path: String) throws {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw FileSystemError(path: path, operation: "open the folder", code: errno) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw FileSystemError(path: path, operation: "fsync the folder", code: errno) }
    }
}
