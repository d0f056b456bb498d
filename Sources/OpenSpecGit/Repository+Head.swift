import Foundation

extension Repository {
    /// HEAD's commit read straight from the files of a plain `.git` folder,
    /// without starting libgit2 or opening the repository (its start-up and
    /// the reading of git's configuration files: a few milliseconds of a
    /// no-change run).
    /// Only the unambiguous cases are answered: `.git` is a folder, HEAD is a
    /// detached SHA-1 id or a branch whose ref is loose or in packed-refs,
    /// and there is no reftable. nil means "ask libgit2".
    public static func peekHead(workdir: String) -> ObjectID? {
        let gitDir = workdir + "/.git"
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: gitDir, isDirectory: &isDirectory), isDirectory.boolValue,
              !FileManager.default.fileExists(atPath: gitDir + "/reftable"),
              let head = try? String(contentsOfFile: gitDir + "/HEAD", encoding: .utf8) else { return nil }
        let line = head.trimmingCharacters(in: .whitespacesAndNewlines)
        guard line.hasPrefix("ref: ") else { return ObjectID(hex: line) }
        let ref = String(line.dropFirst(5))
        guard ref.hasPrefix("refs/heads/"), !ref.contains(".."), !ref.contains("//") else { return nil }
        if let loose = try? String(contentsOfFile: gitDir + "/" + ref, encoding: .utf8) {
            return ObjectID(hex: loose.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        guard let packed = try? String(contentsOfFile: gitDir + "/packed-refs", encoding: .utf8) else { return nil }
        for entry in packed.split(separator: "\n") where !entry.hasPrefix("#") && !entry.hasPrefix("^") {
            let parts = entry.split(separator: " ", maxSplits: 1)
            if parts.count == 2, parts[1] == ref { return ObjectID(hex: String(parts[0])) }
        }
        return nil  // unborn, or something unusual: libgit2 knows
    }

    /// Whether a rebase or `git am` is under way (the rebase states of
    /// `state`), read from the git folder without starting libgit2; nil when
    /// the git folder is not a plain `.git` folder (a linked worktree, say).
    public static func peekRebasing(workdir: String) -> Bool? {
        let gitDir = workdir + "/.git"
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: gitDir, isDirectory: &isDirectory), isDirectory.boolValue else { return nil }
        return FileManager.default.fileExists(atPath: gitDir + "/rebase-merge")
            || FileManager.default.fileExists(atPath: gitDir + "/rebase-apply")
    }
}
