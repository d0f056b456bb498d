internal import CLibgit2

/// A failed libgit2 call (or a refusal by this module), with enough detail to act on.
///
/// `code` is the libgit2 return code (`GIT_ENOTFOUND`, `GIT_ELOCKED`, ...),
/// `errorClass` the libgit2 error class, `message` libgit2's own text and
/// `function` the call that failed.
public struct GitError: Error, Sendable, CustomStringConvertible {
    public let code: Int32
    public let errorClass: Int32
    public let message: String
    public let function: String

    public init(code: Int32, errorClass: Int32, message: String, function: String) {
        self.code = code
        self.errorClass = errorClass
        self.message = message
        self.function = function
    }

    /// An object, reference or path does not exist (`GIT_ENOTFOUND`).
    public var isNotFound: Bool { code == GIT_ENOTFOUND.rawValue }
    /// A lock file (`index.lock`, a ref lock) prevented the operation (`GIT_ELOCKED`): retry later.
    public var isLocked: Bool { code == GIT_ELOCKED.rawValue }
    /// A reference moved under us, e.g. HEAD is not the expected commit (`GIT_EMODIFIED`).
    public var isModified: Bool { code == GIT_EMODIFIED.rawValue }
    /// A merge, rebase or similar is in progress, or the path has unmerged
    /// entries (`GIT_EUNMERGED`): retry once the user has finished.
    public var isMidOperation: Bool { code == GIT_EUNMERGED.rawValue }
    /// HEAD points at a branch with no commits yet (`GIT_EUNBORNBRANCH`).
    public var isUnbornBranch: Bool { code == GIT_EUNBORNBRANCH.rawValue }
    /// The path goes through a git filter driver (`filter=lfs`, a custom
    /// clean filter) that libgit2 cannot run: it is never committed raw.
    /// Retrying does not help; the file has to be committed with git.
    public var isUnsupportedFilter: Bool {
        code == GIT_EINVALID.rawValue && errorClass == Int32(GIT_ERROR_FILTER.rawValue)
    }

    /// The repository uses SHA-256 object ids (`extensions.objectformat =
    /// sha256`), which libgit2 1.5 cannot read.
    public var isUnsupportedObjectFormat: Bool {
        code == GIT_EINVALID.rawValue && errorClass == Int32(GIT_ERROR_SHA.rawValue)
    }

    /// The symbolic name of `code`, e.g. "GIT_ENOTFOUND".
    public var codeName: String {
        switch code {
        case 0: "GIT_OK"
        case -1: "GIT_ERROR"
        case -3: "GIT_ENOTFOUND"
        case -4: "GIT_EEXISTS"
        case -5: "GIT_EAMBIGUOUS"
        case -6: "GIT_EBUFS"
        case -7: "GIT_EUSER"
        case -8: "GIT_EBAREREPO"
        case -9: "GIT_EUNBORNBRANCH"
        case -10: "GIT_EUNMERGED"
        case -11: "GIT_ENONFASTFORWARD"
        case -12: "GIT_EINVALIDSPEC"
        case -13: "GIT_ECONFLICT"
        case -14: "GIT_ELOCKED"
        case -15: "GIT_EMODIFIED"
        case -19: "GIT_EPEEL"
        case -20: "GIT_EEOF"
        case -21: "GIT_EINVALID"
        case -22: "GIT_EUNCOMMITTED"
        case -23: "GIT_EDIRECTORY"
        case -24: "GIT_EMERGECONFLICT"
        case -33: "GIT_EMISMATCH"
        case -34: "GIT_EINDEXDIRTY"
        case -36: "GIT_EOWNER"
        default: "code \(code)"
        }
    }

    public var description: String {
        "\(function) failed (\(codeName)): \(message)"
    }
}

extension GitError {
    /// Builds the error for a libgit2 call that just returned `code`.
    ///
    /// Must run on the same thread, right after the failing call:
    /// `git_error_last()` is thread-local and overwritten by the next call.
    static func last(_ code: Int32, _ function: String) -> GitError {
        if let last = git_error_last() {
            let message = last.pointee.message.map { String(cString: $0) } ?? "no message"
            return GitError(code: code, errorClass: last.pointee.klass, message: message, function: function)
        }
        return GitError(code: code, errorClass: 0, message: "no message", function: function)
    }

    /// A refusal decided by this module rather than by libgit2.
    static func refusal(_ code: git_error_code, _ errorClass: git_error_t, _ message: String, _ function: String)
        -> GitError
    {
        GitError(code: code.rawValue, errorClass: Int32(errorClass.rawValue), message: message, function: function)
    }
}

/// Throws a `GitError` when a libgit2 call returned a negative code.
@inline(__always)
func check(_ code: Int32, _ function: String) throws {
    if code < 0 { throw GitError.last(code, function) }
}
