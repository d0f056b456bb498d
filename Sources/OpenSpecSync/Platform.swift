#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The Linux-only system calls of the sync layer, each in one place so the
/// platform boundary is visible. Elsewhere the file watcher cannot start (its
/// descriptor fails with ENOSYS and the watcher reports it; scans and hooks
/// still sync) and file times come from Darwin's `st_mtimespec`.
enum Platform {
    /// A new inotify descriptor, non-blocking and closed on exec; -1 with `errno` set when there is none.
    static func inotifyOpen() -> Int32 {
        #if os(Linux)
        return inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        #else
        errno = ENOSYS
        return -1
        #endif
    }

    /// Watches one folder; the watch descriptor, or -1 with `errno` set.
    static func inotifyAddWatch(_ fd: Int32, _ folder: String, _ mask: UInt32) -> Int32 {
        #if os(Linux)
        return inotify_add_watch(fd, folder, mask)
        #else
        errno = ENOSYS
        return -1
        #endif
    }

    static func inotifyRemoveWatch(_ fd: Int32, _ wd: Int32) {
        #if os(Linux)
        _ = inotify_rm_watch(fd, wd)
        #endif
    }

    /// A stat result's modification time, in nanoseconds since 1970.
    static func modifiedNanos(_ info: stat) -> Int64 {
        #if os(Linux)
        return Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec)
        #else
        return Int64(info.st_mtimespec.tv_sec) * 1_000_000_000 + Int64(info.st_mtimespec.tv_nsec)
        #endif
    }

    /// A stat result's status-change time, in nanoseconds since 1970.
    static func changedNanos(_ info: stat) -> Int64 {
        #if os(Linux)
        return Int64(info.st_ctim.tv_sec) * 1_000_000_000 + Int64(info.st_ctim.tv_nsec)
        #else
        return Int64(info.st_ctimespec.tv_sec) * 1_000_000_000 + Int64(info.st_ctimespec.tv_nsec)
        #endif
    }
}
