import Foundation
internal import CLibgit2

/// What a path holds in HEAD and in the index, for a write that must not touch staged work.
public struct PathEntry: Equatable, Sendable {
    public var id: ObjectID
    public var mode: FileMode
    /// Set where the entry was found above the path asked about.
    public var path: String? = nil
}

extension Repository {
    /// The entry of `path` (relative to the working tree) in HEAD's tree; nil
    /// when HEAD is unborn or lacks the path.
    public func headEntry(at path: String) throws -> PathEntry? {
        guard let head = try headCommit(), let node = try node(at: path, inCommit: head) else { return nil }
        return PathEntry(id: node.id, mode: node.mode)
    }

    /// The stage-0 entry of `path` in the index as it is on disk now; nil when the index lacks it.
    public func indexEntry(at path: String) throws -> PathEntry? {
        let index = try currentIndex(force: false)
        defer { git_index_free(index) }
        guard let entry = git_index_get_bypath(index, path, 0) else { return nil }
        return PathEntry(id: ObjectID(entry.pointee.id), mode: FileMode(gitMode: entry.pointee.mode))
    }

    /// Whether the index holds something for `path` that HEAD does not:
    /// another blob or mode, or the path in one of them only (staged work).
    public func hasStagedChange(at path: String) throws -> Bool {
        try indexEntry(at: path) != headEntry(at: path)
    }

    /// The nearest folder above `path` that HEAD's tree holds as something
    /// other than a folder (a submodule, a file, a link), with its mode; nil
    /// when every folder above it is a folder in HEAD or absent.
    public func headNonFolderAbove(_ path: String) throws -> PathEntry? {
        guard let head = try headCommit() else { return nil }
        let components = path.split(separator: "/").dropLast()
        var prefix = ""
        for component in components {
            prefix += (prefix.isEmpty ? "" : "/") + component
            guard let node = try node(at: prefix, inCommit: head) else { return nil }
            if !node.isTree { return PathEntry(id: node.id, mode: node.mode, path: prefix) }
        }
        return nil
    }
}
