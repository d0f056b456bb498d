import Foundation
import Logging
import OpenSpecStore
import ServiceLifecycle

/// The long-running process (`openspec-sync run`): the scan loop every
/// interval — the guarantee, since `reset --hard`, `stash pop` and a
/// conflicted merge fire no hook — plus, optionally, the file watcher for
/// uncommitted edits. On SIGINT or SIGTERM the round in flight finishes its
/// transaction, then the process exits 0.
public final class SyncDaemon: Service, @unchecked Sendable {
    private let engine: SyncEngine
    private let options: ScanOptions
    private let watch: Bool
    private let logger: Logger
    private let retries = RetrySchedule()
    /// Scan rounds and the watcher's reconciles run here, off the cooperative
    /// pool, so signal handling never waits behind them; two threads, so a
    /// watched edit is not held up by a long round.
    private let workers = EngineWorkers(readThreads: 0, writeThreads: 2)
    /// The heartbeat's own thread: a long round never holds back a lease renewal.
    private let heartbeats = EngineWorkers(readThreads: 0, writeThreads: 1)
    private var watcher: FileWatcher?

    public init(engine: SyncEngine, options: ScanOptions, watch: Bool, logger: Logger) {
        self.engine = engine
        self.options = options
        self.watch = watch
        self.logger = logger
    }

    public func run() async throws {
        if watch { startWatcher() }
        let beating = Task { [self] in await beat() }
        logger.info("openspec-sync: scanning every \(options.interval) s\(watch ? ", watching for edits" : ""); Ctrl-C or SIGTERM stops")
        var pruned: Date?
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            if pruned.map({ Date().timeIntervalSince($0) >= HistoryRetention.interval }) ?? true {
                pruned = Date()
                _ = try? await workers.write { [self] in pruneHistory() }
            }
            guard let round = try? await workers.write({ [engine, options, retries] in engine.scanRound(options, retries: retries) })
            else { break }
            for warning in round.warnings { logger.warning("\(warning)") }
            for failure in round.failures { logger.error("\(failure)") }
            logger.info("\(round.line)")
            if watch { refreshWatchedRoots() }
            do {
                try await cancelWhenGracefulShutdown { [interval = options.interval] in
                    try await Task.sleep(nanoseconds: UInt64(interval * 1_000_000_000))
                }
            } catch {
                break  // shutting down
            }
        }
        watcher?.stop()
        beating.cancel()
        await beating.value
        await workers.shutdown()
        // Standbys take the projects at their next round instead of waiting for the leases to run out.
        if (try? await heartbeats.write { [engine] in try engine.releaseLeases() }) == nil {
            logger.warning("openspec-sync: could not let go of this host's leases; standbys take over when they run out")
        }
        await heartbeats.shutdown()
        logger.info("openspec-sync: stopped")
    }

    /// Every second (a third of the interval when that is shorter): renews
    /// this host's leases for one interval, and writes the edits other hosts
    /// queued for its projects. A lease lost is logged.
    private func beat() async {
        let period = min(1, options.interval / 3)
        var held: Set<String> = []
        while !Task.isCancelled {
            do {
                let beat = try await heartbeats.write { [engine, options] in try engine.heartbeat(lease: options.interval) }
                for lost in held.subtracting(beat.held) {
                    let name = (try? engine.store.project(id: lost))?.map(\.name) ?? lost
                    logger.warning("openspec-sync: this host no longer holds project \(name): another host took it over")
                }
                held = beat.held
                for projectId in beat.claimed { flushClaimed(projectId) }
            } catch {
                logger.error("openspec-sync: heartbeat: \(error)")
            }
            try? await Task.sleep(nanoseconds: UInt64(period * 1_000_000_000))
        }
    }

    /// Writes the edits another host queued for a project this host owns.
    private func flushClaimed(_ projectId: String) {
        _ = workers.startWrite { [engine, logger] in
            do {
                guard let project = try engine.store.project(id: projectId) else { return }
                let outcomes = try engine.flushPendingWrites(project: project, trigger: .userEdit)
                if !outcomes.isEmpty { logger.info("openspec-sync: \(project.name): \(outcomes.count) queued edit(s) carried out") }
            } catch {
                logger.error("openspec-sync: queued edits of project \(projectId): \(error)")
            }
        }
    }

    /// Drops history rows past the retention (see `HistoryRetention`); a
    /// failure is logged and tried again at the next hour.
    private func pruneHistory() {
        do {
            let deleted = try engine.pruneHistory(options.retention)
            if deleted > 0 { logger.info("openspec-sync: pruned \(deleted) history row(s) older than \(options.retention.days) days") }
        } catch {
            logger.error("openspec-sync: could not prune the history: \(error)")
        }
    }

    // MARK: File watcher

    private func openspecRoots() -> [String: ProjectRecord] {
        (try? engine.localOpenSpecRoots()) ?? [:]
    }

    private func startWatcher() {
        let watcher = FileWatcher(
            roots: Array(openspecRoots().keys),
            onChange: { [weak self] root in self?.watchedChange(root) },
            onWarning: { [logger] message in logger.warning("watcher: \(message)") })
        self.watcher = watcher
        watcher.start()
    }

    /// New projects (a projects folder) get watched after the round that found them.
    private func refreshWatchedRoots() {
        for root in openspecRoots().keys { watcher?.add(root: root) }
    }

    private func watchedChange(_ root: String) {
        workers.startWrite { [self] in
            guard let project = openspecRoots()[root] else { return }
            let options = ReconcileOptions(trigger: .fileWatcher, maxFileBytes: self.options.maxFileBytes)
            do {
                if case let .ran(summaries) = try engine.reconcileExclusively(project, options: options, mode: .coalesce) {
                    let changed = summaries.reduce(0) { $0 + $1.changedCount }
                    if changed > 0 { logger.info("watcher: \(project.name): \(changed) change(s) synced") }
                }
            } catch SyncError.notOwner {
                // A standby's clone: its owner syncs the project.
            } catch {
                logger.error("watcher: \(project.name): \(error)")
            }
        }
    }
}
