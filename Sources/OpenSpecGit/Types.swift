import Foundation

/// What the repository is in the middle of, as `.git` records it.
public enum RepositoryState: Sendable, Equatable, CustomStringConvertible {
    case clean, merge, revert, cherryPick, bisect, rebase, rebaseInteractive, rebaseMerge
    case applyMailbox, applyMailboxOrRebase
    case other(Int32)

    /// True for anything but `.clean`: sync writes must wait until the user finishes.
    public var isMidOperation: Bool { self != .clean }

    /// Words a user recognises in a status line ("mid-merge").
    public var description: String {
        switch self {
        case .clean: "clean"
        case .merge: "mid-merge"
        case .revert: "mid-revert"
        case .cherryPick: "mid-cherry-pick"
        case .bisect: "mid-bisect"
        case .rebase, .rebaseInteractive, .rebaseMerge: "mid-rebase"
        case .applyMailbox: "mid-am"
        case .applyMailboxOrRebase: "mid-am-or-rebase"
        case .other(let raw): "in an unknown operation (\(raw))"
        }
    }
}

/// A tree entry's mode, as git stores it.
public enum FileMode: UInt32, Sendable, Codable {
    case regular = 0o100644
    case executable = 0o100755
    case symlink = 0o120000
    case tree = 0o040000
    case submodule = 0o160000
    case unknown = 0

    /// Maps a raw git mode; old repositories may hold 100664, which git reads as regular.
    public init(gitMode: UInt32) {
        if let mode = FileMode(rawValue: gitMode) {
            self = mode
        } else if gitMode & 0o170000 == 0o100000 {
            self = gitMode & 0o111 != 0 ? .executable : .regular
        } else {
            self = .unknown
        }
    }

    /// A file whose content is a blob (regular, executable or symlink).
    public var isBlob: Bool { self == .regular || self == .executable || self == .symlink }
}

/// One file in a commit's tree.
public struct TreeFile: Sendable, Equatable {
    /// Repository-relative, '/' separated.
    public let path: String
    public let id: ObjectID
    public let mode: FileMode

    public init(path: String, id: ObjectID, mode: FileMode) {
        self.path = path
        self.id = id
        self.mode = mode
    }
}

public enum PathChangeKind: String, Sendable {
    case added, deleted, modified, renamed, typeChanged, untracked, conflicted
}

/// One path that differs between two states (two trees, or HEAD and the working tree).
public struct PathChange: Sendable, Equatable, CustomStringConvertible {
    public let kind: PathChangeKind
    public let oldPath: String?
    public let newPath: String?
    /// nil when unknown (e.g. a working-tree file libgit2 did not hash) or absent.
    public let oldID: ObjectID?
    /// nil when unknown (e.g. a working-tree file libgit2 did not hash) or absent.
    public let newID: ObjectID?

    public init(kind: PathChangeKind, oldPath: String?, newPath: String?, oldID: ObjectID?, newID: ObjectID?) {
        precondition(oldPath != nil || newPath != nil, "a path change needs at least one path")
        self.kind = kind
        self.oldPath = oldPath
        self.newPath = newPath
        self.oldID = oldID
        self.newID = newID
    }

    /// The path the change is about: the new one, or the old one for deletions.
    public var path: String { newPath ?? oldPath ?? "" }

    public var description: String { "\(kind.rawValue) \(path)" }
}

/// A commit's metadata, copied out of libgit2.
public struct CommitInfo: Sendable, Equatable {
    public let id: ObjectID
    public let parents: [ObjectID]
    /// The first paragraph of the message, on one line.
    public let summary: String
    public let message: String
    public let authorName: String
    public let authorEmail: String
    /// The committer time: what history order (and `git log`) follows.
    public let time: Date
    public let authorTime: Date
    public let committerName: String
    public let committerEmail: String
}

/// One file to commit: new content, or a deletion.
public struct FileWrite: Sendable, Equatable {
    /// Repository-relative, '/' separated.
    public let path: String
    /// nil deletes the path.
    public let content: [UInt8]?
    /// nil keeps the mode HEAD's tree has for the path (regular when absent or not a plain file).
    public let mode: FileMode?

    public init(path: String, content: [UInt8]?, mode: FileMode? = nil) {
        self.path = path
        self.content = content
        self.mode = mode
    }

    public static func delete(_ path: String) -> FileWrite {
        FileWrite(path: path, content: nil, mode: nil)
    }
}

/// Who a commit is by; the time is taken when the commit is made.
public struct Signature: Sendable, Equatable {
    public let name: String
    public let email: String

    public init(name: String, email: String) {
        self.name = name
        self.email = email
    }
}
