import Foundation
import OpenSpecSyncTestSupport
import Testing
@testable import OpenSpecSync
#if canImport(Glibc)
import Glibc
#endif

/// Callbacks arrive on the watcher's thread: keep them behind a lock.
private final class Recorder: @unchecked Sendable {
    private let lock = NSLock()
    private var changes: [(root: String, at: TimeInterval)] = []
    private var warningList: [String] = []

    func change(_ root: String) { lock.withLock { changes.append((root, FileWatcher.now())) } }
    func warn(_ message: String) { lock.withLock { warningList.append(message) } }

    func count(_ root: String? = nil) -> Int {
        lock.withLock { changes.filter { root == nil || $0.root == root }.count }
    }
    var roots: [String] { lock.withLock { changes.map(\.root) } }
    var times: [TimeInterval] { lock.withLock { changes.map(\.at) } }
    var warnings: [String] { lock.withLock { warningList } }
}

/// A temporary folder that holds the watched trees.
private struct Tree {
    let base = FileManager.default.temporaryDirectory
        .appendingPathComponent("openspec-sync-watch-\(UUID().uuidString)").path

    init() { try? FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true) }

    func path(_ relative: String) -> String { base + "/" + relative }
    func mkdir(_ relative: String) {
        try? FileManager.default.createDirectory(atPath: path(relative), withIntermediateDirectories: true)
    }
    /// A plain open/write/close, the way an editor saving in place does it.
    func write(_ relative: String, _ text: String = "text\n") {
        let fd = open(path(relative), O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        precondition(fd >= 0, "cannot write \(relative)")
        _ = text.utf8CString.withUnsafeBufferPointer { Glibc.write(fd, $0.baseAddress, $0.count - 1) }
        close(fd)
    }
    func delete(_ relative: String) { try? FileManager.default.removeItem(atPath: path(relative)) }
    func cleanUp() { try? FileManager.default.removeItem(atPath: base) }
}

private func makeWatcher(_ roots: [String], _ recorder: Recorder, retryInterval: TimeInterval = 0.2,
                         maxDelay: TimeInterval = 1, initialBackoff: TimeInterval = 0.5,
                         openInotify: @escaping @Sendable () -> Int32 = FileWatcher.systemInotify) -> FileWatcher {
    FileWatcher(roots: roots, debounce: 0.1, retryInterval: retryInterval, maxDelay: maxDelay,
                initialBackoff: initialBackoff, maxBackoff: 30, openInotify: openInotify,
                onChange: { recorder.change($0) }, onWarning: { recorder.warn($0) })
}

private func pause(_ milliseconds: Int) async { try? await Task.sleep(for: .milliseconds(milliseconds)) }

/// Writes `count` times, `interval` microseconds apart, without suspending
/// (a busy test pool would stretch the gaps). Returns the longest gap.
private func writeBurst(_ tree: Tree, _ relative: String, count: Int, interval: useconds_t) -> TimeInterval {
    var last = FileWatcher.now(), longest: TimeInterval = 0
    for index in 0..<count {
        tree.write(relative, "- [ ] \(index)\n")
        let now = FileWatcher.now()
        longest = max(longest, now - last)
        last = now
        usleep(interval)
    }
    return longest
}

@Suite("File watcher")
struct FileWatcherTests {
    @Test("an edit fires onChange once, within a second")
    func singleEdit() async {
        let tree = Tree()
        defer { tree.cleanUp() }
        tree.mkdir("openspec/changes/a")
        let root = tree.path("openspec")
        let recorder = Recorder()
        let watcher = makeWatcher([root], recorder)
        watcher.start()
        defer { watcher.stop() }
        #expect(watcher.isRunning)
        #expect(await eventually(timeout: 5, every: .milliseconds(5)) { watcher.watchedFolderCount == 3 })

        let began = FileWatcher.now()
        tree.write("openspec/changes/a/proposal.md", "# A\n")
        #expect(await eventually(timeout: 5, every: .milliseconds(5)) { recorder.count() >= 1 })
        #expect((recorder.times.first ?? .infinity) - began < 1)
        await pause(300)
        #expect(recorder.roots == [root])
        #expect(recorder.warnings.isEmpty)
    }

    @Test("50 rapid writes to one file give one call")
    func burstIsDebounced() async {
        let tree = Tree()
        defer { tree.cleanUp() }
        tree.mkdir("openspec/changes/a")
        let recorder = Recorder()
        let watcher = makeWatcher([tree.path("openspec")], recorder)
        watcher.start()
        defer { watcher.stop() }
        #expect(await eventually(timeout: 5, every: .milliseconds(5)) { watcher.watchedFolderCount == 3 })

        let began = FileWatcher.now()
        let longestGap = writeBurst(tree, "openspec/changes/a/tasks.md", count: 50, interval: 5_000)
        let burst = FileWatcher.now() - began
        await pause(500)
        if longestGap < 0.08 && burst < 0.9 {
            #expect(recorder.count() == 1)
        } else {
            // A stalled machine split the burst: each part is a quiet period of its own.
            #expect(recorder.count() >= 1, "gap \(longestGap) s, burst \(burst) s")
        }
    }

    @Test("a file written without pause still fires at least once per maxDelay")
    func constantWritesAreCapped() async {
        let tree = Tree()
        defer { tree.cleanUp() }
        tree.mkdir("openspec")
        let recorder = Recorder()
        let watcher = makeWatcher([tree.path("openspec")], recorder, maxDelay: 0.3)
        watcher.start()
        defer { watcher.stop() }
        #expect(await eventually(timeout: 5, every: .milliseconds(5)) { watcher.watchedFolderCount == 1 })

        let began = FileWatcher.now()
        while FileWatcher.now() - began < 1 {
            tree.write("openspec/log.md")
            await pause(20)
        }
        #expect(recorder.count() >= 2)
        let during = recorder.count()
        await pause(300)
        #expect(recorder.count() <= during + 1)
    }

    @Test("folders created after start are watched, however deep")
    func newFolders() async {
        let tree = Tree()
        defer { tree.cleanUp() }
        tree.mkdir("openspec/changes")
        let root = tree.path("openspec")
        let recorder = Recorder()
        let watcher = makeWatcher([root], recorder)
        watcher.start()
        defer { watcher.stop() }
        #expect(await eventually(timeout: 5, every: .milliseconds(5)) { watcher.watchedFolderCount == 2 })

        tree.mkdir("openspec/changes/new")
        tree.write("openspec/changes/new/tasks.md")
        #expect(await eventually(timeout: 5, every: .milliseconds(5)) { recorder.count() == 1 })
        #expect(watcher.watchedFolderCount == 3)
        tree.write("openspec/changes/new/tasks.md", "again\n")
        #expect(await eventually(timeout: 5, every: .milliseconds(5)) { recorder.count() == 2 })

        // Created in one go: the watch on `deep` may come after `specs/cap` exists.
        tree.mkdir("openspec/changes/deep/specs/cap")
        #expect(await eventually(timeout: 5, every: .milliseconds(5)) { recorder.count() >= 3 && watcher.watchedFolderCount == 6 })
        await pause(200)
        let before = recorder.count()
        tree.write("openspec/changes/deep/specs/cap/spec.md")
        #expect(await eventually(timeout: 5, every: .milliseconds(5)) { recorder.count() == before + 1 })
        #expect(Set(recorder.roots) == [root])
    }

    @Test("a folder renamed inside the tree is watched under its new name")
    func renamedFolder() async throws {
        let tree = Tree()
        defer { tree.cleanUp() }
        tree.mkdir("openspec/changes/old/specs")
        let recorder = Recorder()
        let watcher = makeWatcher([tree.path("openspec")], recorder)
        watcher.start()
        defer { watcher.stop() }
        #expect(await eventually(timeout: 5, every: .milliseconds(5)) { watcher.watchedFolderCount == 4 })

        #expect(rename(tree.path("openspec/changes/old"), tree.path("openspec/changes/new")) == 0)
        #expect(await eventually(timeout: 5, every: .milliseconds(5)) { recorder.count() == 1 })
        tree.write("openspec/changes/new/specs/spec.md")
        #expect(await eventually(timeout: 5, every: .milliseconds(5)) { recorder.count() == 2 })

        // Moved out of the tree: its watches go, and writes there are not reported.
        try FileManager.default.moveItem(atPath: tree.path("openspec/changes/new"), toPath: tree.path("outside"))
        #expect(await eventually(timeout: 5, every: .milliseconds(5)) { recorder.count() == 3 })
        #expect(await eventually(timeout: 5, every: .milliseconds(5)) { watcher.watchedFolderCount == 2 })
        tree.write("outside/specs/spec.md")
        await pause(300)
        #expect(recorder.count() == 3)
    }

    @Test("ignored names (swap, backup, hidden) fire nothing")
    func ignoredNames() async {
        let tree = Tree()
        defer { tree.cleanUp() }
        tree.mkdir("openspec/changes/a")
        let recorder = Recorder()
        let watcher = makeWatcher([tree.path("openspec")], recorder)
        watcher.start()
        defer { watcher.stop() }
        #expect(await eventually(timeout: 5, every: .milliseconds(5)) { watcher.watchedFolderCount == 3 })

        tree.write("openspec/changes/a/.foo.swp")
        tree.write("openspec/changes/a/x~")
        tree.write("openspec/changes/a/proposal.md.orig")
        tree.mkdir("openspec/.cache")
        tree.write("openspec/.cache/state.md")
        tree.delete("openspec/changes/a/x~")
        await pause(400)
        #expect(recorder.count() == 0)
        #expect(watcher.watchedFolderCount == 3)

        // The control: the same folder does report real content, .openspec.yaml included.
        tree.write("openspec/changes/a/.openspec.yaml", "schema: spec-driven\n")
        #expect(await eventually(timeout: 5, every: .milliseconds(5)) { recorder.count() == 1 })
    }

    @Test("a missing root is reported, retried, and picked up when it appears")
    func missingRoot() async {
        let tree = Tree()
        defer { tree.cleanUp() }
        let root = tree.path("openspec")
        let recorder = Recorder()
        let watcher = makeWatcher([root], recorder, retryInterval: 0.2)
        watcher.start()
        defer { watcher.stop() }
        #expect(await eventually(timeout: 5, every: .milliseconds(5)) { !recorder.warnings.isEmpty })
        #expect(recorder.warnings.first?.contains(root) == true)
        await pause(300)
        #expect(recorder.warnings.count == 1, "one warning while it stays missing")

        tree.mkdir("openspec/changes")
        let appeared = FileWatcher.now()
        #expect(await eventually(timeout: 5, every: .milliseconds(5)) { recorder.count() == 1 })
        // Found at the next retry (0.2 s), reported after the quiet period (0.1 s).
        #expect((recorder.times.first ?? .infinity) - appeared < 0.2 + 0.1 + 0.5)
        #expect(await eventually(timeout: 5, every: .milliseconds(5)) { watcher.watchedFolderCount == 2 })
        tree.write("openspec/changes/tasks.md")
        #expect(await eventually(timeout: 5, every: .milliseconds(5)) { recorder.count() == 2 })
        #expect(recorder.roots == [root, root])
    }

    @Test("a root deleted while watched is reported and watched again when recreated")
    func deletedRoot() async {
        let tree = Tree()
        defer { tree.cleanUp() }
        tree.mkdir("openspec/changes/a")
        let root = tree.path("openspec")
        let recorder = Recorder()
        let watcher = makeWatcher([root], recorder, retryInterval: 0.2)
        watcher.start()
        defer { watcher.stop() }
        #expect(await eventually(timeout: 5, every: .milliseconds(5)) { watcher.watchedFolderCount == 3 })

        tree.delete("openspec")
        #expect(await eventually(timeout: 5, every: .milliseconds(5)) { recorder.count() == 1 })
        #expect(await eventually(timeout: 5, every: .milliseconds(5)) { recorder.warnings.count == 1 })
        #expect(watcher.watchedFolderCount == 0)

        tree.mkdir("openspec")
        #expect(await eventually(timeout: 5, every: .milliseconds(5)) { recorder.count() == 2 })
        #expect(await eventually(timeout: 5, every: .milliseconds(5)) { watcher.watchedFolderCount == 1 })
        tree.write("openspec/project.md")
        #expect(await eventually(timeout: 5, every: .milliseconds(5)) { recorder.count() == 3 })
    }

    @Test("stop ends promptly, and no callback fires after it returns")
    func stopIsPromptAndFinal() async {
        let tree = Tree()
        defer { tree.cleanUp() }
        tree.mkdir("openspec")
        let recorder = Recorder()
        let watcher = makeWatcher([tree.path("openspec")], recorder)
        watcher.start()
        watcher.start()  // idempotent
        #expect(await eventually(timeout: 5, every: .milliseconds(5)) { watcher.watchedFolderCount == 1 })

        let wrote = FileWatcher.now()
        tree.write("openspec/a.md")  // its quiet period has not ended when stop comes
        let began = FileWatcher.now()
        watcher.stop()
        let stopped = FileWatcher.now()
        #expect(stopped - began < 0.5)
        #expect(!watcher.isRunning)
        let atStop = recorder.count()
        watcher.stop()  // idempotent
        tree.write("openspec/b.md")
        await pause(300)
        #expect(recorder.count() == atStop)
        if stopped - wrote < 0.09 { #expect(atStop == 0, "the pending change is dropped") }

        // It can be started again.
        watcher.start()
        defer { watcher.stop() }
        #expect(await eventually(timeout: 5, every: .milliseconds(5)) { watcher.watchedFolderCount == 1 })
        tree.write("openspec/c.md")
        #expect(await eventually(timeout: 5, every: .milliseconds(5)) { recorder.count() == 1 })
    }

    @Test("stop waits for a callback in progress to end")
    func stopWaitsForCallback() async {
        let tree = Tree()
        defer { tree.cleanUp() }
        tree.mkdir("openspec")
        let entered = Counter(), finished = Counter()
        let watcher = FileWatcher(roots: [tree.path("openspec")], debounce: 0.05, retryInterval: 0.2,
                                  onChange: { _ in _ = entered.increment(); usleep(300_000); _ = finished.increment() })
        watcher.start()
        #expect(await eventually(timeout: 5, every: .milliseconds(5)) { watcher.watchedFolderCount == 1 })
        tree.write("openspec/a.md")
        #expect(await eventually(timeout: 5, every: .milliseconds(5)) { entered.value == 1 })
        watcher.stop()
        #expect(finished.value == 1, "stop returned while onChange was still running")
    }

    @Test("stop called from inside a callback does not deadlock")
    func stopFromCallback() async {
        let tree = Tree()
        defer { tree.cleanUp() }
        tree.mkdir("openspec")
        let box = WatcherBox()
        let recorder = Recorder()
        let watcher = FileWatcher(roots: [tree.path("openspec")], debounce: 0.05, retryInterval: 0.2,
                                  onChange: { root in recorder.change(root); box.watcher?.stop() })
        box.watcher = watcher
        watcher.start()
        #expect(await eventually(timeout: 5, every: .milliseconds(5)) { watcher.watchedFolderCount == 1 })
        tree.write("openspec/a.md")
        #expect(await eventually(timeout: 5, every: .milliseconds(5)) { !watcher.isRunning })
        watcher.stop()
        #expect(recorder.count() == 1)
        box.watcher = nil
    }

    @Test("two roots are debounced independently")
    func twoRoots() async {
        let tree = Tree()
        defer { tree.cleanUp() }
        tree.mkdir("one/openspec")
        tree.mkdir("two/openspec")
        let one = tree.path("one/openspec"), two = tree.path("two/openspec")
        let recorder = Recorder()
        let watcher = makeWatcher([one, two], recorder)
        watcher.start()
        defer { watcher.stop() }
        #expect(await eventually(timeout: 5, every: .milliseconds(5)) { watcher.watchedFolderCount == 2 })

        // `one` stays busy for ~400 ms; a single write to `two` must not wait for it.
        tree.write("two/openspec/a.md")
        let longestGap = writeBurst(tree, "one/openspec/a.md", count: 8, interval: 50_000)
        let burstEnded = FileWatcher.now()
        #expect(await eventually(timeout: 5, every: .milliseconds(5)) { recorder.count(one) >= 1 })
        await pause(200)
        #expect(recorder.roots.first == two)
        #expect(recorder.count(two) == 1)
        #expect((recorder.times.first ?? .infinity) < burstEnded, "two waited for one's burst")
        if longestGap < 0.08 { #expect(recorder.count(one) == 1) }
    }

    @Test("roots can be added and removed while running")
    func addAndRemove() async {
        let tree = Tree()
        defer { tree.cleanUp() }
        tree.mkdir("openspec/changes")
        let root = tree.path("openspec")
        let recorder = Recorder()
        let watcher = makeWatcher([], recorder)
        watcher.start()
        defer { watcher.stop() }

        watcher.add(root: root)
        #expect(await eventually(timeout: 5, every: .milliseconds(5)) { watcher.watchedFolderCount == 2 })
        tree.write("openspec/changes/a.md")
        #expect(await eventually(timeout: 5, every: .milliseconds(5)) { recorder.count() == 1 })

        watcher.remove(root: root)
        #expect(await eventually(timeout: 5, every: .milliseconds(5)) { watcher.watchedFolderCount == 0 })
        tree.write("openspec/changes/b.md")
        await pause(300)
        #expect(recorder.count() == 1)
        #expect(recorder.roots == [root])
    }

    @Test("an overflowing event queue reports every root and finds folders whose events were lost")
    func queueOverflow() async {
        let tree = Tree()
        defer { tree.cleanUp() }
        tree.mkdir("openspec")
        let root = tree.path("openspec")
        let calls = Counter()
        let release = DispatchSemaphore(value: 0)
        // The first callback holds the watcher thread while the queue fills up.
        let watcher = FileWatcher(roots: [root], debounce: 0.05, retryInterval: 0.2, onChange: { _ in
            // Held until released (the writes below can take long on a busy machine).
            if calls.increment() == 1 { _ = release.wait(timeout: .now() + 120) }
        })
        watcher.start()
        defer { watcher.stop() }
        #expect(await eventually(timeout: 5, every: .milliseconds(5)) { watcher.watchedFolderCount == 1 })
        tree.write("openspec/a.md")
        #expect(await eventually(timeout: 5, every: .milliseconds(5)) { calls.value == 1 })

        // Each in-place write queues IN_MODIFY and IN_CLOSE_WRITE.
        let limit = (try? String(contentsOfFile: "/proc/sys/fs/inotify/max_queued_events", encoding: .utf8))
            .flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) } ?? 16_384
        for _ in 0...(limit / 2 + 100) { tree.write("openspec/a.md") }
        tree.mkdir("openspec/late")  // its IN_CREATE is lost in the overflow
        release.signal()
        #expect(await eventually(timeout: 5, every: .milliseconds(5)) { calls.value >= 2 })
        #expect(await eventually(timeout: 5, every: .milliseconds(5)) { watcher.watchedFolderCount == 2 })
        await pause(300)
        let before = calls.value
        tree.write("openspec/late/tasks.md")
        #expect(await eventually(timeout: 5, every: .milliseconds(5)) { calls.value == before + 1 })
    }

    @Test("a failing inotify is reported and the loop starts again with backoff")
    func restartsWithBackoff() async {
        let tree = Tree()
        defer { tree.cleanUp() }
        tree.mkdir("openspec")
        let root = tree.path("openspec")
        let attempts = Counter()
        let recorder = Recorder()
        let watcher = makeWatcher([root], recorder, initialBackoff: 0.1, openInotify: {
            if attempts.increment() <= 2 { errno = EMFILE; return -1 }
            return FileWatcher.systemInotify()
        })
        let began = FileWatcher.now()
        watcher.start()
        defer { watcher.stop() }
        #expect(await eventually(timeout: 5, every: .milliseconds(5)) { watcher.watchedFolderCount == 1 })
        // Two failures: pauses of 0.1 s and then 0.2 s.
        #expect(FileWatcher.now() - began >= 0.3)
        #expect(attempts.value == 3)
        #expect(recorder.warnings.count == 2)
        #expect(recorder.warnings.allSatisfy { $0.contains("inotify") && $0.contains("starts again") })

        // Events of the gap are unknown: the new session reports every root once.
        #expect(await eventually(timeout: 5, every: .milliseconds(5)) { recorder.count() == 1 })
        await pause(150)
        tree.write("openspec/a.md")
        #expect(await eventually(timeout: 5, every: .milliseconds(5)) { recorder.count() == 2 })
    }
}

private final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func increment() -> Int { lock.withLock { count += 1; return count } }
    var value: Int { lock.withLock { count } }
}

private final class WatcherBox: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: FileWatcher?
    var watcher: FileWatcher? {
        get { lock.withLock { stored } }
        set { lock.withLock { stored = newValue } }
    }
}
