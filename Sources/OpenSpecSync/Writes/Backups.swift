import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Part of the replace step (`FileReplacement`): the file as it was, kept
/// outside the working tree before it is replaced or deleted.
extension SyncEngine {
    /// Copies the current file to `<git dir>/openspec-sync/backups/<UTC time>-<random>/<path>`,
    /// outside the working tree (never parsed, never committed), and keeps
    /// only the newest `SyncCommit.backupsKept` backup folders (unless the
    /// caller rotates them once for several files: `rotate` false).
    func backUp(_ bytes: [UInt8], gitDir: String, openspecRelative: String, mode: mode_t, rotate: Bool = true) throws {
        let fs = writeFileSystem
        let root = Self.backupsRoot(gitDir: gitDir)
        var stamp = time_t(Date().timeIntervalSince1970)
        var parts = tm()
        gmtime_r(&stamp, &parts)
        let name = String(format: "%04d%02d%02d-%02d%02d%02d", parts.tm_year + 1900, parts.tm_mon + 1, parts.tm_mday,
                          parts.tm_hour, parts.tm_min, parts.tm_sec) + "-" + Self.randomHex()
        var path = gitDir
        for part in ["openspec-sync", "backups", name] + openspecRelative.split(separator: "/").dropLast().map(String.init) {
            path += "/" + part
            try fs.createDirectory(path)
        }
        try fs.writeNewFile(root + "/" + name + "/" + openspecRelative, bytes: bytes, mode: mode)
        if rotate { Self.rotateBackups(root) }
    }

    /// Where the backup folders of a repository are.
    static func backupsRoot(gitDir: String) -> String { gitDir + "/openspec-sync/backups" }

    /// Deletes all but the newest backup folders (names start with the UTC time, so they sort by age).
    static func rotateBackups(_ root: String, keep: Int = SyncCommit.backupsKept) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: root) else { return }
        let sorted = names.filter { !$0.hasPrefix(".") }.sorted()
        for name in sorted.dropLast(keep) {
            try? FileManager.default.removeItem(atPath: root + "/" + name)
        }
    }

    static func randomHex() -> String {
        String(format: "%06x", UInt32.random(in: 0..<0x100_0000))
    }
}
