import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One reconcile at a time per project, across every process that shares
/// the database (hooks, the daemon, the CLI, the server): an `flock` on a
/// file per project, plus a "dirty" file that says "run once more".
///
/// A trigger first marks the project dirty, then tries the lock. Whoever
/// holds the lock keeps running while the project is dirty, and checks once
/// more after letting go, so no trigger is ever lost and a storm of them
/// (a 20-commit rebase, 20 hook calls at once) costs at most two runs.
public struct ProjectLock: Sendable {
    public let lockPath: String
    public let dirtyPath: String

    /// How a caller wants to wait.
    public enum Mode: Sendable {
        /// Return at once when another process is running; it will run for us.
        case coalesce
        /// Wait for the lock, then run at least once (the CLI: the user wants a result).
        case wait
    }

    public enum Outcome: Sendable {
        /// This process ran the body this many times (results in order).
        case ran([ReconcileSummary])
        /// Another process holds the lock and will run once more for us.
        case handedOff
    }

    /// The lock files of `projectId` for the database at `databasePath`:
    /// `<database>.locks/<projectId>.lock` and `.dirty`.
    public init(databasePath: String, projectId: String) {
        let folder = databasePath + ".locks"
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        lockPath = folder + "/" + projectId + ".lock"
        dirtyPath = folder + "/" + projectId + ".dirty"
    }

    /// Marks the project as needing a run, without running it. The mark's
    /// mtime is the time of the latest trigger.
    public func markDirty() {
        let fd = open(dirtyPath, O_CREAT | O_WRONLY | O_CLOEXEC, 0o644)
        if fd >= 0 {
            futimens(fd, nil)
            close(fd)
        }
    }

    /// Before running again for triggers that came during a run, waits until
    /// they stop (no new mark for `quiet` seconds, at most `longest`): a
    /// burst of triggers then costs one more run, not one per trigger.
    private func settle(quiet: TimeInterval = 0.05, longest: TimeInterval = 2) {
        let started = Date()
        while Date().timeIntervalSince(started) < longest {
            var info = stat()
            guard stat(dirtyPath, &info) == 0 else { return }
            let marked = Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) / 1e9
            if Date().timeIntervalSince1970 - marked >= quiet { return }
            usleep(10_000)
        }
    }

    public var isDirty: Bool { access(dirtyPath, F_OK) == 0 }

    /// Runs `body` once under the lock, waiting for it: other work than a
    /// reconcile (a database-to-file write) that must not interleave with
    /// one. Triggers that came meanwhile found the lock taken and left their
    /// mark; `whenDirty` runs for them before the lock is let go. Not
    /// reentrant: `body` must not take this project's lock again.
    public func exclusively<T>(_ body: () throws -> T, whenDirty: () throws -> Void) throws -> T {
        let fd = open(lockPath, O_CREAT | O_RDWR | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw FileSystemError(path: lockPath, operation: "open the project lock", code: errno)
        }
        defer { close(fd) }
        var locked: Int32
        repeat { locked = flock(fd, LOCK_EX) } while locked != 0 && errno == EINTR
        guard locked == 0 else { throw FileSystemError(path: lockPath, operation: "lock", code: errno) }
        defer { flock(fd, LOCK_UN) }
        let result = try body()
        while isDirty {
            settle()
            takeDirty()
            try whenDirty()
        }
        return result
    }

    /// True when the dirty mark was there (and is now taken).
    @discardableResult
    private func takeDirty() -> Bool { unlink(dirtyPath) == 0 }

    /// Runs `body` under the lock as often as needed. `body` gets `true` for
    /// the caller's own run and `false` for a run made for triggers that
    /// came meanwhile (whose needs the caller does not know, so those runs
    /// must cover everything). `ownRunCoversAll` says whether the caller's
    /// own run also covers everything: only then may it take other
    /// triggers' marks (a hook's run, which skips the working-tree walk, may not).
    public func run(_ mode: Mode, ownRunCoversAll: Bool = true,
                    _ body: (_ ownRun: Bool) throws -> ReconcileSummary) throws -> Outcome {
        var results: [ReconcileSummary] = []
        var ownRunDone = false
        var marked = false
        if ownRunCoversAll { markDirty(); marked = true }
        while true {
            let fd = open(lockPath, O_CREAT | O_RDWR | O_CLOEXEC, 0o644)
            guard fd >= 0 else {
                throw FileSystemError(path: lockPath, operation: "open the project lock", code: errno)
            }
            let operation = mode == .wait ? LOCK_EX : LOCK_EX | LOCK_NB
            var locked: Int32
            repeat { locked = flock(fd, operation) } while locked != 0 && errno == EINTR
            if locked != 0 {
                let code = errno
                close(fd)
                guard code == EWOULDBLOCK else { throw FileSystemError(path: lockPath, operation: "lock", code: code) }
                if !ownRunDone && !marked {
                    // Record our need for the holder, then try once more in
                    // case it let go meanwhile.
                    markDirty()
                    marked = true
                    continue
                }
                return results.isEmpty ? .handedOff : .ran(results)
            }
            do {
                if !ownRunDone {
                    if ownRunCoversAll { takeDirty() }
                    results.append(try body(true))
                    ownRunDone = true
                }
                while isDirty {
                    settle()
                    takeDirty()
                    results.append(try body(false))
                }
            } catch {
                flock(fd, LOCK_UN)
                close(fd)
                throw error
            }
            flock(fd, LOCK_UN)
            close(fd)
            // A trigger that marked us dirty after our last look, while we
            // still held the lock, found it taken and left: run for it.
            if !isDirty { return .ran(results) }
        }
    }
}
