import Foundation
import OpenSpecGit
import OpenSpecStore

/// One kept conflict, as `conflicts` shows it.
public struct ConflictView: Codable, Sendable, Equatable {
    public var id: Int64
    public var project: String
    public var specId: String?
    public var changeId: String?
    public var specPath: String?
    /// The file, relative to the change folder.
    public var path: String
    /// When the database edit was made, when the file was last seen changed, when the two were last in step.
    public var dbModifiedAt: Date?
    public var filesystemModifiedAt: Date?
    public var lastSyncedAt: Date?
    public var detectedAt: Date
    public var resolvedAt: Date?
    public var resolution: String?
    /// The kept (losing) edit, when it is UTF-8 text.
    public var keptContent: String?
    public var keptBytes: Int
    /// Why the edit was kept instead of written.
    public var reason: String?
}

/// How to close a conflict.
public enum ConflictResolution: String, Sendable, CaseIterable {
    /// Keep the file as it is; the kept edit is dropped from the open list (the row stays as a record).
    case filesystem
    /// Write the kept edit over the file as it is now, as a new edit.
    case reapply
}

extension SyncEngine {
    /// Open conflicts (and resolved ones with `includeResolved`), newest first.
    public func conflicts(projectId: String?, specId: String? = nil, includeResolved: Bool = false) throws -> [ConflictView] {
        let names = try projectNames()
        return try store.conflicts(projectId: projectId, specId: specId, includeResolved: includeResolved).map { row in
            let spec = try row.specId.flatMap { try store.spec(id: $0) }
            return ConflictView(
                id: row.id, project: names[row.projectId] ?? row.projectId, specId: row.specId,
                changeId: spec?.changeId, specPath: spec?.path, path: row.path, dbModifiedAt: row.dbModifiedAt,
                filesystemModifiedAt: row.filesystemModifiedAt, lastSyncedAt: row.lastSyncedAt,
                detectedAt: row.detectedAt, resolvedAt: row.resolvedAt, resolution: row.resolution,
                keptContent: String(validating: [UInt8](row.dbContent), as: UTF8.self), keptBytes: row.dbContent.count, reason: row.reason)
        }
    }

    /// The open conflict of `spec` to resolve: conflict `id` when given, else
    /// the only open one. Throws `unknownConflict` when there is none, and
    /// `severalConflicts` when the caller must say which.
    public func openConflict(of spec: SpecSummary, id: Int64?) throws -> ConflictView {
        let open = try conflicts(projectId: spec.projectId, specId: spec.id)
        if let id {
            guard let found = open.first(where: { $0.id == id }) else {
                throw SyncError.unknownConflict(id: id, change: spec.changeId)
            }
            return found
        }
        if open.count == 1 { return open[0] }
        if open.isEmpty { throw SyncError.unknownConflict(id: nil, change: spec.changeId) }
        throw SyncError.severalConflicts(change: spec.changeId, ids: open.map(\.id))
    }

    /// Closes conflict `id`. `.filesystem` keeps the file; `.reapply` submits
    /// the kept content as a new edit based on the file as it is now and
    /// returns what became of it.
    @discardableResult
    public func resolveConflict(_ id: Int64, resolution: ConflictResolution,
                                trigger: SyncTrigger = .userEdit) throws -> WriteOutcome? {
        try startResolvingConflict(id, resolution: resolution, trigger: trigger).map(waitingHere)
    }

    /// `resolveConflict`, with a re-applied edit of a project another host
    /// owns returned queued, as `startEdit` does.
    public func startResolvingConflict(_ id: Int64, resolution: ConflictResolution,
                                       trigger: SyncTrigger = .userEdit) throws -> EditStart? {
        guard let conflict = try store.conflict(id: id), conflict.resolvedAt == nil else {
            throw SyncError.unknownConflict(id: id, change: nil)
        }
        var spec: SpecSummary?
        if resolution == .reapply {
            guard let specId = conflict.specId, let found = try store.specSummaries(projectId: conflict.projectId)
                .first(where: { $0.id == specId }) else {
                throw SyncError.changeGone(conflict.path)
            }
            spec = found
            // The database must match the file the edit is now based on.
            // (On another host's project, its owner reconciles as it writes the edit.)
            if let project = try store.project(id: conflict.projectId), try role(in: project).isOwner {
                _ = try reconcileExclusively(project, options: ReconcileOptions(trigger: trigger, maxFileBytes: maxFileBytes), mode: .wait)
            }
        }
        guard try store.write({ w in try w.resolveConflict(id: id, resolution: resolution.rawValue, at: Date()) }) else {
            throw SyncError.unknownConflict(id: id, change: nil)
        }
        guard let spec else { return nil }
        return try startEdit(spec: spec, file: conflict.path, content: [UInt8](conflict.dbContent), trigger: trigger)
    }
}
