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
        guard FileManager.default.fileExists(atPath: gitDir, isDirectory: &isDirectory), isDirectory.boolValue else { return nil }
        return peekHead(gitDir: gitDir)
    }

    /// HEAD's commit read straight from the files of the git folder `gitDir`
    /// (as `peekGitDir` finds it), a linked worktree's included: its HEAD is
    /// its own, its branches are the main repository's (`commondir`). The same
    /// unambiguous cases as `peekHead(workdir:)`; nil means "ask libgit2".
    public static func peekHead(gitDir: String) -> ObjectID? {
        let common = commonDir(of: gitDir)
        guard !FileManager.default.fileExists(atPath: common + "/reftable"),
              let head = try? String(contentsOfFile: gitDir + "/HEAD", encoding: .utf8) else { return nil }
        let line = head.trimmingCharacters(in: .whitespacesAndNewlines)
        guard line.hasPrefix("ref: ") else { return ObjectID(hex: line) }
        let ref = String(line.dropFirst(5))
        guard ref.hasPrefix("refs/heads/"), !ref.contains(".."), !ref.contains("//") else { return nil }
        if let loose = try? String(contentsOfFile: common + "/" + ref, encoding: .utf8) {
            return ObjectID(hex: loose.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        guard let packed = try? String(contentsOfFile: common + "/packed-refs", encoding: .utf8) else { return nil }
        for entry in packed.split(separator: "\n") where !entry.hasPrefix("#") && !entry.hasPrefix("^") {
            let parts = entry.split(separator: " ", maxSplits: 1)
            if parts.count == 2, parts[1] == ref { return ObjectID(hex: String(parts[0])) }
        }
        return nil  // unborn, or something unusual: libgit2 knows
    }

    /// The git folder of the working tree `workdir`, read from its files
    /// without starting libgit2: `<workdir>/.git` when it is a folder, else
    /// the folder a `.git` file names (`gitdir: ...`, as in a linked worktree
    /// made by `git worktree add` or a submodule). nil when neither holds.
    public static func peekGitDir(workdir: String) -> String? {
        let dotGit = workdir + "/.git"
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: dotGit, isDirectory: &isDirectory) else { return nil }
        if isDirectory.boolValue { return dotGit }
        guard let text = try? String(contentsOfFile: dotGit, encoding: .utf8),
              let line = text.split(separator: "\n").first, line.hasPrefix("gitdir: ") else { return nil }
        let named = line.dropFirst("gitdir: ".count).trimmingCharacters(in: .whitespacesAndNewlines)
        guard !named.isEmpty else { return nil }
        let folder = named.hasPrefix("/") ? named : workdir + "/" + named
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else { return nil }
        return folder
    }

    /// The folder holding the branches and objects: `gitDir` itself, or the
    /// main repository's git folder a linked worktree's `commondir` names.
    private static func commonDir(of gitDir: String) -> String {
        guard let text = try? String(contentsOfFile: gitDir + "/commondir", encoding: .utf8) else { return gitDir }
        let named = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if named.isEmpty { return gitDir }
        return named.hasPrefix("/") ? named : gitDir + "/" + named
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
