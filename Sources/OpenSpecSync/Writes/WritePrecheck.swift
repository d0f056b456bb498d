import Foundation
import OpenSpecGit
import OpenSpecStore

/// Why the edits of a file cannot be written now: they wait, or they never can be.
enum WriteHold {
    case wait(WriteDelay)
    case giveUp(ConflictReason)
}

/// What the waiting edits of a file make of it as it is now.
struct WritePlan {
    /// The file as read (nil: it does not exist), and its blob id.
    var old: [UInt8]?
    var oldBlob: String?
    /// The edits that apply, in queue order, with what each did.
    var applying: [(write: PendingWriteRecord, step: EditStep)] = []
    /// The edits that cannot apply, with why.
    var conflicting: [(write: PendingWriteRecord, reason: ConflictReason)] = []
    /// The bytes to put in place; nil when the edits that apply leave the file as it is.
    var content: [UInt8]?
    /// An earlier attempt put `content` in place and was stopped before its
    /// commit was recorded: only the commit is left to make (never write it twice).
    var alreadyInPlace = false
}

extension SyncEngine {
    /// Step 1 of a write, first half: whether the repository lets the file be
    /// written now; nil when nothing holds the edits back.
    func precheck(in repo: Repository, file: WriteTarget) -> WriteHold? {
        let state = repo.state
        if state.isMidOperation { return .wait(.repositoryBusy(state)) }
        if writeFileSystem.kind(of: repo.gitDir + "/index.lock") != nil { return .wait(.indexLocked) }
        if let never = neverWritable(in: repo, file: file) { return .giveUp(never) }
        // A filter driver (Git LFS, a custom clean filter) that libgit2 cannot
        // run would have the file committed raw: it is for git to commit.
        do {
            try repo.requireRunnableFilters(path: file.repoRelative)
        } catch let error as GitError where error.isUnsupportedFilter {
            return .giveUp(.unsupportedFilter(message: error.message))
        } catch {
            return .wait(.cannotReadAttributes(path: file.repoRelative, error: error))
        }
        // The user's staged work on the path is never touched: a commit of the
        // file would reset its index entry to what was written.
        do {
            if try repo.hasStagedChange(at: file.repoRelative) {
                return .giveUp(.stagedChanges(path: file.repoRelative))
            }
        } catch {
            return .wait(.cannotReadIndex(path: file.repoRelative, error: error))
        }
        return nil
    }

    /// Why the file can never be written where it is, or nil.
    private func neverWritable(in repo: Repository, file: WriteTarget) -> ConflictReason? {
        do {
            try WritePath.refuseLinks(repo: file.project.repoPath, relative: file.repoRelative, fileSystem: writeFileSystem)
        } catch {
            return .refusedPath(error)
        }
        guard writeFileSystem.kind(of: file.changeFolder) == .directory else {
            return .changeFolderGone(folder: file.project.openspecPath + "/" + file.spec.path)
        }
        // A folder on the way that HEAD holds as a submodule (or a file) can never take the file.
        if let blocked = try? repo.headNonFolderAbove(file.repoRelative), let at = blocked.path {
            return .blockedInHead(at: at, isSubmodule: blocked.mode == .submodule, path: file.repoRelative)
        }
        return nil
    }

    /// Step 1 of a write, second half: reads the file and applies the waiting
    /// edits to it in queue order (those that cannot apply are set apart).
    func plan(_ writes: [PendingWriteRecord], file: WriteTarget) throws -> WritePlan {
        var plan = WritePlan()
        plan.old = try writeFileSystem.readIfPresent(file.absolute)
        plan.oldBlob = plan.old.map { Repository.hashBlob($0).hex }
        let (result, steps) = EditQueue(writes: writes).apply(to: plan.old)
        for (write, step) in zip(writes, steps) {
            if case let .conflict(conflict) = step {
                plan.conflicting.append((write, .cannotApply(path: file.repoRelative, conflict)))
            } else {
                plan.applying.append((write, step))
            }
        }
        let oldBlob = plan.oldBlob
        plan.alreadyInPlace = oldBlob != nil && result == plan.old && writes.contains { $0.writtenBlobId == oldBlob }
        if plan.alreadyInPlace {
            plan.applying = plan.applying.map { ($0.write, $0.write.writtenBlobId == oldBlob ? .applied : $0.step) }
        }
        if result != plan.old || plan.alreadyInPlace { plan.content = result }
        return plan
    }
}
