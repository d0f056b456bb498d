import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Watches folder trees with inotify and calls `onChange` once per quiet period.
///
/// One background thread owns the inotify descriptor and every watch; the
/// public methods only change state behind `state` (a lock) and wake that
/// thread through a pipe. Callbacks run on the watcher thread: a slow
/// `onChange` delays later events (the kernel queues them meanwhile, and an
/// overflowing queue is reported as a change of every root). The thread
/// holds the watcher, so call `stop()` before letting it go.
public final class FileWatcher: @unchecked Sendable {
    public let debounce: TimeInterval
    public let retryInterval: TimeInterval
    /// The longest a root waits while events keep coming: a file written
    /// without pause still syncs about once per `maxDelay`.
    let maxDelay: TimeInterval
    /// First and largest pause before the watching loop starts again after a failure.
    let initialBackoff: TimeInterval
    let maxBackoff: TimeInterval
    /// `inotify_init1`, replaceable so tests can make it fail.
    let openInotify: @Sendable () -> Int32
    private let onChange: @Sendable (String) -> Void
    private let onWarning: @Sendable (String) -> Void

    /// Guards every field below and every `Run`'s shared fields.
    private let state = NSCondition()
    private var roots: [String]
    private var rootsVersion = 0
    /// Threads not yet ended: usually zero or one (an old one may still be
    /// finishing when `start` follows a `stop` made from inside a callback).
    private var runs: [Run] = []
    private var publishedFolderCount = 0

    /// `roots`: absolute folder paths (e.g. <repo>/openspec), each watched recursively (every subfolder, new ones added as they appear, removed ones dropped). `debounce`: seconds of quiet after the last event before `onChange(root)` fires once for that root (100 ms default). A missing root is retried every `retryInterval` seconds and reported through `onWarning`.
    public convenience init(roots: [String], debounce: TimeInterval = 0.1, retryInterval: TimeInterval = 5,
                            onChange: @escaping @Sendable (String) -> Void,
                            onWarning: @escaping @Sendable (String) -> Void = { _ in }) {
        self.init(roots: roots, debounce: debounce, retryInterval: retryInterval, maxDelay: 1,
                  initialBackoff: 0.5, maxBackoff: 30, openInotify: FileWatcher.systemInotify,
                  onChange: onChange, onWarning: onWarning)
    }

    init(roots: [String], debounce: TimeInterval, retryInterval: TimeInterval, maxDelay: TimeInterval,
         initialBackoff: TimeInterval, maxBackoff: TimeInterval, openInotify: @escaping @Sendable () -> Int32,
         onChange: @escaping @Sendable (String) -> Void, onWarning: @escaping @Sendable (String) -> Void) {
        var unique: [String] = []
        for root in roots where !unique.contains(root) { unique.append(root) }
        self.roots = unique
        self.debounce = max(0, debounce)
        self.retryInterval = max(0.01, retryInterval)
        self.maxDelay = max(self.debounce, maxDelay)
        self.initialBackoff = max(0.001, initialBackoff)
        self.maxBackoff = max(self.initialBackoff, maxBackoff)
        self.openInotify = openInotify
        self.onChange = onChange
        self.onWarning = onWarning
    }

    static let systemInotify: @Sendable () -> Int32 = { Platform.inotifyOpen() }

    // MARK: Public control

    /// Starts the background thread; does nothing when it already runs.
    public func start() {
        state.lock()
        if runs.contains(where: { !$0.stopping }) { state.unlock(); return }
        let run = Run()
        var fds: [Int32] = [-1, -1]
        var pipeFailure: String?
        if pipe(&fds) == 0 {
            for fd in fds {
                _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
                _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            }
            run.wakeRead = fds[0]
            run.wakeWrite = fds[1]
        } else {
            // Without a wake pipe the loop polls for stop every 100 ms instead.
            pipeFailure = "cannot create the wake pipe of the file watcher: \(String(cString: strerror(errno)))"
        }
        runs.append(run)
        let thread = Thread { [self] in self.loop(run) }
        thread.name = "openspec-sync file watcher"
        thread.start()
        state.unlock()
        if let pipeFailure { onWarning(pipeFailure) }
    }

    /// Stops the thread and waits for it to end, so no callback runs after
    /// this returns. Called from inside a callback it only asks the thread
    /// to stop (waiting there would wait for itself).
    public func stop() {
        state.lock()
        let me = pthread_self()
        var waitFor: [Run] = []
        for run in runs {
            if !run.stopping {
                run.stopping = true
                wake(run)
            }
            if !(run.started && pthread_equal(run.thread, me) != 0) { waitFor.append(run) }
        }
        while waitFor.contains(where: { !$0.finished }) { state.wait() }
        state.unlock()
    }

    public var isRunning: Bool {
        state.lock(); defer { state.unlock() }
        return runs.contains { !$0.stopping }
    }

    /// Adds a root while running (a new project appears); a missing one is retried.
    public func add(root: String) {
        state.lock(); defer { state.unlock() }
        guard !roots.contains(root) else { return }
        roots.append(root)
        rootsVersion += 1
        runs.forEach(wake)
    }

    /// Drops a root and any change still waiting for its quiet period.
    public func remove(root: String) {
        state.lock(); defer { state.unlock() }
        guard roots.contains(root) else { return }
        roots.removeAll { $0 == root }
        rootsVersion += 1
        runs.forEach(wake)
    }

    /// How many folders the thread watches now (lets tests wait until a tree is covered).
    var watchedFolderCount: Int {
        state.lock(); defer { state.unlock() }
        return publishedFolderCount
    }

    // MARK: Thread side

    /// One thread's life. `stopping`, `finished`, `started` and `thread` are
    /// guarded by `state`. The pipe ends are set before the thread starts
    /// and closed (under `state`) by the thread as it ends, so the thread
    /// reads them freely and others write to them only under `state`.
    /// `warnedMissing` belongs to the thread alone.
    final class Run: @unchecked Sendable {
        var stopping = false
        var finished = false
        var started = false
        var thread = pthread_t()
        var wakeRead: Int32 = -1
        var wakeWrite: Int32 = -1
        /// Roots already reported missing: one warning until they come back.
        var warnedMissing: Set<String> = []
    }

    /// Must hold `state`.
    private func wake(_ run: Run) {
        guard run.wakeWrite >= 0 else { return }
        var byte: UInt8 = 1
        _ = write(run.wakeWrite, &byte, 1)
    }

    private func loop(_ run: Run) {
        state.lock()
        run.thread = pthread_self()
        run.started = true
        state.unlock()
        var backoff = initialBackoff
        var failed = false
        while !isStopping(run) {
            let began = Self.now()
            do {
                let session = Session(watcher: self, run: run)
                try session.watch(catchUp: failed)
                break  // a session only returns when asked to stop
            } catch {
                failed = true
                // A session that lived a while was healthy: start the backoff over.
                if Self.now() - began > maxBackoff { backoff = initialBackoff }
                warn(run, "\(error); the file watcher starts again in \(Self.format(backoff)) s")
                if pause(run, seconds: backoff) { break }
                backoff = min(backoff * 2, maxBackoff)
            }
        }
        state.lock()
        if run.wakeRead >= 0 { close(run.wakeRead) }
        if run.wakeWrite >= 0 { close(run.wakeWrite) }
        run.wakeRead = -1
        run.wakeWrite = -1
        run.finished = true
        runs.removeAll { $0 === run }
        if runs.isEmpty { publishedFolderCount = 0 }
        state.broadcast()
        state.unlock()
    }

    private func isStopping(_ run: Run) -> Bool {
        state.lock(); defer { state.unlock() }
        return run.stopping
    }

    /// Sleeps up to `seconds`; true when woken by `stop`.
    private func pause(_ run: Run, seconds: TimeInterval) -> Bool {
        let deadline = Self.now() + seconds
        while true {
            if isStopping(run) { return true }
            let left = deadline - Self.now()
            if left <= 0 { return false }
            var milliseconds = Int32(min(ceil(left * 1000), 60_000))
            if run.wakeRead < 0 { milliseconds = min(milliseconds, 100) }
            var fd = pollfd(fd: run.wakeRead, events: Int16(POLLIN), revents: 0)
            _ = poll(&fd, 1, milliseconds)
            Self.drain(run.wakeRead)
        }
    }

    func snapshot(_ run: Run) -> (stopping: Bool, roots: [String], version: Int) {
        state.lock(); defer { state.unlock() }
        return (run.stopping, roots, rootsVersion)
    }

    func publish(folderCount: Int) {
        state.lock(); defer { state.unlock() }
        publishedFolderCount = folderCount
    }

    /// Calls `onChange` unless a stop was asked for: `stop` waits for this
    /// thread, so a callback that passed the check ends before `stop` returns.
    func deliver(_ run: Run, _ root: String) {
        if isStopping(run) { return }
        onChange(root)
    }

    func warn(_ run: Run, _ message: String) {
        if isStopping(run) { return }
        onWarning(message)
    }

    static func now() -> TimeInterval {
        TimeInterval(DispatchTime.now().uptimeNanoseconds) / 1e9
    }

    static func drain(_ fd: Int32) {
        guard fd >= 0 else { return }
        var buffer = [UInt8](repeating: 0, count: 64)
        while read(fd, &buffer, buffer.count) > 0 {}
    }

    static func format(_ seconds: TimeInterval) -> String {
        seconds == seconds.rounded() ? String(Int(seconds)) : String(format: "%.2g", seconds)
    }
}
