import Foundation
import OpenSpecStore

/// The filesystem -> database direction. The working tree, as seen through
/// git, is the truth; the database follows it one batch at a time, inside
/// one write transaction, so a crash leaves the old state or the new one.
public struct Reconciler: Sendable {
    public let store: any SyncStore
    public let fileSystem: FileSystem
    /// The host running it: a run of a project another host owns (taken
    /// over since this host checked) writes nothing. nil: no such check.
    public let host: String?
    /// Called after each change folder is written: (done, total).
    public typealias Progress = (Int, Int) -> Void

    public init(store: any SyncStore, fileSystem: FileSystem = PosixFileSystem(), host: String? = nil) {
        self.store = store
        self.fileSystem = fileSystem
        self.host = host
    }

    public func reconcile(projectId: String, options: ReconcileOptions = ReconcileOptions(),
                          progress: Progress? = nil) throws -> ReconcileSummary {
        let started = Date()
        let runId = UUID().uuidString.lowercased()
        let start = logStart(projectId: projectId, runId: runId, trigger: options.trigger, at: started)
        do {
            // The whole run, git diff included, happens under the database's
            // write lock: two runs for one project can never interleave.
            // A first import writes nearly every page it touches anew.
            let firstImport = start?.firstImport ?? false
            let body = { (writer: any StoreTransaction) throws -> ReconcileSummary in
                guard let project = try writer.project(id: projectId) else {
                    throw SyncError.unknownProject(projectId)
                }
                // Under the write lock, which a take-over needs too: an owner
                // that stalled past its lease cannot write over the new one.
                if let host, let owner = try writer.ownerOtherThan(host, projectId: projectId) {
                    throw owner.refusal(project: project.name)
                }
                var run = ReconcileRun(reconciler: self, writer: writer, project: project, options: options,
                                       started: started, runId: runId, startMark: start?.row, progress: progress)
                let result = try run.execute()
                Trace.mark("run done")
                return result
            }
            return try firstImport ? store.bulkWrite(body) : store.write(body)
        } catch SyncError.tooMuchWork(let reason) {
            // A hand-off to the background, not a failure: nothing ran here, and
            // the background run logs its own start and end.
            if let row = start?.row { try? store.write { try $0.deleteHistory(id: row) } }
            throw SyncError.tooMuchWork(reason)
        } catch let SyncError.notOwner(project, role) {
            // Not this host's run to log: the new owner's runs are the project's history now.
            if let row = start?.row { try? store.write { try $0.deleteHistory(id: row) } }
            throw SyncError.notOwner(project: project, role: role)
        } catch {
            logFailure(error, projectId: projectId, runId: runId, trigger: options.trigger, started: started,
                       startMark: start?.row)
            throw error
        }
    }

    /// The row that marks the run's start, committed on its own before the
    /// run's transaction so subscribers in any process see the sync begin
    /// (the run's summary row, same runId, ends it); nil for an unknown project.
    private func logStart(projectId: String, runId: String, trigger: SyncTrigger,
                          at started: Date) -> (row: Int64, firstImport: Bool)? {
        try? store.write { writer -> (row: Int64, firstImport: Bool)? in
            guard let project = try writer.project(id: projectId) else { return nil }
            let row = try writer.insertHistory(HistoryValues(
                projectId: projectId, specId: nil, runId: runId, direction: .filesystemToDatabase, syncedAt: started,
                success: true, errorMessage: nil, filesChanged: [], triggeredBy: trigger.rawValue,
                action: HistoryAction.started.rawValue, fromCommit: nil, toCommit: nil, durationMs: nil))
            return (row, !project.reconciledOnce)
        }
    }

    /// Leaves a trace of a run that could not happen at all.
    private func logFailure(_ error: Error, projectId: String, runId: String, trigger: SyncTrigger, started: Date,
                            startMark: Int64?) {
        try? store.write { writer in
            try writer.recordProjectError(projectId: projectId, error: "\(error)")
            if try writer.project(id: projectId) != nil {
                try writer.insertRunSummary(HistoryValues(
                    projectId: projectId, specId: nil, runId: runId,
                    direction: .filesystemToDatabase, syncedAt: Date(), success: false,
                    errorMessage: "\(error)", filesChanged: [], triggeredBy: trigger.rawValue,
                    action: HistoryAction.failed.rawValue, fromCommit: nil, toCommit: nil,
                    durationMs: Int(Date().timeIntervalSince(started) * 1000)), startMark: startMark)
            }
        }
    }
}
