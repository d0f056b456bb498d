import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// What must hold where the database lives before SQLite is given the path:
/// SQLite's own errors ("unable to open database file") do not say which
/// part is wrong, and a database half-made in the wrong place helps nobody.
enum StoreLocation {
    /// Makes the database's folder when it is missing, and checks that the
    /// folder and the file (when there is one) can be read and written:
    /// SQLite keeps its log (-wal, -shm) beside the database, and every
    /// start may write (the schema, then sync state), even for a command
    /// that only reads.
    static func prepare(_ path: String) throws {
        let folder = (path as NSString).deletingLastPathComponent
        if !folder.isEmpty {
            if let (part, reason) = makeFolder(folder) {
                throw StoreError.cannotCreateFolder(path: folder, reason: part == folder ? reason : "\(part): \(reason)")
            }
            if access(folder, W_OK) != 0 {
                throw StoreError.readOnly(path: folder, isFolder: true, reason: String(cString: strerror(errno)))
            }
        }
        var info = stat()
        guard stat(path, &info) == 0 else { return }  // made by SQLite
        switch info.st_mode & S_IFMT {
        case S_IFREG: break
        case S_IFDIR: throw StoreError.isAFolder(path: path)
        default: throw StoreError.cannotOpen(path: path, reason: "it is not a regular file")
        }
        if access(path, R_OK | W_OK) != 0 {
            throw StoreError.readOnly(path: path, isFolder: false, reason: String(cString: strerror(errno)))
        }
    }

    /// `mkdir -p`; the part that could not be made and why, if one could not.
    private static func makeFolder(_ folder: String) -> (String, String)? {
        var info = stat()
        if stat(folder, &info) == 0 {
            return info.st_mode & S_IFMT == S_IFDIR ? nil : (folder, "a file of that name is in the way")
        }
        guard errno == ENOENT else { return (folder, String(cString: strerror(errno))) }
        let parent = (folder as NSString).deletingLastPathComponent
        if !parent.isEmpty && parent != folder, let failure = makeFolder(parent) { return failure }
        if mkdir(folder, 0o755) != 0 && errno != EEXIST { return (folder, String(cString: strerror(errno))) }
        return nil
    }
}
