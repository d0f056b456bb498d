import Foundation
internal import CLibgit2

/// A git repository with a working tree, opened through libgit2.
///
/// The only owner of its `git_repository` handle, which is freed in `deinit`.
/// Not Sendable: libgit2 handles must not be shared between tasks, so each
/// task opens its own `Repository`. Everything it returns is a Swift value.
public final class Repository {
    let pointer: OpaquePointer
    /// Absolute path of the working-tree root, without a trailing slash.
    public let workdir: String
    /// Absolute path of the git folder (e.g. `<workdir>/.git`), without a trailing slash.
    public let gitDir: String

    /// The working-tree root of the repository that contains `path`, searching upwards.
    ///
    /// Throws `GitError` (`isNotFound`) when there is none, and `GIT_EBAREREPO`
    /// for a bare repository, which has no files to sync.
    public static func discoverRoot(from path: String) throws -> String {
        ensureLibgit2()
        var buffer = git_buf()
        defer { git_buf_dispose(&buffer) }
        try check(git_repository_discover(&buffer, path, 0, nil), "git_repository_discover")
        guard let found = buffer.ptr else {
            throw GitError.refusal(
                GIT_ENOTFOUND, GIT_ERROR_REPOSITORY, "no git repository at or above '\(path)'",
                "git_repository_discover")
        }
        let repository = try Repository(openingGitDir: String(cString: found), requestedPath: path)
        return repository.workdir
    }

    /// Opens the repository whose working-tree root is exactly `path`.
    ///
    /// There is no upward search: a subfolder, a `.git` folder or a bare
    /// repository is an error, so a misconfigured project fails loudly
    /// instead of syncing against the wrong repository.
    public convenience init(path: String) throws {
        ensureLibgit2()
        var handle: OpaquePointer?
        let code = git_repository_open_ext(&handle, path, GIT_REPOSITORY_OPEN_NO_SEARCH.rawValue, nil)
        if code < 0 {
            let error = GitError.last(code, "git_repository_open_ext")
            if !error.isNotFound { try Self.refuseUnsupportedObjectFormat(at: path) }
            throw error
        }
        guard let handle else {
            throw GitError.refusal(GIT_ERROR, GIT_ERROR_REPOSITORY, "no repository at '\(path)'", "git_repository_open_ext")
        }
        try self.init(owning: handle, requestedPath: path)
        let requested = Self.canonicalPath(path)
        guard requested == Self.canonicalPath(workdir) else {
            throw GitError.refusal(
                GIT_ENOTFOUND, GIT_ERROR_REPOSITORY,
                "'\(path)' is not the root of a working tree (the repository's root is '\(workdir)')",
                "Repository.init")
        }
    }

    private convenience init(openingGitDir gitPath: String, requestedPath: String) throws {
        var handle: OpaquePointer?
        let code = git_repository_open(&handle, gitPath)
        if code < 0 {
            let error = GitError.last(code, "git_repository_open")
            try Self.refuseUnsupportedObjectFormat(at: gitPath)
            throw error
        }
        guard let handle else {
            throw GitError.refusal(GIT_ERROR, GIT_ERROR_REPOSITORY, "no repository at '\(gitPath)'", "git_repository_open")
        }
        try self.init(owning: handle, requestedPath: requestedPath)
    }

    /// Takes ownership of `handle`; frees it itself when the repository is unusable.
    private init(owning handle: OpaquePointer, requestedPath: String) throws {
        guard git_repository_is_bare(handle) == 0, let rawWorkdir = git_repository_workdir(handle) else {
            git_repository_free(handle)
            throw GitError.refusal(
                GIT_EBAREREPO, GIT_ERROR_REPOSITORY,
                "the repository at '\(requestedPath)' is bare: it has no working tree to sync", "Repository.init")
        }
        pointer = handle
        workdir = Self.trimmingTrailingSlashes(String(cString: rawWorkdir))
        gitDir = Self.trimmingTrailingSlashes(String(cString: git_repository_path(handle)))
    }

    deinit {
        git_repository_free(pointer)
    }

    /// Throws `isUnsupportedObjectFormat` when the repository at `path` (a
    /// working tree or a git folder) uses SHA-256 object ids, which libgit2 1.5
    /// cannot read: it only says "unsupported extension name". Called after
    /// an open failed, to say why; does nothing when the reason is another.
    private static func refuseUnsupportedObjectFormat(at path: String) throws {
        var buffer = git_buf()
        defer { git_buf_dispose(&buffer) }
        guard git_repository_discover(&buffer, path, 0, nil) == 0, let found = buffer.ptr else { return }
        let gitDir = trimmingTrailingSlashes(String(cString: found))
        // A linked worktree's extensions are in the main repository's config.
        var folders = [gitDir]
        if let common = try? String(contentsOfFile: gitDir + "/commondir", encoding: .utf8) {
            let folder = common.trimmingCharacters(in: .whitespacesAndNewlines)
            folders.append(folder.hasPrefix("/") ? folder : gitDir + "/" + folder)
        }
        for folder in folders where objectFormat(configPath: folder + "/config")?.lowercased() == "sha256" {
            throw GitError.refusal(
                GIT_EINVALID, GIT_ERROR_SHA,
                "the repository at '\(gitDir)' uses SHA-256 object ids (extensions.objectformat = sha256), "
                    + "which libgit2 1.5 does not support", "Repository.open")
        }
    }

    /// `extensions.objectformat` in one config file; nil when unset or unreadable.
    private static func objectFormat(configPath: String) -> String? {
        var config: OpaquePointer?
        guard git_config_open_ondisk(&config, configPath) == 0 else { return nil }
        defer { git_config_free(config) }
        var value = git_buf()
        defer { git_buf_dispose(&value) }
        guard git_config_get_string_buf(&value, config, "extensions.objectformat") == 0, let text = value.ptr else {
            return nil
        }
        return String(cString: text)
    }

    // MARK: - HEAD and commits

    /// The commit HEAD points at; nil when HEAD is unborn (no commits yet).
    public func headCommit() throws -> ObjectID? {
        var reference: OpaquePointer?
        let code = git_repository_head(&reference, pointer)
        if code == GIT_EUNBORNBRANCH.rawValue || code == GIT_ENOTFOUND.rawValue { return nil }
        try check(code, "git_repository_head")
        defer { git_reference_free(reference) }
        var object: OpaquePointer?
        try check(git_reference_peel(&object, reference, GIT_OBJECT_COMMIT), "git_reference_peel")
        defer { git_object_free(object) }
        return ObjectID(git_object_id(object))
    }

    /// The branch HEAD is on ("main"), also when it has no commits yet; nil when detached.
    public func headBranch() throws -> String? {
        var reference: OpaquePointer?
        try check(git_reference_lookup(&reference, pointer, "HEAD"), "git_reference_lookup")
        defer { git_reference_free(reference) }
        guard git_reference_type(reference) == GIT_REFERENCE_SYMBOLIC,
            let target = git_reference_symbolic_target(reference)
        else { return nil }
        let name = String(cString: target)
        let branchPrefix = "refs/heads/"
        return name.hasPrefix(branchPrefix) ? String(name.dropFirst(branchPrefix.count)) : name
    }

    /// Whether `id` names a commit present in the object database.
    ///
    /// A remembered commit can vanish after a rebase and gc; callers fall back
    /// to a full scan instead of failing.
    public func commitExists(_ id: ObjectID) -> Bool {
        var oid = id.oid
        var object: OpaquePointer?
        guard git_object_lookup(&object, pointer, &oid, GIT_OBJECT_COMMIT) == 0 else { return false }
        git_object_free(object)
        return true
    }

    /// Resolves a revision ("HEAD~2", a short id, a branch or tag) to a commit, like `git rev-parse <rev>^{commit}`.
    public func resolveCommit(_ revision: String) throws -> ObjectID {
        var object: OpaquePointer?
        try check(git_revparse_single(&object, pointer, revision), "git_revparse_single")
        defer { git_object_free(object) }
        var commit: OpaquePointer?
        try check(git_object_peel(&commit, object, GIT_OBJECT_COMMIT), "git_object_peel")
        defer { git_object_free(commit) }
        return ObjectID(git_object_id(commit))
    }

    /// The metadata of one commit.
    public func commit(_ id: ObjectID) throws -> CommitInfo {
        let commit = try lookupCommit(id)
        defer { git_commit_free(commit) }
        return commitInfo(commit)
    }

    // MARK: - Blobs

    /// The content of a blob; throws `GitError` (`isNotFound`) when the object is missing.
    public func blob(_ id: ObjectID) throws -> [UInt8] {
        var oid = id.oid
        var blob: OpaquePointer?
        try check(git_blob_lookup(&blob, pointer, &oid), "git_blob_lookup")
        defer { git_blob_free(blob) }
        return Self.content(ofBlob: blob)
    }

    /// The file at `path` in a commit's tree; nil when the path is absent or is not a file (a folder, a submodule).
    public func file(at commit: ObjectID, path: String) throws -> (id: ObjectID, mode: FileMode, content: [UInt8])? {
        let path = normalizedRelativePath(path)
        guard !path.isEmpty, let node = try node(at: path, inCommit: commit), node.mode.isBlob else { return nil }
        return (node.id, node.mode, try blob(node.id))
    }

    /// The blob id git would give `bytes`, equal to `git hash-object`; nothing is written.
    public static func hashBlob(_ bytes: [UInt8]) -> ObjectID {
        if bytes.isEmpty { return .emptyBlob }
        ensureLibgit2()
        var oid = git_oid()
        // Hashing memory fails only when libgit2 cannot allocate; git's own id of the bytes is the only answer.
        let status = bytes.withUnsafeBytes { git_odb_hash(&oid, $0.baseAddress, $0.count, GIT_OBJECT_BLOB) }
        precondition(status == 0, "git_odb_hash failed (\(status))")
        return ObjectID(oid)
    }

    // MARK: - Internals shared by the extensions

    /// Looks up a commit; the caller frees it with `git_commit_free`.
    func lookupCommit(_ id: ObjectID) throws -> OpaquePointer {
        var oid = id.oid
        var commit: OpaquePointer?
        try check(git_commit_lookup(&commit, pointer, &oid), "git_commit_lookup")
        guard let commit else { throw GitError.refusal(GIT_ENOTFOUND, GIT_ERROR_OBJECT, "no commit \(id)", "git_commit_lookup") }
        return commit
    }

    /// Looks up a tree; the caller frees it with `git_tree_free`.
    func lookupTree(_ id: ObjectID) throws -> OpaquePointer {
        var oid = id.oid
        var tree: OpaquePointer?
        try check(git_tree_lookup(&tree, pointer, &oid), "git_tree_lookup")
        guard let tree else { throw GitError.refusal(GIT_ENOTFOUND, GIT_ERROR_OBJECT, "no tree \(id)", "git_tree_lookup") }
        return tree
    }

    /// The root tree id of a commit, read from the commit object only.
    func rootTreeID(ofCommit id: ObjectID) throws -> ObjectID {
        let commit = try lookupCommit(id)
        defer { git_commit_free(commit) }
        return ObjectID(git_commit_tree_id(commit))
    }

    /// The tree or file at `path` (""= the root) in a commit; nil when absent.
    func node(at path: String, inCommit commit: ObjectID) throws -> TreeNode? {
        try node(at: path, inTree: try rootTreeID(ofCommit: commit))
    }

    /// The tree or file at `path` below the tree `rootID`; nil when absent.
    func node(at path: String, inTree rootID: ObjectID) throws -> TreeNode? {
        if path.isEmpty { return TreeNode(id: rootID, mode: .tree) }
        let root = try lookupTree(rootID)
        defer { git_tree_free(root) }
        return try node(at: path, inLoadedTree: root)
    }

    func node(at path: String, inLoadedTree tree: OpaquePointer?) throws -> TreeNode? {
        var entry: OpaquePointer?
        let code = git_tree_entry_bypath(&entry, tree, path)
        if code == GIT_ENOTFOUND.rawValue { return nil }
        try check(code, "git_tree_entry_bypath")
        defer { git_tree_entry_free(entry) }
        return TreeNode(entry: entry)
    }

    func commitInfo(_ commit: OpaquePointer?) -> CommitInfo {
        let parents = (0..<git_commit_parentcount(commit)).compactMap { index in
            git_commit_parent_id(commit, index).map { ObjectID($0) }
        }
        let author = git_commit_author(commit)
        let committer = git_commit_committer(commit)
        return CommitInfo(
            id: ObjectID(git_commit_id(commit)),
            parents: parents,
            summary: git_commit_summary(commit).map { String(cString: $0) } ?? "",
            message: git_commit_message(commit).map { String(cString: $0) } ?? "",
            authorName: author?.pointee.name.map { String(cString: $0) } ?? "",
            authorEmail: author?.pointee.email.map { String(cString: $0) } ?? "",
            time: Date(timeIntervalSince1970: TimeInterval(git_commit_time(commit))),
            authorTime: Date(timeIntervalSince1970: TimeInterval(author?.pointee.when.time ?? 0)),
            committerName: committer?.pointee.name.map { String(cString: $0) } ?? "",
            committerEmail: committer?.pointee.email.map { String(cString: $0) } ?? "")
    }

    static func content(ofBlob blob: OpaquePointer?) -> [UInt8] {
        let size = Int(git_blob_rawsize(blob))
        guard size > 0, let raw = git_blob_rawcontent(blob) else { return [] }
        return Array(UnsafeRawBufferPointer(start: raw, count: size))
    }

    private static func trimmingTrailingSlashes(_ path: String) -> String {
        var result = path
        while result.count > 1 && result.hasSuffix("/") { result.removeLast() }
        return result
    }

    /// The real path (symlinks resolved), so a path through a symlinked folder matches libgit2's resolved one.
    private static func canonicalPath(_ path: String) -> String {
        guard let resolved = realpath(path, nil) else { return trimmingTrailingSlashes(path) }
        defer { free(resolved) }
        return trimmingTrailingSlashes(String(cString: resolved))
    }
}

/// A tree entry reduced to what comparisons need.
struct TreeNode: Equatable {
    let id: ObjectID
    let mode: FileMode

    var isTree: Bool { mode == .tree }

    init(id: ObjectID, mode: FileMode) {
        self.id = id
        self.mode = mode
    }

    init?(entry: OpaquePointer?) {
        guard let rawID = git_tree_entry_id(entry) else { return nil }
        id = ObjectID(rawID)
        mode = FileMode(gitMode: git_tree_entry_filemode(entry).rawValue)
    }
}
