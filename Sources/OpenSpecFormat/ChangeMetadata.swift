/// A change's `.openspec.yaml` (OPENSPEC-FORMAT 1.4).
///
/// Read by a small hand-written reader for the YAML subset these files use (scalars,
/// quoted strings, flow and block lists, block scalars, one level of nested maps,
/// comments), so the module needs no YAML dependency. Unknown keys are kept in `extra`.
public struct ChangeMetadata: Sendable, Equatable {
    public var schema: String?
    public var created: String?
    public var goal: String?
    public var affectedAreas: [String]
    public var skipSpecs: Bool?
    public var retireCapabilities: Bool?
    public var priority: String?
    public var author: String?
    /// Other keys; a nested map `a: {b: c}` is stored as `a.b`, a list joined with ", ".
    public var extra: [String: String]
    public var issues: [ValidationIssue]

    public init(
        schema: String? = nil, created: String? = nil, goal: String? = nil, affectedAreas: [String] = [],
        skipSpecs: Bool? = nil, retireCapabilities: Bool? = nil, priority: String? = nil,
        author: String? = nil, extra: [String: String] = [:], issues: [ValidationIssue] = []
    ) {
        self.schema = schema
        self.created = created
        self.goal = goal
        self.affectedAreas = affectedAreas
        self.skipSpecs = skipSpecs
        self.retireCapabilities = retireCapabilities
        self.priority = priority
        self.author = author
        self.extra = extra
        self.issues = issues
    }

    /// True when OpenSpec would accept the file as change metadata (no ERROR).
    public var isValid: Bool { !issues.contains { $0.level == .error } }

    /// Parses any bytes; `path` only names the file in issues.
    public static func parse(_ bytes: [UInt8], path: String) -> ChangeMetadata {
        let source = SourceText(bytes)
        var reader = YAMLReader(source: source, path: path)
        let entries = reader.read()
        var meta = ChangeMetadata(issues: source.encodingIssues(path: path))
        meta.issues += reader.issues
        for entry in entries {
            meta.assign(entry, path: path)
        }
        if meta.schema?.isEmpty ?? true {
            meta.issues.append(.error(path, Messages.schemaRequired))
        }
        return meta
    }

    private mutating func assign(_ entry: YAMLEntry, path: String) {
        func scalar() -> String? {
            if case .scalar(let value) = entry.value { return value }
            issues.append(.error(path, "\(entry.key) must be a single value", line: entry.line))
            return nil
        }
        func boolean() -> Bool? {
            guard let text = scalar() else { return nil }
            switch text {
            case "true", "True", "TRUE": return true
            case "false", "False", "FALSE": return false
            default:
                issues.append(.error(path, "\(entry.key) must be true or false", line: entry.line))
                return nil
            }
        }
        switch entry.key {
        case "schema":
            schema = scalar()
        case "created":
            created = scalar()
            if let created, !Self.isISODate(created) {
                issues.append(.error(path, Messages.createdFormat, line: entry.line))
            }
        case "goal":
            goal = scalar()
        case "affected_areas":
            switch entry.value {
            case .list(let items): affectedAreas = items
            case .scalar(nil): affectedAreas = []
            default: issues.append(.error(path, "affected_areas must be a list of strings", line: entry.line))
            }
        case "skip_specs":
            skipSpecs = boolean()
        case "retire_capabilities":
            retireCapabilities = boolean()
        case "priority":
            priority = scalar()
        case "author":
            author = scalar()
        default:
            switch entry.value {
            case .scalar(let value): extra[entry.key] = value ?? ""
            case .list(let items): extra[entry.key] = items.joined(separator: ", ")
            case .map(let pairs):
                for (key, value) in pairs { extra["\(entry.key).\(key)"] = value ?? "" }
            }
        }
    }

    /// `/^\d{4}-\d{2}-\d{2}$/`
    static func isISODate(_ s: String) -> Bool {
        let u = Array(s.utf8)
        guard u.count == 10, u[4] == ASCII.minus, u[7] == ASCII.minus else { return false }
        for i in [0, 1, 2, 3, 5, 6, 8, 9] where !ASCII.isDigit(u[i]) { return false }
        return true
    }
}
