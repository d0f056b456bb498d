import Foundation
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

/// Turns library errors into tRPC errors whose messages say what to do and
/// never carry a machine path or a stack trace.
struct ErrorMapper: Sendable {
    /// Absolute paths the server knows (repositories, the database folder,
    /// the home folder), longest first, replaced by a neutral word.
    let knownRoots: [(path: String, word: String)]

    func map(_ error: Error, procedure: String) -> TRPCError {
        if let error = error as? TRPCError { return error }
        if let error = error as? SyncError {
            switch error {
            case .unknownProject(let name):
                return TRPCError(.notFound, scrub("no project \"\(name)\"; projects.list lists the registered projects by id and name"))
            case .unknownSpec(let key):
                return TRPCError(.notFound, scrub("no change \"\(key)\"; specs.list lists every change with its id and path"))
            case .notRegistered:
                return TRPCError(.notFound, "the repository is not registered; register it with `openspec-sync init --repo PATH`")
            case .unknownTask, .unknownConflict, .changeGone, .unknownRevision, .notAtRevision:
                return TRPCError(.notFound, scrub(apiWording("\(error)")))
            case .ambiguousSpec, .severalConflicts:
                return TRPCError(.badRequest, scrub("\(error)"))
            case .invalidWritePath, .symlinkInPath:
                return TRPCError(.badRequest, scrub("\(error)"))
            case .contentTooLarge:
                return TRPCError(.payloadTooLarge, scrub("\(error)"))
            case .rollbackRefused:
                // The repository is mid-merge or locked: nothing changed, the caller may try again later.
                return TRPCError(.preconditionFailed, scrub("\(error)"))
            case .staleVersion:
                return TRPCError(.conflict, scrub(apiWording("\(error)")))
            case .notARepository:
                return TRPCError(.internalServerError, "the project's repository cannot be opened (moved or deleted?); check it and run `openspec-sync init` again")
            case .noOpenSpecFolder, .git, .tooMuchWork, .unsupportedObjectFormat:
                return TRPCError(.internalServerError, scrub("\(procedure) failed: \(error)"))
            }
        }
        if let error = error as? StoreError {
            if case .notFound = error { return TRPCError(.notFound, scrub("\(error)")) }
            return TRPCError(.internalServerError, "\(procedure) failed: the database could not be read or written; the server log has the details")
        }
        return TRPCError(.internalServerError, "\(procedure) failed; the server log has the details")
    }

    /// The CLI's hints, in the API's terms.
    private func apiWording(_ text: String) -> String {
        text.replacingOccurrences(of: "`openspec-sync conflicts` lists them", with: "conflicts.list lists them")
            .replacingOccurrences(of: "run `openspec-sync reconcile` and edit the change where it is now",
                                  with: "call sync.forceSync and edit the change where it is now")
            .replacingOccurrences(of: "read the change again", with: "read the change again with specs.get")
            .replacingOccurrences(of: "`openspec-sync show ", with: "`specs.get ")
    }

    /// Removes machine paths: known roots first, then anything else that looks like an absolute path.
    func scrub(_ text: String) -> String {
        var result = text
        for (path, word) in knownRoots where !path.isEmpty && path != "/" {
            result = result.replacingOccurrences(of: path, with: word)
        }
        return Self.scrubAbsolutePaths(result)
    }

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
