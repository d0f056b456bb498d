internal import CLibgit2

extension Repository {
    /// Refuses a path whose `filter` attribute names a driver (`filter=lfs`, a custom clean/smudge filter).
    ///
    /// `git add` runs such a driver's clean command; libgit2 cannot, and a
    /// blob made without it (a raw LFS file instead of its pointer, say)
    /// would differ from what git stores. Throws `isUnsupportedFilter`.
    public func requireRunnableFilters(path: String) throws {
        var value: UnsafePointer<CChar>?
        try check(
            git_attr_get(&value, pointer, UInt32(GIT_ATTR_CHECK_FILE_THEN_INDEX), path, "filter"), "git_attr_get")
        guard git_attr_value(value) == GIT_ATTR_VALUE_STRING, let value else { return }
        let driver = String(cString: value)
        throw GitError.refusal(
            GIT_EINVALID, GIT_ERROR_FILTER,
            "'\(path)' goes through the git filter driver '\(driver)' (filter=\(driver) in .gitattributes), "
                + "which this tool cannot run; edit the file and commit it with git instead",
            "Repository.requireRunnableFilters")
    }

    /// Writes `content`, the working-tree bytes of `path`, as the blob `git add` would store.
    ///
    /// Applies the repository's to-ODB filters for the path: `core.autocrlf`,
    /// `core.eol`, the `text`/`eol` and `ident` attributes. Refuses paths with
    /// a filter driver (`requireRunnableFilters`) instead of storing them raw.
    func createFilteredBlob(_ content: [UInt8], path: String) throws -> ObjectID {
        try requireRunnableFilters(path: path)
        var filters: OpaquePointer?
        try check(
            git_filter_list_load(&filters, pointer, nil, path, GIT_FILTER_TO_ODB, GIT_FILTER_DEFAULT.rawValue),
            "git_filter_list_load")
        defer { git_filter_list_free(filters) }
        // No filter applies (no conversion configured for this path): the bytes are the blob.
        guard let filters else { return try createBlob(content) }

        var output = git_buf()
        defer { git_buf_dispose(&output) }
        // An empty array may have no storage; libgit2 wants a valid pointer.
        let storage = content.isEmpty ? [UInt8(0)] : content
        try storage.withUnsafeBufferPointer { buffer in
            try buffer.withMemoryRebound(to: CChar.self) { chars in
                try check(
                    git_filter_list_apply_to_buffer(&output, filters, chars.baseAddress, content.count),
                    "git_filter_list_apply_to_buffer")
            }
        }
        var oid = git_oid()
        try check(git_blob_create_from_buffer(&oid, pointer, output.ptr, output.size), "git_blob_create_from_buffer")
        return ObjectID(oid)
    }
}
