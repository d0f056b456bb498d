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
///
/// A git hook that finds the lock taken leaves a narrower mark, "the
/// commits up to HEAD", which a holder drops when the project is by then
/// synced at HEAD: a hook that was held up between its look at the
/// project and its mark must not cost a third run.
public struct ProjectLock: Sendable {
    public let lockPath: String
    public let dirtyPath: String
    public let commitsPath: String

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
        commitsPath = folder + "/" + projectId + ".commits"
    }

    /// Marks the project as needing a run, without running it. The mark's
    /// mtime is the time of the latest trigger.
    public func markDirty() { Self.touch(dirtyPath) }

    /// Marks the project as needing the commits up to HEAD synced (a hook's need).
    func markCommits() { Self.touch(commitsPath) }

    private static func touch(_ path: String) {
        let fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0o644)
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
            var marked: Double?
            for path in [dirtyPath, commitsPath] {
                var info = stat()
                guard stat(path, &info) == 0 else { continue }
                marked = max(marked ?? 0, Double(Platform.modifiedNanos(info)) / 1e9)
            }
            guard let marked else { return }
            if Date().timeIntervalSince1970 - marked >= quiet { return }
            usleep(10_000)
        }
    }

    public var isDirty: Bool { access(dirtyPath, F_OK) == 0 }

    /// Any mark: a general one or a hook's.
    var isMarked: Bool { isDirty || access(commitsPath, F_OK) == 0 }

    /// Runs `body` once under the lock, waiting for it: other work than a
    /// reconcile (a database-to-file write) that must not interleave with
    /// one. Triggers that came meanwhile found the lock taken and left their
    /// mark; `whenDirty` runs for them, as `run` does. Not reentrant: `body`
    /// must not take this project's lock again.
    public func exclusively<T>(_ body: () throws -> T, whenDirty: () throws -> Void) throws -> T {
        guard let fd = try acquire(blocking: true) else { throw FileSystemError(path: lockPath, operation: "lock", code: EWOULDBLOCK) }
        let result: T
        do {
            result = try body()
            try drainMarks({ false }, whenDirty)
        } catch {
            release(fd)
            throw error
        }
        release(fd)
        try runForLateMarks({ false }, whenDirty)
        return result
    }

    /// Runs `body` under the lock as often as needed. `body` gets `true` for
    /// the caller's own run and `false` for a run made for triggers that
    /// came meanwhile (whose needs the caller does not know, so those runs
    /// must cover everything). `ownRunCoversAll` says whether the caller's
    /// own run also covers everything: only then may it take other
    /// triggers' marks (a hook's run, which skips the working-tree walk, may not).
    /// A `body` that finds nothing left to do returns nil, and no summary is kept.
    /// `commitsSynced` says whether the project is synced at HEAD now, so
    /// that hooks' marks need no run of their own.
    public func run(_ mode: Mode, ownRunCoversAll: Bool = true, commitsSynced: () -> Bool = { false },
                    _ body: (_ ownRun: Bool) throws -> ReconcileSummary?) throws -> Outcome {
        if ownRunCoversAll { markDirty() }
        var fd = try acquire(blocking: mode == .wait)
        if fd == nil && !ownRunCoversAll {
            // Record our need for the holder, then try once more in case it let go meanwhile.
            markCommits()
            fd = try acquire(blocking: false)
        }
        guard let held = fd else { return .handedOff }
        var results: [ReconcileSummary] = []
        do {
            if ownRunCoversAll { takeDirty(); takeCommits() }
            if let summary = try body(true) { results.append(summary) }
            try drainMarks(commitsSynced) { if let summary = try body(false) { results.append(summary) } }
        } catch {
            release(held)
            throw error
        }
        release(held)
        try runForLateMarks(commitsSynced) { if let summary = try body(false) { results.append(summary) } }
        return .ran(results)
    }

    // MARK: The mechanism both share

    /// Opens and locks the lock file; nil when not `blocking` and another
    /// process holds it.
    private func acquire(blocking: Bool) throws -> Int32? {
        let fd = open(lockPath, O_CREAT | O_RDWR | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw FileSystemError(path: lockPath, operation: "open the project lock", code: errno) }
        var locked: Int32
        repeat { locked = flock(fd, blocking ? LOCK_EX : LOCK_EX | LOCK_NB) } while locked != 0 && errno == EINTR
        guard locked == 0 else {
            let code = errno
            close(fd)
            if code == EWOULDBLOCK { return nil }
            throw FileSystemError(path: lockPath, operation: "lock", code: code)
        }
        return fd
    }

    /// True when the dirty mark was there (and is now taken).
    @discardableResult
    private func takeDirty() -> Bool { unlink(dirtyPath) == 0 }

    /// True when a hook's mark was there (and is now taken).
    @discardableResult
    private func takeCommits() -> Bool { unlink(commitsPath) == 0 }

    private func release(_ fd: Int32) {
        flock(fd, LOCK_UN)
        close(fd)
    }

    /// Under the lock: one run for every burst of marks other triggers left,
    /// but none for hooks' marks alone once the project is synced at HEAD.
    private func drainMarks(_ commitsSynced: () -> Bool, _ forOthers: () throws -> Void) throws {
        while isMarked {
            settle()
            let general = takeDirty()
            let commits = takeCommits()
            if commits && !general && commitsSynced() { continue }
            try forOthers()
        }
    }

    /// After letting go: a trigger that marked the project after our last
    /// look, while we still held the lock, found it taken and left. Run for
    /// it, unless another process holds the lock now (that one will).
    private func runForLateMarks(_ commitsSynced: () -> Bool, _ forOthers: () throws -> Void) throws {
        while isMarked, let fd = try acquire(blocking: false) {
            do { try drainMarks(commitsSynced, forOthers) } catch {
                release(fd)
                throw error
            }
            release(fd)
        }
    }
}
