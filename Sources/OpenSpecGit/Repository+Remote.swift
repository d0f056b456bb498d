extension Repository {
    /// The URL of the remote `name` (`remote.<name>.url` in every
    /// configuration level libgit2 reads); nil when there is no such remote.
    public func remoteURL(_ name: String = "origin") throws -> String? {
        try configString("remote.\(name).url")
    }
}
