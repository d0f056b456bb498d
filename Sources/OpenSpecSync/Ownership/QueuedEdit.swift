import Foundation
import OpenSpecStore

/// An edit stored for the host that owns its project, which writes it (see
/// `SyncDaemon`): the caller waits for its outcome until `deadline`.
public struct QueuedEdit: Sendable {
    public let writeId: Int64
    public let project: ProjectRecord
    public let deadline: Date
}

/// What became of an edit when the call that made it returns: its outcome,
/// or queued for the host that owns its project.
public enum EditStart: Sendable {
    case finished(WriteOutcome)
    case queued(QueuedEdit)
}

extension SyncEngine {
    /// Stored write `id` of a project another host owns, waited for up to `ownerTimeout`.
    func queued(_ id: Int64, project: ProjectRecord) -> EditStart {
        .queued(QueuedEdit(writeId: id, project: project, deadline: Date().addingTimeInterval(ownerTimeout)))
    }

    /// One look at a queued edit: its outcome once the owner wrote it (or
    /// kept it as a conflict); past the deadline, waiting, with the owner's
    /// name; nil while it is still worth waiting. Nothing is lost either way:
    /// the edit is in the database.
    public func outcome(of edit: QueuedEdit, now: Date = Date()) throws -> WriteOutcome? {
        guard let write = try store.pendingWrite(id: edit.writeId) else { throw StoreError.notFound("pending write \(edit.writeId)") }
        if write.status != .pending { return try recordedOutcome(of: write) }
        guard now >= edit.deadline else { return nil }
        let owner = try store.projectOwner(projectId: edit.project.id)?.ownerHost
        let reason = write.lastError.map { ": \($0)" } ?? ""
        return .pending(reason: "waiting for host \(owner ?? "(none yet)"), which owns \(edit.project.name), to write it\(reason)")
    }

    /// The outcome of `start`, waiting on this thread for a queued edit (the
    /// command line; the server waits without holding a thread).
    func waitingHere(_ start: EditStart) throws -> WriteOutcome {
        switch start {
        case let .finished(outcome):
            return outcome
        case let .queued(edit):
            var pauses = QueuedEditPauses()
            while true {
                if let outcome = try outcome(of: edit) { return outcome }
                Thread.sleep(forTimeInterval: pauses.next(before: edit.deadline))
            }
        }
    }
}

/// The pauses between looks at a queued edit: short at first (an owner at
/// work writes it within a heartbeat), at most a quarter of a second, and
/// never past the deadline.
public struct QueuedEditPauses: Sendable {
    private var pause: TimeInterval = 0.02

    public init() {}

    public mutating func next(before deadline: Date) -> TimeInterval {
        defer { pause = min(pause * 2, 0.25) }
        return min(pause, max(0, deadline.timeIntervalSinceNow))
    }
}
