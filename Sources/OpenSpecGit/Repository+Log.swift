internal import CLibgit2

extension Repository {
    /// Whether this is a shallow clone (`git clone --depth N`): history
    /// stops at the commits whose parents were not fetched.
    public var isShallow: Bool { git_repository_is_shallow(pointer) == 1 }

    /// Commits reachable from HEAD, newest first, whose diff against their
    /// first parent touches a path under one of `prefixes`; at most `limit`.
    ///
    /// "Touches" compares the tree (or blob) ids at each prefix, so no diff is
    /// computed and no blob is read. A root commit touches a prefix it contains,
    /// and so does a commit at a shallow clone's boundary (its parents were
    /// not fetched). An empty prefix ("") means the whole tree. Returns [] on
    /// an unborn HEAD.
    public func log(touching prefixes: [String], limit: Int) throws -> [CommitInfo] {
        guard limit > 0, !prefixes.isEmpty, let head = try headCommit() else { return [] }
        let prefixes = prefixes.map(normalizedRelativePath)
        var result: [CommitInfo] = []
        let visit: (ObjectID) throws -> Bool = { id in
            let commit = try self.lookupCommit(id)
            defer { git_commit_free(commit) }
            let treeID = ObjectID(git_commit_tree_id(commit))
            var parentTreeID: ObjectID?
            if git_commit_parentcount(commit) > 0, let parentOID = git_commit_parent_id(commit, 0) {
                do {
                    parentTreeID = try self.rootTreeID(ofCommit: ObjectID(parentOID))
                } catch let error as GitError where error.isNotFound {
                    // A parent cut off by a shallow clone counts as no parent.
                    parentTreeID = nil
                }
            }
            if try self.touches(prefixes, tree: treeID, parentTree: parentTreeID) {
                result.append(self.commitInfo(commit))
            }
            return result.count < limit
        }
        if isShallow {
            try walkShallowHistory(from: head, visit)
        } else {
            try walkHistory(from: head, visit)
        }
        return result
    }

    /// Calls `visit` for each commit reachable from `head`, newest first and
    /// every commit after its children, until it returns false.
    func walkHistory(from head: ObjectID, _ visit: (ObjectID) throws -> Bool) throws {
        var walk: OpaquePointer?
        try check(git_revwalk_new(&walk, pointer), "git_revwalk_new")
        defer { git_revwalk_free(walk) }
        try check(
            git_revwalk_sorting(walk, GIT_SORT_TOPOLOGICAL.rawValue | GIT_SORT_TIME.rawValue), "git_revwalk_sorting")
        var headOID = head.oid
        try check(git_revwalk_push(walk, &headOID), "git_revwalk_push")
        var oid = git_oid()
        while true {
            let code = git_revwalk_next(&oid, walk)
            if code == GIT_ITEROVER.rawValue { return }
            try check(code, "git_revwalk_next")
            guard try visit(ObjectID(oid)) else { return }
        }
    }

    /// `walkHistory` for a shallow clone, in the same order (newest commit
    /// time first, every commit after its children), stopping at the commits
    /// whose parents were not fetched. libgit2 1.5's revwalk does not know the
    /// shallow boundary and fails on the first missing parent.
    func walkShallowHistory(from head: ObjectID, _ visit: (ObjectID) throws -> Bool) throws {
        // The fetched history: each commit's time and its parents that are present.
        var commits: [ObjectID: (time: Int64, parents: [ObjectID])] = [:]
        var pending = [head]
        while let id = pending.popLast() {
            guard commits[id] == nil else { continue }
            let commit = try lookupCommit(id)
            defer { git_commit_free(commit) }
            let parents = (0..<git_commit_parentcount(commit)).compactMap { index in
                git_commit_parent_id(commit, index).map { ObjectID($0) }
            }.filter(commitExists)
            commits[id] = (git_commit_time(commit), parents)
            pending.append(contentsOf: parents)
        }
        var children: [ObjectID: Int] = [:]
        for (_, commit) in commits {
            for parent in commit.parents { children[parent, default: 0] += 1 }
        }
        // Ready: every child already visited. The newest goes next; ties go to the one ready first.
        var ready = [head]
        while !ready.isEmpty {
            var next = 0
            for index in ready.indices.dropFirst() where commits[ready[index]]!.time > commits[ready[next]]!.time {
                next = index
            }
            let id = ready.remove(at: next)
            guard try visit(id) else { return }
            for parent in commits[id]!.parents {
                children[parent]! -= 1
                if children[parent] == 0 { ready.append(parent) }
            }
        }
    }

    private func touches(_ prefixes: [String], tree: ObjectID, parentTree: ObjectID?) throws -> Bool {
        if tree == parentTree { return false }
        let root = try lookupTree(tree)
        defer { git_tree_free(root) }
        let parentRoot: OpaquePointer? = try parentTree.map { try lookupTree($0) }
        defer { if let parentRoot { git_tree_free(parentRoot) } }
        for prefix in prefixes {
            let now = prefix.isEmpty ? TreeNode(id: tree, mode: .tree) : try node(at: prefix, inLoadedTree: root)
            let before: TreeNode?
            if let parentTree, let parentRoot {
                before =
                    prefix.isEmpty
                    ? TreeNode(id: parentTree, mode: .tree) : try node(at: prefix, inLoadedTree: parentRoot)
            } else {
                before = nil
            }
            if now != before { return true }
        }
        return false
    }
}
