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
        func fail(_ reason: InvalidPathReason) -> SyncError { .invalidWritePath(file, reason: reason) }
        if file.isEmpty { throw fail(.empty) }
        if file.utf8.contains(0) { throw fail(.nulByte) }
        if file.contains("\\") { throw fail(.backslash) }
        if file.hasPrefix("/") { throw fail(.absolute) }
        for component in file.split(separator: "/", omittingEmptySubsequences: false) {
            if component.isEmpty || component == "." { throw fail(.emptyComponent) }
            if component == ".." { throw fail(.leavesChangeFolder) }
            if component.lowercased() == ".git" { throw fail(.reachesIntoGit) }
            if component.utf8.count > 255 { throw fail(.nameTooLong) }
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
                throw SyncError.invalidWritePath(relative, reason: .notAFolder(components[0...index].joined(separator: "/")))
            }
            if index == components.count - 1 && kind != .file {
                throw SyncError.invalidWritePath(relative, reason: .notARegularFile)
            }
        }
    }
}
