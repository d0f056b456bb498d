/// How a reconcile compared (`ReconcileSummary.mode`).
public enum ReconcileMode: String, Codable, Sendable {
    /// Every change folder and main spec.
    case full
    /// What git's diff, the stamps and the last run's leftovers point at.
    case incremental
}

import OpenSpecStore

/// One spec the run created, changed, moved or removed.
public struct ReconcileChange: Codable, Sendable, Equatable {
    public var specId: String
    public var path: String
    public var action: HistoryAction
    public var files: [String]
    public var error: String?
}

/// A file that could not be synced this time; the rest of the batch went on.
public struct FileProblem: Codable, Sendable, Equatable {
    public var path: String
    public var message: String
}

/// What a reconcile did.
public struct ReconcileSummary: Codable, Sendable {
    public var projectId: String
    public var projectName: String
    public var runId: String
    public var mode: ReconcileMode
    /// Why a full compare ran when an incremental one was asked for.
    public var fullReason: String?
    public var fromCommit: String?
    public var toCommit: String?
    public var created = 0
    public var updated = 0
    public var archived = 0
    public var unarchived = 0
    public var removed = 0
    public var restored = 0
    public var failed = 0
    public var mainSpecsChanged = 0
    /// Change folders read this run.
    public var examined = 0
    /// The first `listLimit` changes; `changesOmitted` counts the rest.
    public var changes: [ReconcileChange] = []
    public var changesOmitted = 0
    public var problems: [FileProblem] = []
    public var durationMs = 0

    public var changedCount: Int { created + updated + archived + unarchived + removed + restored }
    public static let listLimit = 1000
    public var succeeded: Bool { problems.isEmpty }
}
