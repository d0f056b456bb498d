import Foundation
import OpenSpecGit
import OpenSpecStore

extension SyncCommit {
    /// Whether a commit was made by this tool: its author, and an `OpenSpec-Sync:` trailer.
    public static func isOwn(_ commit: CommitInfo) -> Bool {
        commit.authorName == author.name && commit.authorEmail == author.email
            && commit.message.contains("\nOpenSpec-Sync: ")
    }
}

extension SyncEngine {
    /// Finishes the index update of this tool's commit at HEAD when a process
    /// was killed between the commit and the index write: the paths that
    /// commit changed whose index entries are still the parent's are set to
    /// HEAD's; the user's own staged work is never touched, and nothing is
    /// done while `index.lock` exists (the next run does it). Called under the
    /// project lock. Returns the repaired repository-relative paths.
    @discardableResult
    func repairIndexAfterOwnCommit(in repo: Repository) -> [String] {
        let repaired = (try? repo.repairIndexAfterOwnCommit(isOwn: SyncCommit.isOwn)) ?? []
        if !repaired.isEmpty { Trace.mark("index repaired for \(repaired.count) path(s) of the last sync commit") }
        return repaired
    }

    /// The same before a reconcile, only when HEAD moved since the last sync
    /// or an earlier repair had to wait for `index.lock`: both read from the
    /// files of the git folder, wherever it is (a linked worktree's is not
    /// `<root>/.git`), so a run where neither holds starts no libgit2. The
    /// repository is opened once, and only then.
    func repairIndexIfHeadMoved(_ project: ProjectRecord) {
        let fileManager = FileManager.default
        if let gitDir = Repository.peekGitDir(workdir: project.repoPath) {
            let peeked = Repository.peekHead(gitDir: gitDir)
            let headMoved = peeked == nil || peeked?.hex != project.lastReconciledCommit
            guard headMoved || fileManager.fileExists(atPath: Self.repairPendingMark(gitDir: gitDir)) else { return }
        }
        guard let repo = try? Repository(path: project.repoPath) else { return }
        let mark = Self.repairPendingMark(gitDir: repo.gitDir)
        if fileManager.fileExists(atPath: repo.gitDir + "/index.lock") {
            // The cursor moves on with this run: remember to look again once the lock is gone.
            try? fileManager.createDirectory(atPath: (mark as NSString).deletingLastPathComponent,
                                             withIntermediateDirectories: true)
            _ = fileManager.createFile(atPath: mark, contents: nil)
            return
        }
        repairIndexAfterOwnCommit(in: repo)
        try? fileManager.removeItem(atPath: mark)
    }

    private static func repairPendingMark(gitDir: String) -> String {
        gitDir + "/openspec-sync/index-repair-pending"
    }
}
