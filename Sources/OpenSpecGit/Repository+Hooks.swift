import Foundation
internal import CLibgit2

extension Repository {
    /// The folder git runs this repository's hooks from, absolute and without a trailing slash.
    ///
    /// The same folder as `git rev-parse --git-path hooks` made absolute:
    /// `core.hooksPath` when it is set (relative values are relative to the
    /// working-tree root, where git runs hooks; `~/` and `~user/` are expanded
    /// as git does), else the `hooks` folder of the common git folder, so every
    /// worktree of a repository shares one set of hooks. The folder may not exist.
    /// `home` is the home folder `~/` stands for (git's `$HOME`); nil refuses a `~/` setting.
    ///
    /// An empty `core.hooksPath` is refused: git 2.39 then looks for hooks at
    /// the file-system root, which is never what anyone meant.
    public func hooksDirectory(home: String?) throws -> String {
        if let configured = try configString("core.hooksPath") {
            guard !configured.isEmpty else {
                throw GitError.refusal(
                    GIT_EINVALID, GIT_ERROR_CONFIG,
                    "core.hooksPath is set to an empty value; set it to a folder or unset it (`git config --unset core.hooksPath`)",
                    "Repository.hooksDirectory")
            }
            let expanded = try Self.expandingTilde(configured, home: home)
            let absolute = expanded.hasPrefix("/") ? expanded : workdir + "/" + expanded
            return Self.lexicallyStandardized(absolute)
        }
        let common = git_repository_commondir(pointer).map { String(cString: $0) } ?? gitDir
        return Self.lexicallyStandardized(common + "/hooks")
    }

    /// Expands a leading `~` or `~user` the way git's `expand_user_path` does.
    private static func expandingTilde(_ path: String, home ownHome: String?) throws -> String {
        guard path.hasPrefix("~") else { return path }
        let afterTilde = path.dropFirst()
        let user = afterTilde.prefix { $0 != "/" }
        let rest = afterTilde.dropFirst(user.count)
        let home: String?
        if user.isEmpty {
            home = ownHome
        } else {
            home = FileManager.default.homeDirectory(forUser: String(user))?.path
        }
        guard let home else {
            throw GitError.refusal(
                GIT_ENOTFOUND, GIT_ERROR_CONFIG,
                "core.hooksPath '\(path)' starts with '~\(user)' but that home folder is unknown",
                "Repository.hooksDirectory")
        }
        return home + rest
    }

    /// Removes `.`, `..`, doubled and trailing slashes without touching the
    /// disk, as git does when it makes a path absolute.
    private static func lexicallyStandardized(_ path: String) -> String {
        var parts: [Substring] = []
        for part in path.split(separator: "/", omittingEmptySubsequences: true) {
            switch part {
            case ".": continue
            case "..": if !parts.isEmpty { parts.removeLast() }
            default: parts.append(part)
            }
        }
        return "/" + parts.joined(separator: "/")
    }
}
