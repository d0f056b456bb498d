import Foundation
internal import CLibgit2

extension Repository {
    /// Commits exactly `writes` on top of HEAD, leaving every other path of the user's index and working tree alone.
    ///
    /// The caller has already written the files to the working tree; this
    /// writes no files. Blobs are made from the given content as `git add`
    /// would store it (through the path's to-ODB filters: `core.autocrlf`,
    /// `core.eol`, the `text`/`eol`/`ident` attributes), the tree is
    /// HEAD's tree with only these paths replaced (`git_tree_create_updated`),
    /// and the commit moves HEAD with HEAD as its parent. Then the index is
    /// re-read and only these paths are set to the committed blob and mode,
    /// so `git status` is clean for them while the user's other staged and
    /// unstaged changes stay as they were.
    ///
    /// Refuses, without committing:
    /// - while a merge, rebase, cherry-pick, ... is in progress, or when a
    ///   written path has unmerged entries (`isMidOperation`);
    /// - while `index.lock` exists (`isLocked`): another git command is
    ///   running, or one crashed; the lock is never removed here;
    /// - when a written path goes through a filter driver libgit2 cannot run
    ///   (`filter=lfs`, a custom clean filter: `isUnsupportedFilter`);
    /// - when HEAD is not `expectedHead` (`isModified`). `expectedHead` nil
    ///   means "HEAD is unborn"; a HEAD that moves during the call also fails
    ///   with `isModified` (libgit2 checks the parent against the ref).
    ///
    /// Deleting a path absent from HEAD only drops it from the index. With
    /// mode nil a path keeps HEAD's mode when that is regular or executable,
    /// and is regular otherwise; the caller keeps the executable bit on disk
    /// too (an atomic rename drops it), or git shows a mode change. When the writes leave HEAD's tree unchanged
    /// (a retry after a half-finished attempt) no empty commit is made: the
    /// index is still updated and HEAD's id returned.
    ///
    /// If the commit succeeds but the index cannot be written, the error says
    /// so and names the commit; `syncIndexWithHead(paths:)` repairs it.
    @discardableResult
    public func commitFiles(_ writes: [FileWrite], message: String, author: Signature, expectedHead: ObjectID?)
        throws -> ObjectID
    {
        let function = "Repository.commitFiles"
        var seen = Set<String>()
        for write in writes {
            try Self.validateWritePath(write.path, function: function)
            guard seen.insert(write.path).inserted else {
                throw GitError.refusal(
                    GIT_EINVALIDSPEC, GIT_ERROR_INVALID, "'\(write.path)' is written twice in one commit", function)
            }
            if let mode = write.mode, !mode.isBlob {
                throw GitError.refusal(
                    GIT_EINVALID, GIT_ERROR_INVALID, "'\(write.path)' cannot be written with mode \(mode)", function)
            }
        }

        let state = self.state
        if state.isMidOperation {
            throw GitError.refusal(
                GIT_EUNMERGED, GIT_ERROR_REPOSITORY, "the repository is \(state); the commit must wait", function)
        }

        // Not forced: a first use loads the file anyway, and a later one re-reads
        // it when its stamp (inode, size, mtime) changed, as every git write does
        // (lock file, then rename). A forced read costs ~10 ms at 6,000 entries.
        let index = try currentIndex(force: false)
        defer { git_index_free(index) }
        if let rawIndexPath = git_index_path(index) {
            let lockPath = String(cString: rawIndexPath) + ".lock"
            if FileManager.default.fileExists(atPath: lockPath) {
                throw GitError.refusal(
                    GIT_ELOCKED, GIT_ERROR_INDEX,
                    "'\(lockPath)' exists: another git process is running, or one crashed and left it; "
                        + "the commit must wait", function)
            }
        }
        for write in writes where Self.hasConflict(index, write.path) {
            throw GitError.refusal(
                GIT_EUNMERGED, GIT_ERROR_INDEX, "'\(write.path)' has unmerged entries; resolve them first", function)
        }

        let head = try headCommit()
        guard head == expectedHead else {
            throw GitError.refusal(
                GIT_EMODIFIED, GIT_ERROR_REFERENCE,
                "HEAD is \(head?.hex ?? "unborn"), expected \(expectedHead?.hex ?? "unborn")", function)
        }

        let baseline: OpaquePointer
        if let head { baseline = try lookupTree(try rootTreeID(ofCommit: head)) } else { baseline = try emptyTree() }
        defer { git_tree_free(baseline) }
        let newTreeID = try updatedTree(baseline, writes: writes)

        let commitID: ObjectID
        if let head, newTreeID == ObjectID(git_tree_id(baseline)) {
            commitID = head
        } else {
            commitID = try createCommit(tree: newTreeID, parent: head, message: message, author: author)
        }

        do {
            try stageFiles(writes.map(\.path), from: newTreeID)
        } catch let error as GitError {
            throw GitError(
                code: error.code, errorClass: error.errorClass,
                message: "commit \(commitID.hex) was made, but the index was not updated for "
                    + "\(writes.map(\.path).joined(separator: ", ")): \(error.message)",
                function: error.function)
        }
        return commitID
    }

    /// Sets the index entries of `paths` to HEAD's blobs and modes (or removes
    /// them when HEAD lacks them), touching no other entry, and writes the index.
    ///
    /// The stat data is taken from the working-tree file only when its content
    /// hashes to the committed blob; otherwise it is left blank so git
    /// re-reads the file instead of trusting a stale cache. Retries briefly
    /// while another process holds `index.lock`.
    public func syncIndexWithHead(paths: [String]) throws {
        for path in paths { try Self.validateWritePath(path, function: "Repository.syncIndexWithHead") }
        let treeID = try headCommit().map { try rootTreeID(ofCommit: $0) } ?? .emptyTree
        try stageFiles(paths, from: treeID)
    }

    /// Sets the index entries of `paths` to what the tree `treeID` holds (removing those it lacks) and writes the index.
    private func stageFiles(_ paths: [String], from treeID: ObjectID) throws {
        // Re-read when another git command changed the index since it was last loaded.
        let index = try currentIndex(force: false)
        defer { git_index_free(index) }
        let tree: OpaquePointer? = treeID == .emptyTree ? nil : try lookupTree(treeID)
        defer { if let tree { git_tree_free(tree) } }

        for path in paths {
            guard let tree, let node = try node(at: path, inLoadedTree: tree), node.mode.isBlob else {
                let code = git_index_remove_bypath(index, path)
                if code != GIT_ENOTFOUND.rawValue { try check(code, "git_index_remove_bypath") }
                continue
            }
            try stage(path: path, node: node, in: index)
        }

        var attempt = 0
        while true {
            let code = git_index_write(index)
            if code == GIT_ELOCKED.rawValue && attempt < 20 {
                attempt += 1
                usleep(25_000)
                continue
            }
            try check(code, "git_index_write")
            return
        }
    }

    /// Puts `node` into the index at `path` as stage 0, replacing any entry there.
    private func stage(path: String, node: TreeNode, in index: OpaquePointer?) throws {
        var entry = git_index_entry()
        var statIsTrustworthy = false
        var info = stat()
        if lstat(workdir + "/" + path, &info) == 0,
            (info.st_mode & S_IFMT) == S_IFREG || (info.st_mode & S_IFMT) == S_IFLNK
        {
            // libgit2 fills the stat data exactly as git expects; the id it
            // computed, through the same filters as the commit's blob, tells
            // whether the file on disk is what was committed.
            if git_index_add_bypath(index, path) == 0, let added = git_index_get_bypath(index, path, 0) {
                entry = added.pointee
                statIsTrustworthy = ObjectID(entry.id) == node.id
            }
        }
        if !statIsTrustworthy {
            entry = git_index_entry()
        }
        entry.id = node.id.oid
        entry.mode = node.mode.rawValue
        entry.flags = 0
        entry.flags_extended = 0
        let cPath = strdup(path)
        defer { free(cPath) }
        entry.path = UnsafePointer(cPath)
        try check(git_index_add(index, &entry), "git_index_add")
    }

    private static func hasConflict(_ index: OpaquePointer?, _ path: String) -> Bool {
        (1...3).contains { stage in git_index_get_bypath(index, path, Int32(stage)) != nil }
    }

    /// A plain repository-relative file path: no absolute paths, no `.`/`..`/empty components, nothing inside `.git`.
    private static func validateWritePath(_ path: String, function: String) throws {
        let components = path.split(separator: "/", omittingEmptySubsequences: false)
        let valid =
            !path.isEmpty && !path.contains("\0") && !path.contains("\\")
            && components.allSatisfy { component in
                !component.isEmpty && component != "." && component != ".." && component.lowercased() != ".git"
            }
        guard valid else {
            throw GitError.refusal(
                GIT_EINVALIDSPEC, GIT_ERROR_INVALID, "'\(path)' is not a plain repository-relative file path", function)
        }
    }

    /// HEAD's tree (`baseline`) with `writes` applied, written to the object database.
    private func updatedTree(_ baseline: OpaquePointer?, writes: [FileWrite]) throws -> ObjectID {
        var updates: [git_tree_update] = []
        var cPaths: [UnsafeMutablePointer<CChar>?] = []
        defer { cPaths.forEach { free($0) } }

        for write in writes {
            let existing = try node(at: write.path, inLoadedTree: baseline)
            if existing?.isTree == true {
                throw GitError.refusal(
                    GIT_EDIRECTORY, GIT_ERROR_TREE, "'\(write.path)' is a folder in HEAD, not a file",
                    "Repository.commitFiles")
            }
            var update = git_tree_update()
            if let content = write.content {
                update.action = GIT_TREE_UPDATE_UPSERT
                update.id = try createFilteredBlob(content, path: write.path).oid
                let mode =
                    write.mode
                    ?? (existing.map { $0.mode == .executable ? FileMode.executable : .regular } ?? .regular)
                update.filemode = git_filemode_t(rawValue: mode.rawValue)
            } else {
                // Removing what HEAD does not have is a libgit2 error; there is nothing to remove.
                guard existing != nil else { continue }
                update.action = GIT_TREE_UPDATE_REMOVE
            }
            let cPath = strdup(write.path)
            cPaths.append(cPath)
            update.path = UnsafePointer(cPath)
            updates.append(update)
        }

        var treeOID = git_oid()
        try check(
            git_tree_create_updated(&treeOID, pointer, baseline, updates.count, updates), "git_tree_create_updated")
        return ObjectID(treeOID)
    }

    /// A blob of exactly `content`, unfiltered.
    func createBlob(_ content: [UInt8]) throws -> ObjectID {
        var oid = git_oid()
        // An empty array may have no storage; libgit2 wants a valid pointer.
        let storage = content.isEmpty ? [UInt8(0)] : content
        try storage.withUnsafeBytes { buffer in
            try check(
                git_blob_create_from_buffer(&oid, pointer, buffer.baseAddress, content.count),
                "git_blob_create_from_buffer")
        }
        return ObjectID(oid)
    }

    /// The empty tree, for a commit on an unborn HEAD; the caller frees it.
    private func emptyTree() throws -> OpaquePointer {
        var builder: OpaquePointer?
        try check(git_treebuilder_new(&builder, pointer, nil), "git_treebuilder_new")
        defer { git_treebuilder_free(builder) }
        var oid = git_oid()
        try check(git_treebuilder_write(&oid, builder), "git_treebuilder_write")
        return try lookupTree(ObjectID(oid))
    }

    private func createCommit(tree treeID: ObjectID, parent: ObjectID?, message: String, author: Signature) throws
        -> ObjectID
    {
        var signature: UnsafeMutablePointer<git_signature>?
        try check(git_signature_now(&signature, author.name, author.email), "git_signature_now")
        defer { git_signature_free(signature) }

        let tree = try lookupTree(treeID)
        defer { git_tree_free(tree) }
        let parentCommit = try parent.map { try lookupCommit($0) }
        defer { if let parentCommit { git_commit_free(parentCommit) } }
        var parents: [OpaquePointer?] = parentCommit.map { [$0] } ?? []

        let text = message.hasSuffix("\n") ? message : message + "\n"
        var oid = git_oid()
        try parents.withUnsafeMutableBufferPointer { buffer in
            try check(
                git_commit_create(
                    &oid, pointer, "HEAD", signature, signature, nil, text, tree, buffer.count, buffer.baseAddress),
                "git_commit_create")
        }
        return ObjectID(oid)
    }
}
