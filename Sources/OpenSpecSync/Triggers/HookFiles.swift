import Foundation

/// What occupies a hook's name.
enum HookEntry: Equatable {
    case absent
    /// A regular file carrying our marker, with its bytes.
    case ours([UInt8])
    /// Any other regular file or a symlink: someone else's hook.
    case foreign(executable: Bool)
    /// A folder, socket or the like.
    case notAFile
}

/// File operations on hook names, all without following a symlink at the name.
enum HookFiles {
    /// Classifies `path` without following a symlink at it.
    static func entry(at path: String) throws -> HookEntry {
        var info = stat()
        if lstat(path, &info) != 0 {
            if errno == ENOENT || errno == ENOTDIR { return .absent }
            throw HookError.fileOperation(path: path, operation: "inspecting", reason: errnoText())
        }
        switch info.st_mode & S_IFMT {
        case S_IFLNK:
            return .foreign(executable: access(path, X_OK) == 0)
        case S_IFREG:
            guard let data = FileManager.default.contents(atPath: path) else {
                throw HookError.fileOperation(path: path, operation: "reading", reason: "cannot read the file")
            }
            let bytes = Array(data)
            return carriesMarker(bytes) ? .ours(bytes) : .foreign(executable: access(path, X_OK) == 0)
        default:
            return .notAFile
        }
    }

    /// Whether one of the first three lines starts with the marker (line one is the shebang).
    static func carriesMarker(_ bytes: [UInt8]) -> Bool {
        let head = bytes.prefix(512).split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).prefix(3)
        let prefix = Array(HookInstaller.markerPrefix.utf8)
        return head.contains { $0.starts(with: prefix) }
    }

    /// Writes `bytes` as an executable file at `path` through a temporary file
    /// in the same folder and a rename, so git never sees a half-written hook.
    /// With `savedPath`, whatever is at `path` is renamed there first.
    static func writeAtomically(_ bytes: [UInt8], to path: String, movingAsideTo savedPath: String? = nil) throws {
        let folder = (path as NSString).deletingLastPathComponent
        let name = (path as NSString).lastPathComponent
        var template = Array("\(folder)/.\(name).openspec-sync-XXXXXX".utf8CString)
        let descriptor = mkstemp(&template)
        guard descriptor >= 0 else {
            throw HookError.fileOperation(path: folder, operation: "creating a temporary file in", reason: errnoText())
        }
        let temporary = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        var finished = false
        defer {
            if !finished { unlink(temporary) }
        }
        do {
            defer { close(descriptor) }
            var written = 0
            while written < bytes.count {
                let count = bytes[written...].withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
                if count < 0 {
                    if errno == EINTR { continue }
                    throw HookError.fileOperation(path: temporary, operation: "writing", reason: errnoText())
                }
                written += count
            }
            // 0755 whatever the umask: git only runs executable hooks.
            guard fchmod(descriptor, 0o755) == 0, fsync(descriptor) == 0 else {
                throw HookError.fileOperation(path: temporary, operation: "finishing", reason: errnoText())
            }
        }
        if let savedPath {
            try renameFile(path, to: savedPath)
            do {
                try renameFile(temporary, to: path)
            } catch {
                // Puts the user's hook back rather than leave the name empty.
                try? renameFile(savedPath, to: path)
                throw error
            }
        } else {
            try renameFile(temporary, to: path)
        }
        finished = true
    }

    static func renameFile(_ source: String, to destination: String) throws {
        guard rename(source, destination) == 0 else {
            throw HookError.fileOperation(path: source, operation: "renaming to \(destination)", reason: errnoText())
        }
    }

    static func removeFile(_ path: String) throws {
        guard unlink(path) == 0 || errno == ENOENT else {
            throw HookError.fileOperation(path: path, operation: "removing", reason: errnoText())
        }
    }

    static func logLines(_ path: String) -> [String] {
        guard let data = FileManager.default.contents(atPath: path) else { return [] }
        var lines = String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }
        return lines
    }

    static func errnoText() -> String {
        String(cString: strerror(errno))
    }

    /// `path` made absolute against the current folder, `.` and `..` removed
    /// without resolving symlinks.
    static func absolutePath(_ path: String) -> String {
        let joined = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        var parts: [Substring] = []
        for part in joined.split(separator: "/") {
            switch part {
            case ".": continue
            case "..": if !parts.isEmpty { parts.removeLast() }
            default: parts.append(part)
            }
        }
        return "/" + parts.joined(separator: "/")
    }
}
