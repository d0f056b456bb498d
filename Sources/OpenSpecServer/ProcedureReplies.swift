import Foundation
import OpenSpecStore
import OpenSpecSync

// The JSON shapes of the procedures' results.

/// `specs.get`: `show --json`, with each file's content and version. The
/// reply is written by `SpecReplyJSON`; this encoding is the shape it keeps.
struct SpecReply: Encodable {
    var detail: SpecDetail
    var files: [SpecFileReply]
    func encode(to encoder: Encoder) throws {
        try detail.encode(to: encoder)
        // The same object: `files` replaces the detail's list, which has no content.
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(files, forKey: .files)
    }
    enum CodingKeys: String, CodingKey { case files }
}

struct SpecFileReply: Encodable {
    var path: String
    var version: String
    var blobId: String
    var size: Int
    var isUTF8: Bool
    /// Null when the file is not UTF-8 (or was over the size cap).
    var content: String?
    func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(path, forKey: .path)
        try container.encode(version, forKey: .version)
        try container.encode(blobId, forKey: .blobId)
        try container.encode(size, forKey: .size)
        try container.encode(isUTF8, forKey: .isUTF8)
        try container.encode(content, forKey: .content)
    }
    enum CodingKeys: String, CodingKey { case path, version, blobId, size, isUTF8, content }
}

/// `sync.getStatus` for one project.
struct ProjectSyncStatus: Encodable {
    var projectId: String
    var project: String
    var lastSyncedAt: Date?
    var lastCommit: String?
    var syncError: String?
    var pendingWrites: Int
    var openConflicts: Int
    var pendingPaths: Int
    var lastRun: HistoryItem?
    /// Paths left out on purpose: a name that is not UTF-8, a submodule.
    var skipped: [SkippedPath]
}

/// `sync.getStatus` for one change.
struct SpecSyncStatus: Encodable {
    var specId: String
    var changeId: String
    var path: String
    var project: String
    var status: String
    var lastSyncedAt: Date?
    var lastCommit: String?
    var syncError: String?
    var pendingWrites: Int
    var openConflicts: Int
    var lastHistory: HistoryItem?
}

struct StatusReply: Encodable {
    var projects: [ProjectSyncStatus]
    var spec: SpecSyncStatus?
    func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(projects, forKey: .projects)
        try container.encode(spec, forKey: .spec)  // null, not absent, without specId
    }
    enum CodingKeys: String, CodingKey { case projects, spec }
}

struct ForceSyncReply: Encodable {
    var summaries: [ReconcileSummary]
    /// Edits that still wait to be written, with why.
    var waitingEdits: [String]
}

