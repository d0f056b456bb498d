import Foundation
import OpenSpecGit
import Testing
@testable import OpenSpecSync

/// The words of why a write waits and why an edit is given up are stored
/// (pending writes' errors, conflicts' reasons, history rows): they are made
/// from typed facts in one place, and their spellings stay as they were.
@Suite("Why a write waits or is given up: facts, put into words in one place")
struct WriteReasonTests {
    private struct Failure: Error, CustomStringConvertible { var description = "disk on fire" }
    private let path = "openspec/changes/add-login/tasks.md"

    @Test("a waiting write says why and that it retries")
    func delayWords() {
        #expect("\(WriteDelay.indexLocked)"
            == "commit pending: .git/index.lock exists (another git command is running, or one crashed and left it); the write waits and retries")
        #expect("\(WriteDelay.repositoryBusy(.merge))"
            == "the repository is \(RepositoryState.merge); the write waits and retries once it is finished or aborted")
        #expect("\(WriteDelay.cannotOpenRepository(path: "/r", error: Failure()))"
            == "cannot open the repository /r (disk on fire); the write waits and retries")
        #expect("\(WriteDelay.cannotWrite(path: path, error: Failure(), restore: .restored))"
            == "cannot write \(path): disk on fire; the write waits and retries; the file was restored")
        #expect("\(WriteDelay.cannotCommit(path: path, error: Failure(), restore: nil))"
            == "cannot commit \(path) (disk on fire); the write waits and retries")
        #expect(WriteDelay.indexLocked.isTransient && WriteDelay.repositoryBusy(.rebase).isTransient)
        #expect(!WriteDelay.cannotReadIndex(path: path, error: Failure()).isTransient)
    }

    @Test("an edit given up quotes the last failure and what became of the file, with no promise of a retry")
    func givenUpWords() {
        let last = WriteDelay.cannotCommit(path: path, error: Failure(), restore: .notRestored(error: "EIO"))
        #expect("\(ConflictReason.givenUp(attempts: 10, last: last))"
            == "given up after 10 failed attempts; the last: cannot commit \(path) (disk on fire); the file could not be restored (EIO) and holds the new content, which the retry commits")
        #expect("\(ConflictReason.givenUp(attempts: 10, last: .cannotWrite(path: path, error: Failure(), restore: nil)))"
            == "given up after 10 failed attempts; the last: cannot write \(path): disk on fire")
    }

    @Test("the reasons an edit is kept as a conflict keep their spellings")
    func conflictWords() {
        #expect("\(ConflictReason.cannotApply(path: path, .taskMissing(task: "1.4")))"
            == "\(path): task 1.4 is not in the file as it is now")
        #expect("\(ConflictReason.cannotApply(path: path, .fileChanged))"
            == "\(path): the file changed on disk since the edit was made")
        #expect("\(ConflictReason.blockedInHead(at: "openspec/changes", isSubmodule: true, path: path))"
            == "openspec/changes is a git submodule in HEAD, so \(path) can never be committed")
        #expect("\(ConflictReason.changedWhileWriting(path: path))" == "\(path) changed on disk while it was being written")
    }
}
