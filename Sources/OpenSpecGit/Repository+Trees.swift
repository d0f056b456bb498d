internal import CLibgit2

extension Repository {
    /// Files (blobs and symlinks, recursively) under `prefix` in a commit's tree, in git's tree order.
    ///
    /// Reads tree objects only, never blob contents, so it works even when a
    /// blob is missing and stays cheap on large trees. Returns [] when the
    /// prefix is absent; when `prefix` names a file, returns that file alone.
    /// Submodules are skipped: they hold no spec files.
    public func files(at commit: ObjectID, under prefix: String) throws -> [TreeFile] {
        let prefix = normalizedRelativePath(prefix)
        guard let top = try node(at: prefix, inCommit: commit) else { return [] }
        if top.mode.isBlob { return [TreeFile(path: prefix, id: top.id, mode: top.mode)] }
        guard top.isTree else { return [] }
        var result: [TreeFile] = []
        try collectFiles(inTree: top.id, path: prefix, into: &result)
        return result
    }

    private func collectFiles(inTree treeID: ObjectID, path: String, into result: inout [TreeFile]) throws {
        for (name, child) in try entries(ofTree: treeID) {
            let childPath = joinPath(path, name)
            if child.isTree {
                try collectFiles(inTree: child.id, path: childPath, into: &result)
            } else if child.mode.isBlob {
                result.append(TreeFile(path: childPath, id: child.id, mode: child.mode))
            }
        }
    }

    /// The entries of one tree, in git's order.
    func entries(ofTree treeID: ObjectID) throws -> [(name: String, node: TreeNode)] {
        let tree = try lookupTree(treeID)
        defer { git_tree_free(tree) }
        let count = git_tree_entrycount(tree)
        var result: [(name: String, node: TreeNode)] = []
        result.reserveCapacity(count)
        for index in 0..<count {
            guard let entry = git_tree_entry_byindex(tree, index), let rawName = git_tree_entry_name(entry),
                let node = TreeNode(entry: entry)
            else { continue }
            result.append((String(cString: rawName), node))
        }
        return result
    }

    /// What changed under `prefix` between two commits (nil = the empty tree), sorted by path.
    ///
    /// Walks both `prefix` subtrees side by side and skips every pair of
    /// subtrees with equal ids, so the cost follows what changed, not the
    /// size of the tree. Only tree objects are read. There is no rename
    /// detection: a move is a deletion plus an addition, and identity is
    /// decided by the caller. Submodules are ignored.
    public func diff(from: ObjectID?, to: ObjectID?, under prefix: String) throws -> [PathChange] {
        let prefix = normalizedRelativePath(prefix)
        let old = try from.flatMap { try node(at: prefix, inCommit: $0) }
        let new = try to.flatMap { try node(at: prefix, inCommit: $0) }
        var changes: [PathChange] = []
        try compare(old, new, path: prefix, into: &changes)
        changes.sort { pathPrecedes($0.path, $1.path) }
        return changes
    }

    private func compare(_ old: TreeNode?, _ new: TreeNode?, path: String, into changes: inout [PathChange]) throws {
        // Submodules carry no files of their own here.
        let old = old?.mode == .submodule ? nil : old
        let new = new?.mode == .submodule ? nil : new
        if old == new { return }

        switch (old, new) {
        case (nil, nil):
            return
        case let (old?, new?) where old.isTree && new.isTree:
            try compareTrees(old.id, new.id, path: path, into: &changes)
        case let (old?, new) where old.isTree:
            // A folder replaced by a file, or removed: every file below it goes.
            try expand(old, path: path, added: false, into: &changes)
            if let new { try compare(nil, new, path: path, into: &changes) }
        case let (old, new?) where new.isTree:
            if let old { try compare(old, nil, path: path, into: &changes) }
            try expand(new, path: path, added: true, into: &changes)
        case let (old?, new?):
            let kind: PathChangeKind = (old.mode == .symlink) == (new.mode == .symlink) ? .modified : .typeChanged
            changes.append(PathChange(kind: kind, oldPath: path, newPath: path, oldID: old.id, newID: new.id))
        case let (old?, nil):
            changes.append(PathChange(kind: .deleted, oldPath: path, newPath: nil, oldID: old.id, newID: nil))
        case let (nil, new?):
            changes.append(PathChange(kind: .added, oldPath: nil, newPath: path, oldID: nil, newID: new.id))
        }
    }

    /// Both trees' entries are in git's order, so one merge pass pairs them.
    /// Entries with equal ids (nearly all of a 2,000-change folder after a
    /// commit touching five) are skipped without building a name or an id.
    private func compareTrees(_ oldID: ObjectID, _ newID: ObjectID, path: String, into changes: inout [PathChange]) throws {
        let oldTree = try lookupTree(oldID)
        defer { git_tree_free(oldTree) }
        let newTree = try lookupTree(newID)
        defer { git_tree_free(newTree) }
        let oldCount = git_tree_entrycount(oldTree)
        let newCount = git_tree_entrycount(newTree)
        var i = 0, j = 0
        while i < oldCount || j < newCount {
            let o = i < oldCount ? git_tree_entry_byindex(oldTree, i) : nil
            let n = j < newCount ? git_tree_entry_byindex(newTree, j) : nil
            guard o != nil || n != nil else {
                // A null entry inside the count: skip it on both sides.
                i += 1
                j += 1
                continue
            }
            // Which side's entry comes first in git's order (a missing side comes last).
            let order = o == nil ? 1 : n == nil ? -1 : git_tree_entry_cmp(o!, n!)
            if order <= 0 { i += 1 }
            if order >= 0 { j += 1 }
            if order == 0, git_oid_equal(git_tree_entry_id(o!), git_tree_entry_id(n!)) != 0,
                git_tree_entry_filemode(o!) == git_tree_entry_filemode(n!) { continue }
            let named = order <= 0 ? o! : n!
            let childPath = joinPath(path, git_tree_entry_name(named).map { String(cString: $0) } ?? "")
            try compare(order <= 0 ? TreeNode(entry: o!) : nil, order >= 0 ? TreeNode(entry: n!) : nil,
                        path: childPath, into: &changes)
        }
    }

    /// Reports every file below a folder as added or deleted.
    private func expand(_ tree: TreeNode, path: String, added: Bool, into changes: inout [PathChange]) throws {
        var files: [TreeFile] = []
        try collectFiles(inTree: tree.id, path: path, into: &files)
        for file in files {
            changes.append(
                added
                    ? PathChange(kind: .added, oldPath: nil, newPath: file.path, oldID: nil, newID: file.id)
                    : PathChange(kind: .deleted, oldPath: file.path, newPath: nil, oldID: file.id, newID: nil))
        }
    }
}
