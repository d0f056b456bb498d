extension SyncEngine {
    /// Checks a file path for a write (relative to the change folder) the
    /// way `edit` does, so a caller can refuse it before doing anything else:
    /// no absolute path, `..`, `.` or empty component, NUL, backslash or `.git`.
    public static func checkWritePath(_ file: String) throws {
        try WritePath.validate(file)
    }
}
