import Foundation
import OpenSpecStore

extension SyncEngine {
    /// The outcome of stored write `id` of a project another host owns: that
    /// host's daemon claims the edit and writes it (see `SyncDaemon`); this
    /// waits for it up to `ownerTimeout`, then reports the edit as waiting.
    /// Nothing is lost either way: the edit is in the database.
    func ownerOutcome(of id: Int64, project: ProjectRecord) throws -> WriteOutcome {
        let deadline = Date().addingTimeInterval(ownerTimeout)
        var pause: TimeInterval = 0.02
        while true {
            guard let write = try store.pendingWrite(id: id) else { throw StoreError.notFound("pending write \(id)") }
            if write.status != .pending { return try recordedOutcome(of: write) }
            if Date() >= deadline {
                let owner = try store.projectOwner(projectId: project.id)?.ownerHost
                let reason = write.lastError.map { ": \($0)" } ?? ""
                return .pending(reason: "waiting for host \(owner ?? "(none yet)"), which owns \(project.name), to write it\(reason)")
            }
            Thread.sleep(forTimeInterval: min(pause, max(0, deadline.timeIntervalSinceNow)))
            pause = min(pause * 2, 0.25)
        }
    }
}
