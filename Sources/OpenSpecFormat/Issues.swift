/// Severity of a validation finding, spelled as `openspec validate --json` spells it.
public enum IssueLevel: String, Codable, Sendable {
    case error = "ERROR"
    case warning = "WARNING"
    case info = "INFO"
}

/// One finding in OpenSpec's `{level, path, message, line?}` shape, so stored issues
/// can be compared with what the OpenSpec CLI reports.
public struct ValidationIssue: Codable, Sendable, Equatable, CustomStringConvertible {
    public var level: IssueLevel
    public var path: String
    public var message: String
    /// 1-based line in the file, when the finding belongs to one line.
    public var line: Int?

    public init(level: IssueLevel, path: String, message: String, line: Int? = nil) {
        self.level = level
        self.path = path
        self.message = message
        self.line = line
    }

    /// `path:line: LEVEL message`, the shape compilers use, so editors can jump to it.
    public var description: String {
        if let line {
            return "\(path):\(line): \(level.rawValue) \(message)"
        }
        return "\(path): \(level.rawValue) \(message)"
    }

    static func error(_ path: String, _ message: String, line: Int? = nil) -> ValidationIssue {
        ValidationIssue(level: .error, path: path, message: message, line: line)
    }

    static func warning(_ path: String, _ message: String, line: Int? = nil) -> ValidationIssue {
        ValidationIssue(level: .warning, path: path, message: message, line: line)
    }

    static func info(_ path: String, _ message: String, line: Int? = nil) -> ValidationIssue {
        ValidationIssue(level: .info, path: path, message: message, line: line)
    }
}
