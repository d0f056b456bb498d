internal import CLibgit2

extension Repository {
    /// What differs under `prefix` between HEAD's tree (empty if unborn) and the index plus working tree, sorted by path.
    ///
    /// One `git status`-like pass restricted to the prefix: staged and
    /// unstaged edits, deletions, untracked files (recursing into untracked
    /// folders, skipping ignored ones) and unmerged paths, each path once.
    /// It trusts the index's stat cache and hashes only files whose stat
    /// changed, so a touched but unchanged file is not reported; the index
    /// is never written. `oldID` is HEAD's blob; `newID` is the working
    /// tree's blob when known (nil for untracked files and for files libgit2
    /// did not need to hash). Unreadable files are reported as modified with
    /// an unknown `newID`, so the caller meets the read error per file.
    public func workingTreeChanges(under prefix: String) throws -> [PathChange] {
        let prefix = normalizedRelativePath(prefix)
        var options = git_status_options()
        try check(git_status_options_init(&options, UInt32(GIT_STATUS_OPTIONS_VERSION)), "git_status_options_init")
        options.show = GIT_STATUS_SHOW_INDEX_AND_WORKDIR
        options.flags =
            GIT_STATUS_OPT_INCLUDE_UNTRACKED.rawValue
            | GIT_STATUS_OPT_RECURSE_UNTRACKED_DIRS.rawValue
            // The prefix is a literal folder, not a glob.
            | GIT_STATUS_OPT_DISABLE_PATHSPEC_MATCH.rawValue
            | GIT_STATUS_OPT_EXCLUDE_SUBMODULES.rawValue
            | GIT_STATUS_OPT_INCLUDE_UNREADABLE.rawValue

        var list: OpaquePointer?
        try withStrarray(prefix.isEmpty ? [] : [prefix]) { pathspec in
            options.pathspec = pathspec
            try check(git_status_list_new(&list, pointer, &options), "git_status_list_new")
        }
        defer { git_status_list_free(list) }

        var changes: [PathChange] = []
        for index in 0..<git_status_list_entrycount(list) {
            guard let entry = git_status_byindex(list, index),
                let change = Self.pathChange(entry.pointee),
                isPath(change.path, under: prefix)
            else { continue }
            changes.append(change)
        }
        changes.sort { pathPrecedes($0.path, $1.path) }
        return changes
    }

    /// Maps one status entry (HEAD->index and index->workdir halves) to the net change against HEAD.
    private static func pathChange(_ entry: git_status_entry) -> PathChange? {
        let status = entry.status.rawValue
        func has(_ flag: git_status_t) -> Bool { status & flag.rawValue != 0 }

        let headToIndex = entry.head_to_index?.pointee
        let indexToWorkdir = entry.index_to_workdir?.pointee
        guard
            let rawPath = indexToWorkdir?.new_file.path ?? indexToWorkdir?.old_file.path
                ?? headToIndex?.new_file.path ?? headToIndex?.old_file.path
        else { return nil }
        let path = String(cString: rawPath)

        // Without a HEAD->index half the index equals HEAD, so the index side of index->workdir is HEAD's blob.
        let headID = headToIndex.map { id(of: $0.old_file) } ?? indexToWorkdir.flatMap { id(of: $0.old_file) }
        let indexID = headToIndex.map { id(of: $0.new_file) } ?? indexToWorkdir.flatMap { id(of: $0.old_file) }
        // Without an index->workdir half the working tree equals the index.
        let workdirID: ObjectID? =
            indexToWorkdir.map { delta in
                delta.new_file.flags & GIT_DIFF_FLAG_VALID_ID.rawValue != 0 ? id(of: delta.new_file) : nil
            } ?? indexID

        if has(GIT_STATUS_CONFLICTED) {
            return PathChange(kind: .conflicted, oldPath: path, newPath: path, oldID: headID, newID: nil)
        }
        if has(GIT_STATUS_WT_NEW) {
            if has(GIT_STATUS_INDEX_DELETED) {
                // Removed from the index but still on disk: HEAD had it, the file is still there.
                return PathChange(kind: .modified, oldPath: path, newPath: path, oldID: headID, newID: nil)
            }
            return PathChange(kind: .untracked, oldPath: nil, newPath: path, oldID: nil, newID: nil)
        }
        if has(GIT_STATUS_WT_DELETED) || has(GIT_STATUS_INDEX_DELETED) {
            // A file staged as new and then removed from disk also lands here, with no HEAD blob.
            return PathChange(kind: .deleted, oldPath: path, newPath: nil, oldID: headID, newID: nil)
        }
        if has(GIT_STATUS_INDEX_TYPECHANGE) || has(GIT_STATUS_WT_TYPECHANGE) {
            return PathChange(kind: .typeChanged, oldPath: path, newPath: path, oldID: headID, newID: workdirID)
        }
        if has(GIT_STATUS_INDEX_NEW) {
            return PathChange(kind: .added, oldPath: nil, newPath: path, oldID: nil, newID: workdirID)
        }
        if has(GIT_STATUS_INDEX_MODIFIED) || has(GIT_STATUS_WT_MODIFIED) || has(GIT_STATUS_WT_UNREADABLE)
            || has(GIT_STATUS_INDEX_RENAMED) || has(GIT_STATUS_WT_RENAMED)
        {
            let newID = has(GIT_STATUS_WT_UNREADABLE) ? nil : workdirID
            return PathChange(kind: .modified, oldPath: path, newPath: path, oldID: headID, newID: newID)
        }
        return nil
    }

    private static func id(of file: git_diff_file) -> ObjectID? {
        var oid = file.id
        return git_oid_is_zero(&oid) != 0 ? nil : ObjectID(oid)
    }

    /// Paths under `prefix` with unmerged (conflict) entries in the index, sorted, each once.
    public func conflictedPaths(under prefix: String) throws -> [String] {
        let prefix = normalizedRelativePath(prefix)
        let index = try currentIndex()
        defer { git_index_free(index) }
        guard git_index_has_conflicts(index) != 0 else { return [] }

        var iterator: OpaquePointer?
        try check(git_index_conflict_iterator_new(&iterator, index), "git_index_conflict_iterator_new")
        defer { git_index_conflict_iterator_free(iterator) }
        var paths = Set<String>()
        var ancestor: UnsafePointer<git_index_entry>?
        var ours: UnsafePointer<git_index_entry>?
        var theirs: UnsafePointer<git_index_entry>?
        while true {
            let code = git_index_conflict_next(&ancestor, &ours, &theirs, iterator)
            if code == GIT_ITEROVER.rawValue { break }
            try check(code, "git_index_conflict_next")
            guard let rawPath = (ours ?? theirs ?? ancestor)?.pointee.path else { continue }
            let path = String(cString: rawPath)
            if isPath(path, under: prefix) { paths.insert(path) }
        }
        return paths.sorted(by: pathPrecedes)
    }

    /// The repository's index as it is on disk now; the caller frees it with `git_index_free`.
    ///
    /// libgit2 caches the index in memory; another git process may have
    /// changed the file since, so it is re-read when its stamp changed.
    func currentIndex(force: Bool = false) throws -> OpaquePointer? {
        var index: OpaquePointer?
        try check(git_repository_index(&index, pointer), "git_repository_index")
        let code = git_index_read(index, force ? 1 : 0)
        if code < 0 {
            let error = GitError.last(code, "git_index_read")
            git_index_free(index)
            throw error
        }
        return index
    }

    /// What the repository is in the middle of (merge, rebase, ...), read from `.git`.
    public var state: RepositoryState {
        switch git_repository_state(pointer) {
        case Int32(GIT_REPOSITORY_STATE_NONE.rawValue): .clean
        case Int32(GIT_REPOSITORY_STATE_MERGE.rawValue): .merge
        case Int32(GIT_REPOSITORY_STATE_REVERT.rawValue), Int32(GIT_REPOSITORY_STATE_REVERT_SEQUENCE.rawValue):
            .revert
        case Int32(GIT_REPOSITORY_STATE_CHERRYPICK.rawValue),
            Int32(GIT_REPOSITORY_STATE_CHERRYPICK_SEQUENCE.rawValue):
            .cherryPick
        case Int32(GIT_REPOSITORY_STATE_BISECT.rawValue): .bisect
        case Int32(GIT_REPOSITORY_STATE_REBASE.rawValue): .rebase
        case Int32(GIT_REPOSITORY_STATE_REBASE_INTERACTIVE.rawValue): .rebaseInteractive
        case Int32(GIT_REPOSITORY_STATE_REBASE_MERGE.rawValue): .rebaseMerge
        case Int32(GIT_REPOSITORY_STATE_APPLY_MAILBOX.rawValue): .applyMailbox
        case Int32(GIT_REPOSITORY_STATE_APPLY_MAILBOX_OR_REBASE.rawValue): .applyMailboxOrRebase
        case let raw: .other(raw)
        }
    }

    /// Whether git would ignore `path` (repository-relative) by `.gitignore`, `info/exclude` or `core.excludesFile`.
    public func isIgnored(_ path: String) throws -> Bool {
        var ignored: Int32 = 0
        try check(
            git_ignore_path_is_ignored(&ignored, pointer, path), "git_ignore_path_is_ignored")
        return ignored != 0
    }
}
