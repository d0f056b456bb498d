import Foundation
import OpenSpecGit
import OpenSpecStore
import OpenSpecSync

/// An error as tRPC sends it: a JSON-RPC 2.0 code, its HTTP status, and
/// the tRPC code name in `data` (tRPC v11 without a transformer).
struct TRPCError: Error, Sendable {
    enum Code: String, Sendable {
        case parseError = "PARSE_ERROR"
        case badRequest = "BAD_REQUEST"
        case unauthorized = "UNAUTHORIZED"
        case forbidden = "FORBIDDEN"
        case notFound = "NOT_FOUND"
        case methodNotSupported = "METHOD_NOT_SUPPORTED"
        case conflict = "CONFLICT"
        case preconditionFailed = "PRECONDITION_FAILED"
        case payloadTooLarge = "PAYLOAD_TOO_LARGE"
        case internalServerError = "INTERNAL_SERVER_ERROR"

        /// tRPC's `TRPC_ERROR_CODES_BY_KEY`.
        var jsonRPCCode: Int {
            switch self {
            case .parseError: return -32700
            case .badRequest: return -32600
            case .internalServerError: return -32603
            case .unauthorized: return -32001
            case .forbidden: return -32003
            case .notFound: return -32004
            case .methodNotSupported: return -32005
            case .conflict: return -32009
            case .preconditionFailed: return -32012
            case .payloadTooLarge: return -32013
            }
        }

        /// tRPC's `JSONRPC2_TO_HTTP_CODE`.
        var httpStatus: Int {
            switch self {
            case .parseError, .badRequest: return 400
            case .unauthorized: return 401
            case .forbidden: return 403
            case .notFound: return 404
            case .methodNotSupported: return 405
            case .conflict: return 409
            case .preconditionFailed: return 412
            case .payloadTooLarge: return 413
            case .internalServerError: return 500
            }
        }
    }

    var code: Code
    var message: String
    /// Extra fields of `error.data` (such as the id of a kept conflict).
    var extra: [String: JSONValue] = [:]

    init(_ code: Code, _ message: String, extra: [String: JSONValue] = [:]) {
        self.code = code
        self.message = message
        self.extra = extra
    }

    /// `{"error": {"message", "code", "data": {"code", "httpStatus", "path", …}}}`.
    func envelope(path: String?) -> JSONValue {
        var data = extra
        data["code"] = .string(code.rawValue)
        data["httpStatus"] = .number(Double(code.httpStatus))
        if let path { data["path"] = .string(path) }
        return .object(["error": .object([
            "message": .string(message),
            "code": .number(Double(code.jsonRPCCode)),
            "data": .object(data),
        ])])
    }
}

/// Turns library errors into tRPC errors. The words are made here from the
/// errors' facts, in the API's terms (procedures, not commands): a message
/// names a change, a path relative to the repository or a libgit2 code, never
/// a machine path or a stack trace. The details go to the server's log.
struct ErrorMapper: Sendable {
    func map(_ error: Error, procedure: String) -> TRPCError {
        switch error {
        case let error as TRPCError: return error
        case let error as SyncError: return Self.map(error, procedure: procedure)
        case let error as GitError:
            return TRPCError(.internalServerError, "\(procedure) failed: git's \(error.function) failed (\(error.codeName)); the server log has the details")
        case StoreError.notFound(let what): return TRPCError(.notFound, "\(what) not found")
        case is StoreError:
            return TRPCError(.internalServerError, "\(procedure) failed: the database could not be read or written; the server log has the details")
        default: return TRPCError(.internalServerError, "\(procedure) failed; the server log has the details")
        }
    }

    // One case per error, no default: a new error cannot reach the API without words.
    static func map(_ error: SyncError, procedure: String) -> TRPCError {
        switch error {
        case .unknownProject(let name):
            return TRPCError(.notFound, "no project \"\(name)\"; projects.list lists the registered projects by id and name")
        case .unknownSpec(let key):
            return TRPCError(.notFound, "no change \"\(key)\"; specs.list lists every change with its id and path")
        case .notRegistered:
            return TRPCError(.notFound, "the repository is not registered; register it with `openspec-sync init --repo PATH`")
        case let .unknownTask(spec, task, files):
            return TRPCError(.notFound, "change \(spec) has no task \"\(task)\" in \(files.isEmpty ? "tasks.md" : files.joined(separator: ", ")); specs.get lists its tasks (use the written number such as 1.2, or #N for the Nth checkbox)")
        case let .unknownConflict(id, change):
            return TRPCError(.notFound, "no open conflict" + (id.map { " #\($0)" } ?? "") + (change.map { " on \($0)" } ?? "") + "; conflicts.list lists them")
        case .changeGone(let path):
            return TRPCError(.notFound, "the change \(path) no longer exists on disk; call sync.forceSync and edit the change where it is now")
        case .unknownRevision(let revision):
            return TRPCError(.notFound, "\"\(revision)\" names no commit; give a commit id, a branch, a tag or HEAD~N (specs.log lists the change's commits)")
        case let .notAtRevision(change, revision):
            return TRPCError(.notFound, "the change \(change) had no files at \(revision); pick a commit from specs.log")
        case let .ambiguousSpec(key, candidates):
            return TRPCError(.badRequest, "\"\(key)\" names more than one change; use one of these paths instead: " + candidates.map(\.description).joined(separator: ", "))
        case let .severalConflicts(change, ids):
            return TRPCError(.badRequest, "\(change) has \(ids.count) open conflicts (\(ids.map { "#\($0)" }.joined(separator: ", "))); name one by its id")
        case let .invalidWritePath(path, reason):
            return TRPCError(.badRequest, "cannot write \"\(path)\": \(reason); give a path relative to the change folder, such as tasks.md or specs/auth/spec.md")
        case .symlinkInPath(let path):
            return TRPCError(.badRequest, "cannot write \(path): a component of the path is a symbolic link, and writes never follow links")
        case let .contentTooLarge(path, size, limit):
            return TRPCError(.payloadTooLarge, "cannot write \(path): \(size) bytes is over the server's \(limit)-byte size cap (OPENSPEC_SYNC_MAX_FILE_BYTES); write a smaller file")
        case .rollbackRefused(let refusal):
            // Nothing changed (as a rule): the caller may try again later.
            return TRPCError(.preconditionFailed, "cannot roll back now: \(rollbackReason(refusal))")
        case let .staleVersion(path, expected, current):
            return TRPCError(.conflict, "\(path) changed since it was read (edited against \(SyncError.shortBlob(expected)), now \(SyncError.shortBlob(current))); nothing was written: read the change again with specs.get and re-apply the edit to the current content")
        case .notARepository:
            return TRPCError(.internalServerError, "the project's repository cannot be opened (moved or deleted?); check it and run `openspec-sync init` again")
        case .noOpenSpecFolder(_, let folder):
            return TRPCError(.internalServerError, "\(procedure) failed: the project's repository has no \(folder)/ folder")
        case .tooMuchWork(let limit):
            return TRPCError(.internalServerError, "\(procedure) failed: more to sync than a limited run does (\(limit))")
        case .unsupportedObjectFormat:
            return TRPCError(.internalServerError, "\(procedure) failed: the project's repository uses SHA-256 object ids, which libgit2 1.5 cannot open")
        case let .notOwner(project, role):
            return TRPCError(.preconditionFailed, "\(procedure): \(project) is \(role.ownerPhrase); only its owner can do this (its edits are still taken here and written by the owner)")
        }
    }

    private static func rollbackReason(_ refusal: RollbackRefusal) -> String {
        let reason = switch refusal {
        case .midOperation(let state): "the repository is \(state); finish or abort it first"
        case .indexLocked: ".git/index.lock exists (another git command is running, or one crashed and left it)"
        case .changedDuringRollback(let path): "\(path) changed on disk during the rollback"
        case let .cannotWrite(folder, cause, _): "cannot write in \(folder)" + (cause.map { " (\($0.reason))" } ?? "")
        case let .cannotCommit(cause, _): "cannot commit" + (cause.map { " (\($0.function) failed: \($0.codeName))" } ?? "")
        }
        return reason + (refusal.changedNothing ? "; nothing was changed, call specs.rollback again then"
            : "; some files could not be put back: sync.forceSync records what is on disk")
    }

    /// Hides anything that looks like an absolute path in free text made by
    /// the library for people (a waiting edit's reason, a file's problem).
    func scrub(_ text: String) -> String { Self.scrubAbsolutePaths(text) }

    static func scrubAbsolutePaths(_ text: String) -> String {
        var output = ""
        var index = text.startIndex
        while index < text.endIndex {
            let character = text[index]
            let previous = index == text.startIndex ? nil : text[text.index(before: index)]
            let startsPath = character == "/" && (previous == nil || previous == " " || previous == "(" || previous == "\""
                                                  || previous == "'" || previous == "=" || previous == ":" || previous == "\n")
            if startsPath {
                var end = text.index(after: index)
                while end < text.endIndex, !" \n\"'),;".contains(text[end]) { end = text.index(after: end) }
                // "/x" alone (a ratio, a single slash) is not worth hiding; a path has a second component.
                if text[text.index(after: index)..<end].contains("/") {
                    output += "<path>"
                    index = end
                    continue
                }
            }
            output.append(character)
            index = text.index(after: index)
        }
        return output
    }
}
