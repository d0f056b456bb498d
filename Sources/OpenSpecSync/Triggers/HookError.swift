import Foundation

/// Why hooks could not be installed, removed or inspected, worded so the user knows what to do next.
public enum HookError: Error, CustomStringConvertible, Sendable, Equatable {
    case notARepository(path: String, reason: String)
    /// The hooks folder is missing and cannot be made, is not a folder, or cannot be written.
    case hooksFolderUnusable(path: String, reason: String)
    /// `core.hooksPath` cannot be used (e.g. it is empty).
    case configuration(String)
    /// A foreign hook would have to be moved aside, but `<name>.pre-openspec-sync` is taken by a file that is not ours.
    case savedHookInTheWay(hook: String, savedPath: String)
    /// The hook's name is taken by something git cannot run (a folder, a socket).
    case hookIsNotAFile(path: String)
    case missingTemplate(String)
    case fileOperation(path: String, operation: String, reason: String)

    public var description: String {
        switch self {
        case let .notARepository(path, reason):
            return "\(path) is not inside a git repository with a working tree (\(reason)); pass --repo PATH"
        case let .hooksFolderUnusable(path, reason):
            return "cannot use the hooks folder \(path): \(reason)"
        case let .configuration(message):
            return message
        case let .savedHookInTheWay(hook, savedPath):
            return "\(hook) is a hook of your own and would be kept as \(savedPath), but that file already exists "
                + "and is not openspec-sync's; nothing was changed. Merge or remove one of the two, then install again"
        case let .hookIsNotAFile(path):
            return "\(path) is not a file, so it cannot be a hook; move it away and install again"
        case let .missingTemplate(name):
            return "no script template for the \(name) hook"
        case let .fileOperation(path, operation, reason):
            return "\(operation) \(path) failed: \(reason)"
        }
    }
}
