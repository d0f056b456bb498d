extension SyncEngine {
    /// Checks a file path for a write (relative to the change folder) the
    /// way `edit` does, so a caller can refuse it before doing anything else:
    /// no absolute path, `..`, `.` or empty component, NUL, backslash or `.git`.
    public static func checkWritePath(_ file: String) throws {
        try WritePath.validate(file)
    }
}

/// Checks of a write's path, made before any path is built from it.
enum WritePath {
    /// A plain path relative to the change folder: no absolute path, no `..`,
    /// `.` or empty components, no NUL, no backslash, nothing named `.git`.
    static func validate(_ file: String) throws {
        func fail(_ reason: String) -> SyncError { .invalidWritePath(file, reason: reason) }
        if file.isEmpty { throw fail("the path is empty") }
        if file.utf8.contains(0) { throw fail("the path contains a NUL byte") }
        if file.contains("\\") { throw fail("the path contains a backslash") }
        if file.hasPrefix("/") { throw fail("the path is absolute") }
        for component in file.split(separator: "/", omittingEmptySubsequences: false) {
            if component.isEmpty || component == "." { throw fail("the path has an empty or \".\" component") }
            if component == ".." { throw fail("the path leaves the change folder (\"..\")") }
            if component.lowercased() == ".git" { throw fail("the path reaches into .git") }
            if component.utf8.count > 255 { throw fail("a name is longer than 255 bytes") }
        }
    }

    /// Refuses when any existing component from the repository root down to
    /// the file (`relative` to the root) is a symbolic link, or not a folder
    /// where a folder must be. Components that do not exist yet are fine.
    static func refuseLinks(repo: String, relative: String, fileSystem: WriteFileSystem) throws {
        var path = repo
        let components = relative.split(separator: "/")
        for (index, component) in components.enumerated() {
            path += "/" + component
            guard let kind = fileSystem.kind(of: path) else { return }
            if kind == .symlink { throw SyncError.symlinkInPath(relative) }
            if index < components.count - 1 && kind != .directory {
                throw SyncError.invalidWritePath(relative, reason: "\(components[0...index].joined(separator: "/")) is not a folder")
            }
            if index == components.count - 1 && kind != .file {
                throw SyncError.invalidWritePath(relative, reason: "it is not a regular file")
            }
        }
    }
}
