import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The replace step of a write and of a rollback, for one file. `stage`
/// writes the new content to a hidden temporary file beside the target and
/// flushes it; `isUnchanged` checks, right before the swap, that the target
/// still is what was checked; `swap` renames the temporary file over the
/// target (or removes the target) and flushes the folder. `undo` removes
/// what was staged and puts back what was swapped, so a failure at any
/// point leaves the old file: the file is always its old or its new
/// content, never a mix.
struct FileReplacement {
    let fs: WriteFileSystem
    /// Absolute path of the file.
    let target: String
    /// The file as checked (nil: it did not exist): what the swap expects, and what `undo` puts back.
    let old: [UInt8]?
    /// The permission bits of the file as checked.
    let oldMode: mode_t?
    /// The new content; nil deletes the file.
    let content: [UInt8]?
    /// The permission bits the new content gets.
    let mode: mode_t
    private(set) var temp: String?
    private(set) var swapped = false

    init(fs: WriteFileSystem, target: String, old: [UInt8]?, oldMode: mode_t?, content: [UInt8]?, mode: mode_t) {
        self.fs = fs
        self.target = target
        self.old = old
        self.oldMode = oldMode
        self.content = content
        self.mode = mode
    }

    private var folder: String { (target as NSString).deletingLastPathComponent }

    /// Writes the new content beside the target (creating the folders from
    /// `changeFolder` down to it); a deletion stages nothing.
    mutating func stage(changeFolder: String) throws {
        guard let content else { return }
        try createFolders(from: changeFolder, to: folder)
        removeStaleTemporaryFiles()
        let path = Self.temporaryPath(beside: target)
        temp = path
        try fs.writeNewFile(path, bytes: content, mode: mode)
    }

    /// Whether the target still holds exactly what was checked.
    func isUnchanged() throws -> Bool {
        try fs.content(of: target, equals: old)
    }

    /// Puts the staged content in place of the target (or removes the
    /// target), then flushes the folder so the rename survives a power cut.
    mutating func swap(changeFolder: String) throws {
        if let temp {
            try fs.rename(temp, to: target)
            self.temp = nil
            swapped = true
            try fs.syncDirectory(folder)
        } else if content == nil && old != nil {
            try fs.remove(target)
            swapped = true
            removeEmptyFolders(upTo: changeFolder)
        }
    }

    /// Removes the staged temporary file, if any; the target is left as it is.
    mutating func discard() {
        if let temp { try? fs.remove(temp) }
        temp = nil
    }

    /// Undoes whatever was done: the staged file is removed and, once
    /// swapped, the old file put back (removed if it was new). nil when
    /// nothing had been swapped.
    mutating func undo() -> Restore? {
        discard()
        guard swapped else { return nil }
        do {
            if let old {
                let restoring = Self.temporaryPath(beside: target)
                do {
                    try fs.writeNewFile(restoring, bytes: old, mode: oldMode ?? fs.permissions(of: target) ?? 0o644)
                    try fs.rename(restoring, to: target)
                } catch { try? fs.remove(restoring); throw error }
            } else {
                try fs.remove(target)
            }
            swapped = false
            return .restored
        } catch {
            return .notRestored(error: "\(error)")
        }
    }

    /// Undoes `replacements` in reverse order; the first restore that failed, else whether any was made.
    static func undo(_ replacements: inout [FileReplacement]) -> Restore? {
        var outcome: Restore?
        for index in replacements.indices.reversed() {
            guard let undone = replacements[index].undo() else { continue }
            if case .notRestored = outcome { continue }
            outcome = undone
        }
        return outcome
    }

    /// What became of the old file when a replacement was undone.
    enum Restore: Equatable {
        case restored
        case notRestored(error: String)

        /// Words appended to the reason of a failed write or rollback.
        var words: String {
            switch self {
            case .restored: return "; the file was restored"
            case let .notRestored(error):
                return "; the file could not be restored (\(error)) and holds the new content, which the retry commits"
            }
        }
    }

    /// Creates the folders between the change folder and `folder` (a new file in a new subfolder).
    private func createFolders(from changeFolder: String, to folder: String) throws {
        guard folder != changeFolder, folder.hasPrefix(changeFolder + "/") else { return }
        var path = changeFolder
        for part in folder.dropFirst(changeFolder.count + 1).split(separator: "/") {
            path += "/" + part
            if fs.kind(of: path) == nil { try fs.createDirectory(path) }
        }
    }

    /// Removes folders left empty by a deletion, up to (not including) the change folder.
    private func removeEmptyFolders(upTo changeFolder: String) {
        var path = folder
        while path != changeFolder, path.hasPrefix(changeFolder + "/") {
            guard rmdir(path) == 0 else { return }
            path = (path as NSString).deletingLastPathComponent
        }
    }

    /// Temporary files of the target left by an attempt that was killed
    /// before its rename (they are hidden, so no scan ever reads them).
    private func removeStaleTemporaryFiles() {
        let prefix = Self.temporaryPrefix(of: (target as NSString).lastPathComponent)
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return }
        for leftover in names where leftover.hasPrefix(prefix) && leftover.hasSuffix(".tmp") {
            try? fs.remove(folder + "/" + leftover)
        }
    }

    /// A new hidden file name beside `target`, which `removeStaleTemporaryFiles` recognises if a crash leaves it behind.
    private static func temporaryPath(beside target: String) -> String {
        let folder = (target as NSString).deletingLastPathComponent
        return folder + "/" + temporaryPrefix(of: (target as NSString).lastPathComponent) + SyncEngine.randomHex() + ".tmp"
    }

    private static func temporaryPrefix(of name: String) -> String { "." + name + ".openspec-sync-" }
}

extension Optional where Wrapped == FileReplacement.Restore {
    /// Whether every file swapped in was put back (true when none had been swapped).
    var putBack: Bool {
        if case .notRestored? = self { return false }
        return true
    }
}
