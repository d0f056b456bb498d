import Foundation
import OpenSpecStore

/// How the scan loop runs. Flags first, then environment, then defaults.
public struct ScanOptions: Sendable {
    /// Seconds between rounds (`--interval`, `OPENSPEC_SYNC_INTERVAL`, 30).
    public var interval: TimeInterval
    /// Specs re-checked per project per round (`--batch`, `OPENSPEC_SYNC_BATCH`, 50).
    public var batch: Int
    /// Projects reconciled at the same time.
    public var concurrency: Int
    /// Every git repository below it with an OpenSpec folder is a project.
    public var projectsDirectory: String?
    public var maxFileBytes: Int
    /// What the daemon prunes from the history, at start and then hourly.
    public var retention: HistoryRetention

    public init(interval: TimeInterval = 30, batch: Int = 50, concurrency: Int = 2,
                projectsDirectory: String? = nil, maxFileBytes: Int = 8 << 20,
                retention: HistoryRetention = HistoryRetention()) {
        self.interval = interval; self.batch = batch; self.concurrency = concurrency
        self.projectsDirectory = projectsDirectory; self.maxFileBytes = maxFileBytes
        self.retention = retention
    }
}

/// What one round of the scan loop did, for its one-line summary.
public struct ScanRound: Sendable, Codable {
    public var projects = 0
    public var changed = 0
    public var rechecked = 0
    public var handedOff = 0
    public var skipped = 0
    /// Projects another host owns, whose clone here stands by.
    public var standby = 0
    public var failures: [String] = []
    public var warnings: [String] = []
    public var durationMs = 0

    public var line: String {
        var text = "scan: \(projects) project(s), \(changed) change(s) synced, \(rechecked) re-checked"
        if handedOff > 0 { text += ", \(handedOff) left to a running sync" }
        if standby > 0 { text += ", \(standby) standing by for another host" }
        if skipped > 0 { text += ", \(skipped) waiting to retry" }
        text += ", \(failures.count) failed (\(durationMs) ms)"
        return text
    }
}

/// When a failing project may be tried again: the interval, doubled per
/// consecutive failure, at most ten minutes.
final class RetrySchedule: @unchecked Sendable {
    private let lock = NSLock()
    private var failures: [String: (count: Int, due: Date)] = [:]

    func isDue(_ projectId: String, now: Date) -> Bool {
        lock.withLock { failures[projectId].map { $0.due <= now } ?? true }
    }

    func failed(_ projectId: String, interval: TimeInterval, now: Date) {
        lock.withLock {
            let count = (failures[projectId]?.count ?? 0) + 1
            let delay = min(interval * pow(2, Double(count - 1)), 600)
            failures[projectId] = (count, now.addingTimeInterval(delay))
        }
    }

    func succeeded(_ projectId: String) { lock.withLock { failures[projectId] = nil } }
}

extension SyncEngine {
    /// Git working trees with an `openspec/` folder directly below `folder`
    /// or one level deeper (hidden folders skipped, no descent into a repository).
    public static func discoverRepositories(in folder: String) -> [String] {
        var found: [String] = []
        func visit(_ path: String, depth: Int) {
            let manager = FileManager.default
            var isDirectory: ObjCBool = false
            if manager.fileExists(atPath: path + "/.git") {
                if manager.fileExists(atPath: path + "/openspec", isDirectory: &isDirectory), isDirectory.boolValue {
                    found.append(path)
                }
                return
            }
            guard depth < 2, let names = try? manager.contentsOfDirectory(atPath: path) else { return }
            for name in names.sorted() where !name.hasPrefix(".") {
                let child = path + "/" + name
                if manager.fileExists(atPath: child, isDirectory: &isDirectory), isDirectory.boolValue {
                    visit(child, depth: depth + 1)
                }
            }
        }
        visit(Configuration.absolute(folder), depth: 0)
        return found
    }

    /// Registers every repository under `folder` not registered yet; returns warnings.
    public func registerProjects(in folder: String) -> [String] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else {
            return ["projects folder \(folder) does not exist; it is looked at again next round"]
        }
        var warnings: [String] = []
        let registered = (try? store.projects()) ?? []
        let clones = ((try? store.projectHosts(projectId: nil)) ?? []).filter { $0.host == host }.map(\.repoPath)
        let known = Set(registered.map(\.repoPath) + clones)
        let names = Set(registered.map(\.name))
        for repo in Self.discoverRepositories(in: folder) where !known.contains(repo) {
            var name = URL(fileURLWithPath: repo).lastPathComponent
            var suffix = 2
            while names.contains(name) { name = URL(fileURLWithPath: repo).lastPathComponent + "-\(suffix)"; suffix += 1 }
            do { _ = try register(repo: repo, name: name, openspecDir: nil) } catch { warnings.append("\(repo): \(error)") }
        }
        return warnings
    }

    /// One round: each project this host owns (taking those whose owner's
    /// lease ran out) reconciled (behind its lock, handing off to a sync
    /// already running), then up to `batch` of its specs not verified for an
    /// interval re-read and compared. One failure never stops the round.
    /// Projects without a clone here are not this host's to scan.
    func scanRound(_ options: ScanOptions, retries: RetrySchedule) -> ScanRound {
        let started = Date()
        var round = ScanRound()
        if let folder = options.projectsDirectory { round.warnings += registerProjects(in: folder) }
        var projects: [ProjectRecord] = []
        let registered: [ProjectRecord]
        do {
            registered = try store.projects()
        } catch {
            round.failures.append("could not read the projects: \(error)")
            registered = []
        }
        for project in registered {
            switch Result(catching: { try ownership(of: project, lease: options.interval) }) {
            case let .success((.owner, current, takenFrom)):
                if let takenFrom {
                    let how = takenFrom.isEmpty ? "taken over (no host held it)" : "taken over from host \(takenFrom), whose lease ran out"
                    round.warnings.append("\(project.name): \(how); comparing this host's clone with the database")
                }
                projects.append(current)
            case .success((.standby, _, _)): round.standby += 1
            case .success((.elsewhere, _, _)): continue
            case let .failure(error): round.failures.append("\(project.name): could not settle its owner: \(error)")
            }
        }
        round.projects = projects.count + round.standby
        let results = RoundResults()
        let due = projects.filter { retries.isDue($0.id, now: started) }
        round.skipped = projects.count - due.count
        let queue = OperationQueue()
        queue.maxConcurrentOperationCount = max(1, options.concurrency)
        for project in due {
            queue.addOperation { [self] in
                do {
                    // Edits held back by a merge, rebase or index.lock: retried first, so
                    // the reconcile below already sees them.
                    do {
                        _ = try flushPendingWrites(project: project)
                    } catch {
                        results.warn("\(project.name): pending write: \(error)")
                    }
                    let stale = try store.staleSpecs(projectId: project.id, before: started.addingTimeInterval(-options.interval),
                                                     limit: options.batch).map(\.path)
                    let reconcileOptions = ReconcileOptions(trigger: .periodic,
                                                            maxFileBytes: options.maxFileBytes, recheck: stale)
                    switch try reconcileOwned(project, options: reconcileOptions, mode: .coalesce) {
                    case let .ran(summaries):
                        let changed = summaries.reduce(0) { $0 + $1.changedCount }
                        let problems = summaries.flatMap(\.problems).map { "\(project.name): \($0.message)" }
                        results.add(changed: changed, rechecked: stale.count, problems: problems)
                    case .handedOff:
                        results.handOff()
                    }
                    retries.succeeded(project.id)
                } catch {
                    retries.failed(project.id, interval: options.interval, now: Date())
                    results.fail("\(project.name): \(error)")
                }
            }
        }
        queue.waitUntilAllOperationsAreFinished()
        results.fill(&round)
        round.durationMs = Int(Date().timeIntervalSince(started) * 1000)
        return round
    }
}

/// Results gathered from the round's concurrent workers.
private final class RoundResults: @unchecked Sendable {
    private let lock = NSLock()
    private var changed = 0, rechecked = 0, handedOff = 0
    private var failures: [String] = []
    private var warnings: [String] = []

    func add(changed: Int, rechecked: Int, problems: [String]) {
        lock.withLock { self.changed += changed; self.rechecked += rechecked; failures += problems }
    }
    func handOff() { lock.withLock { handedOff += 1 } }
    func fail(_ message: String) { lock.withLock { failures.append(message) } }
    func warn(_ message: String) { lock.withLock { warnings.append(message) } }
    func fill(_ round: inout ScanRound) {
        lock.withLock {
            round.changed = changed; round.rechecked = rechecked; round.handedOff = handedOff
            round.failures += failures
            round.warnings += warnings
        }
    }
}
