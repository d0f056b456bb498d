internal import CLibgit2

extension Repository {
    /// The URL of the remote `name` (`remote.<name>.url` in every
    /// configuration level libgit2 reads); nil when there is no such remote.
    public func remoteURL(_ name: String = "origin") throws -> String? {
        var config: OpaquePointer?
        try check(git_repository_config_snapshot(&config, pointer), "git_repository_config_snapshot")
        defer { git_config_free(config) }
        var value: UnsafePointer<CChar>?
        let code = git_config_get_string(&value, config, "remote.\(name).url")
        if code == GIT_ENOTFOUND.rawValue { return nil }
        try check(code, "git_config_get_string")
        // The string belongs to the snapshot: copied before the snapshot is freed.
        return value.map { String(cString: $0) }
    }
}
