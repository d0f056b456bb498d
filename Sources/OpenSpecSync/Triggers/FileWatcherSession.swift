import Foundation
import Glibc

/// The watcher thread's side: one inotify session at a time (see `FileWatcher`).
extension FileWatcher {
    /// The inotify event bits (the C macros do not all import as one integer type).
    enum Mask {
        static let modify: UInt32 = 0x0000_0002
        static let closeWrite: UInt32 = 0x0000_0008
        static let movedFrom: UInt32 = 0x0000_0040
        static let movedTo: UInt32 = 0x0000_0080
        static let create: UInt32 = 0x0000_0100
        static let delete: UInt32 = 0x0000_0200
        static let deleteSelf: UInt32 = 0x0000_0400
        static let moveSelf: UInt32 = 0x0000_0800
        static let queueOverflow: UInt32 = 0x0000_4000
        static let ignored: UInt32 = 0x0000_8000
        static let onlyDirectory: UInt32 = 0x0100_0000
        static let dontFollow: UInt32 = 0x0200_0000
        static let isDirectory: UInt32 = 0x4000_0000
        /// Content and membership changes only: attribute changes are noise,
        /// and IN_MODIFY catches editors that write in place without closing.
        static let watch: UInt32 = modify | closeWrite | movedFrom | movedTo | create | delete
            | deleteSelf | moveSelf | onlyDirectory
    }

    /// Why a session ended; the loop reports it and starts a new one.
    struct Failure: Error, CustomStringConvertible {
        var description: String
        init(_ operation: String, code: Int32) {
            let reason = String(cString: strerror(code))
            switch code {
            case ENOSPC:
                description = "\(operation): \(reason) (the inotify watch limit "
                    + "fs.inotify.max_user_watches is reached; raise it with sysctl)"
            case EMFILE:
                description = "\(operation): \(reason) (the inotify instance limit "
                    + "fs.inotify.max_user_instances or the open file limit is reached)"
            default:
                description = "\(operation): \(reason)"
            }
        }
    }

    /// One inotify descriptor and its watches, confined to the watcher
    /// thread. Any failure of inotify itself ends the session; the loop
    /// starts a fresh one (all watches rebuilt) after a backoff.
    final class Session {
        struct Folder { var root: String; var path: String }
        struct Root {
            /// The root folder's own watch; nil while it is missing.
            var wd: Int32?
            var nextRetry: TimeInterval = 0
            var firstEvent: TimeInterval?
            var lastEvent: TimeInterval = 0
        }

        let watcher: FileWatcher
        let run: Run
        var fd: Int32 = -1
        var folders: [Int32: Folder] = [:]
        var watchByPath: [String: Int32] = [:]
        var rootStates: [String: Root] = [:]
        var rootsVersion = -1

        init(watcher: FileWatcher, run: Run) {
            self.watcher = watcher
            self.run = run
        }

        deinit { if fd >= 0 { close(fd) } }

        /// Runs until stop is asked for (returns) or inotify fails (throws).
        /// `catchUp`: events may have been lost since the last session, so
        /// every present root is reported once.
        func watch(catchUp: Bool) throws {
            fd = watcher.openInotify()
            guard fd >= 0 else { throw Failure("cannot start inotify", code: errno) }
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 8)
            defer { buffer.deallocate() }
            let initial = watcher.snapshot(run)
            if initial.stopping { return }
            try reconcileRoots(initial.roots, version: initial.version)
            if catchUp { for (root, state) in rootStates where state.wd != nil { touch(root) } }
            var published = -1
            while true {
                let snapshot = watcher.snapshot(run)
                if snapshot.stopping { return }
                if snapshot.version != rootsVersion { try reconcileRoots(snapshot.roots, version: snapshot.version) }
                try retryMissing()
                // Events that queued up while this thread was not running
                // still count as activity: read them before deciding what is quiet.
                try readEvents(into: buffer)
                if folders.count != published {
                    published = folders.count
                    watcher.publish(folderCount: published)
                }
                fireDue()
                var fds = [pollfd(fd: fd, events: Int16(POLLIN), revents: 0),
                           pollfd(fd: run.wakeRead, events: Int16(POLLIN), revents: 0)]
                let ready = poll(&fds, nfds_t(fds.count), timeout())
                if ready < 0 {
                    if errno == EINTR { continue }
                    throw Failure("poll", code: errno)
                }
                if fds[1].revents != 0 { FileWatcher.drain(run.wakeRead) }
                // Readable events are read at the top of the loop.
                if fds[0].revents & Int16(POLLERR | POLLHUP | POLLNVAL) != 0 {
                    throw Failure("inotify descriptor failed", code: EIO)
                }
            }
        }

        /// Milliseconds until the next quiet period ends or a missing root is
        /// due for a retry; -1 (wait for events) when nothing is pending.
        func timeout() -> Int32 {
            var deadline = TimeInterval.infinity
            for state in rootStates.values {
                if let first = state.firstEvent {
                    deadline = min(deadline, state.lastEvent + watcher.debounce, first + watcher.maxDelay)
                }
                if state.wd == nil { deadline = min(deadline, state.nextRetry) }
            }
            var milliseconds: Int32 = -1
            if deadline.isFinite {
                milliseconds = Int32(max(0, min(ceil((deadline - FileWatcher.now()) * 1000), 3_600_000)))
            }
            if run.wakeRead < 0 { milliseconds = milliseconds < 0 ? 100 : min(milliseconds, 100) }
            return milliseconds
        }

        func reconcileRoots(_ roots: [String], version: Int) throws {
            rootsVersion = version
            for root in rootStates.keys where !roots.contains(root) {
                removeTree(root)
                rootStates[root] = nil
                run.warnedMissing.remove(root)
            }
            for root in roots where rootStates[root] == nil {
                rootStates[root] = Root()
                _ = try attach(root)
            }
        }

        /// Watches `root` and everything below it; false (and one warning)
        /// when it is missing, with a retry scheduled.
        func attach(_ root: String) throws -> Bool {
            var info = stat()
            var problem: String?
            if stat(root, &info) != 0 || info.st_mode & S_IFMT != S_IFDIR {
                problem = "\(root) does not exist or is not a folder"
            } else if let code = try addTree(root: root, path: root) {
                problem = "cannot watch \(root): \(String(cString: strerror(code)))"
            }
            guard let problem else {
                rootStates[root]?.wd = watchByPath[root]
                run.warnedMissing.remove(root)
                return true
            }
            rootStates[root]?.wd = nil
            rootStates[root]?.nextRetry = FileWatcher.now() + watcher.retryInterval
            if !run.warnedMissing.contains(root) {
                run.warnedMissing.insert(root)
                watcher.warn(run, "\(problem); trying again every \(FileWatcher.format(watcher.retryInterval)) s")
            }
            return false
        }

        /// A root that (re)appears is a change: whatever is in it now is new.
        func retryMissing() throws {
            let now = FileWatcher.now()
            for (root, state) in rootStates where state.wd == nil && now >= state.nextRetry {
                if try attach(root) { touch(root) }
            }
        }

        /// Adds watches for `path` and every folder below it. Returns the
        /// error when the root's own watch could not be added (the caller
        /// reports it); throws when inotify itself is exhausted.
        func addTree(root: String, path: String) throws -> Int32? {
            var stack = [path]
            while let folder = stack.popLast() {
                // The root may be a link to the real folder; nothing below it is followed.
                let mask = Mask.watch | (folder == root ? 0 : Mask.dontFollow)
                let wd = Platform.inotifyAddWatch(fd, folder, mask)
                if wd < 0 {
                    let code = errno
                    if code == ENOSPC || code == ENOMEM { throw Failure("cannot watch \(folder)", code: code) }
                    if folder == root { return code }
                    // ENOENT and the like: gone or replaced since it was listed, and its parent reports that.
                    if code != ENOENT && code != ENOTDIR && code != ELOOP {
                        watcher.warn(run, "cannot watch \(folder): \(String(cString: strerror(code)))")
                    }
                    continue
                }
                if let old = folders[wd], old.path != folder, watchByPath[old.path] == wd {
                    watchByPath[old.path] = nil
                }
                folders[wd] = Folder(root: root, path: folder)
                watchByPath[folder] = wd
                stack.append(contentsOf: subfolders(of: folder))
            }
            return nil
        }

        /// Subfolders worth watching: not links, not ignored names.
        func subfolders(of folder: String) -> [String] {
            guard let dir = opendir(folder) else { return [] }
            defer { closedir(dir) }
            var result: [String] = []
            while let entry = readdir(dir) {
                let type = Int32(entry.pointee.d_type)
                guard type == Int32(DT_DIR) || type == Int32(DT_UNKNOWN) else { continue }
                let raw = direntName(entry)
                if raw.count <= 2 && raw.allSatisfy({ $0 == UInt8(ascii: ".") }) { continue }
                if IgnoredNames.contains(raw) { continue }
                let name = String(decoding: raw, as: UTF8.self)
                let path = folder + "/" + name
                if type == Int32(DT_UNKNOWN) {
                    var info = stat()
                    guard lstat(path, &info) == 0, info.st_mode & S_IFMT == S_IFDIR else { continue }
                }
                result.append(path)
            }
            return result
        }

        /// Drops the watches of `path` and every folder below it.
        func removeTree(_ path: String) {
            let below = path + "/"
            for (folder, wd) in watchByPath where folder == path || folder.hasPrefix(below) {
                Platform.inotifyRemoveWatch(fd, wd)
                folders[wd] = nil
                watchByPath[folder] = nil
            }
        }

        func readEvents(into buffer: UnsafeMutableRawBufferPointer) throws {
            while true {
                let count = read(fd, buffer.baseAddress, buffer.count)
                if count < 0 {
                    if errno == EINTR { continue }
                    if errno == EAGAIN || errno == EWOULDBLOCK { return }
                    throw Failure("cannot read inotify events", code: errno)
                }
                if count == 0 { return }
                // struct inotify_event: int wd, uint32 mask, cookie, len, then `len` name bytes (NUL padded).
                var offset = 0
                while offset + 16 <= count {
                    let wd = buffer.loadUnaligned(fromByteOffset: offset, as: Int32.self)
                    let mask = buffer.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self)
                    let length = Int(buffer.loadUnaligned(fromByteOffset: offset + 12, as: UInt32.self))
                    let start = offset + 16
                    let end = min(start + length, count)
                    let raw = UnsafeRawBufferPointer(rebasing: buffer[start..<end]).bindMemory(to: UInt8.self)
                    let name = UnsafeBufferPointer(rebasing: raw[..<(raw.firstIndex(of: 0) ?? raw.count)])
                    try handle(wd: wd, mask: mask, name: name)
                    offset = start + length
                }
            }
        }

        func handle(wd: Int32, mask: UInt32, name: UnsafeBufferPointer<UInt8>) throws {
            if mask & Mask.queueOverflow != 0 {
                // Events were lost, new folders among them perhaps: watch
                // every tree again (re-adding a watch is harmless) and report all.
                for (root, state) in rootStates where state.wd != nil {
                    if try addTree(root: root, path: root) != nil { lose(root) } else { touch(root) }
                }
                return
            }
            guard let folder = folders[wd] else { return }  // a watch already dropped
            let root = folder.root
            if mask & Mask.ignored != 0 {
                folders[wd] = nil
                if watchByPath[folder.path] == wd { watchByPath[folder.path] = nil }
                if folder.path == root { lose(root) }
                return
            }
            if name.isEmpty {
                // Events on a watched folder itself; for a subfolder its parent reports them.
                if folder.path == root && mask & (Mask.deleteSelf | Mask.moveSelf) != 0 { lose(root) }
                return
            }
            if IgnoredNames.contains(name) { return }
            if mask & Mask.isDirectory != 0 {
                let path = folder.path + "/" + String(decoding: name, as: UTF8.self)
                if mask & (Mask.create | Mask.movedTo) != 0 {
                    // Files already inside are covered: the change below reports the whole root.
                    _ = try addTree(root: root, path: path)
                } else if mask & (Mask.movedFrom | Mask.delete) != 0 {
                    removeTree(path)
                }
            }
            touch(root)
        }

        /// The root folder was deleted or moved away: report it (its content
        /// is gone) and look for it again at once, then every retry interval.
        func lose(_ root: String) {
            guard rootStates[root] != nil else { return }
            removeTree(root)
            rootStates[root]?.wd = nil
            rootStates[root]?.nextRetry = 0
            touch(root)
        }

        func touch(_ root: String) {
            guard var state = rootStates[root] else { return }
            let now = FileWatcher.now()
            if state.firstEvent == nil { state.firstEvent = now }
            state.lastEvent = now
            rootStates[root] = state
        }

        /// Reports every root whose events have been quiet for `debounce`,
        /// or have kept coming for `maxDelay`.
        func fireDue() {
            let now = FileWatcher.now()
            var due: [(root: String, first: TimeInterval)] = []
            for (root, state) in rootStates {
                guard let first = state.firstEvent else { continue }
                if now >= state.lastEvent + watcher.debounce || now >= first + watcher.maxDelay {
                    due.append((root, first))
                    rootStates[root]?.firstEvent = nil
                }
            }
            // Oldest first, when a busy machine made several due at once.
            for item in due.sorted(by: { $0.first < $1.first }) { watcher.deliver(run, item.root) }
        }
    }
}
