import Foundation
internal import CLibgit2

extension Repository {
    /// Finishes a commit of this tool whose index update never happened (the
    /// process was killed between moving HEAD and writing the index, see
    /// `commitFiles`), and returns the paths it set, sorted.
    ///
    /// Only when HEAD is a commit `isOwn` accepts: for each path HEAD changed
    /// relative to its first parent, a stage-0 index entry that still equals
    /// the parent's (or is absent where the parent lacked the path) while it
    /// differs from HEAD's is the pre-commit state, and is set to HEAD's
    /// entry. An entry equal to neither is the user's own staged work and is
    /// left alone, as is every other path. Nothing is done while `index.lock`
    /// exists (it is never removed here) or while a merge, rebase, ... is in
    /// progress: the next run repairs it.
    public func repairIndexAfterOwnCommit(isOwn: (CommitInfo) -> Bool) throws -> [String] {
        guard let head = try headCommit() else { return [] }
        let info = try commit(head)
        guard info.parents.count <= 1, isOwn(info), !state.isMidOperation,
              !FileManager.default.fileExists(atPath: gitDir + "/index.lock") else { return [] }
        let parent = info.parents.first
        let changed = try diff(from: parent, to: head, under: "")
        let paths = Set(changed.flatMap { [$0.oldPath, $0.newPath].compactMap { $0 } })

        let index = try currentIndex(force: false)
        defer { git_index_free(index) }
        var stale: [String] = []
        for path in paths.sorted(by: pathPrecedes) {
            if (1...3).contains(where: { git_index_get_bypath(index, path, Int32($0)) != nil }) { continue }
            let staged = git_index_get_bypath(index, path, 0).map {
                PathEntry(id: ObjectID($0.pointee.id), mode: FileMode(gitMode: $0.pointee.mode))
            }
            let committed = try entry(at: path, inCommit: head)
            let before = try parent.flatMap { try entry(at: path, inCommit: $0) }
            if staged != committed && staged == before { stale.append(path) }
        }
        guard !stale.isEmpty else { return [] }
        try syncIndexWithHead(paths: stale)
        return stale
    }

    /// The file at `path` in a commit as an index would hold it; nil when absent or not a file.
    private func entry(at path: String, inCommit commit: ObjectID) throws -> PathEntry? {
        guard let node = try node(at: path, inCommit: commit), node.mode.isBlob else { return nil }
        return PathEntry(id: node.id, mode: node.mode)
    }
}
