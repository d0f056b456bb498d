internal import CLibgit2

extension Repository {
    /// The string value of configuration `key` from every level libgit2
    /// reads (repository, global, system); nil when it is unset.
    func configString(_ key: String) throws -> String? {
        var config: OpaquePointer?
        try check(git_repository_config_snapshot(&config, pointer), "git_repository_config_snapshot")
        defer { git_config_free(config) }
        var value: UnsafePointer<CChar>?
        let code = git_config_get_string(&value, config, key)
        if code == GIT_ENOTFOUND.rawValue { return nil }
        try check(code, "git_config_get_string")
        // The string belongs to the snapshot, so it is copied before the snapshot is freed.
        return value.map { String(cString: $0) }
    }
}
