/// Where a path (relative to the `openspec/` folder, `/`-separated) belongs.
public enum OpenSpecPath: Sendable, Equatable {
    /// A file inside a change folder. `folder` is `changes/<id>` or
    /// `changes/archive/<name>`; `file` is relative to it and may contain `/`.
    case changeFile(folder: String, file: String)
    /// `specs/<capability path>/spec.md`, capability path of depth 1 or more.
    case mainSpec(capability: String)
    case other

    /// Classifies a path by OpenSpec's discovery rules (OPENSPEC-FORMAT 1.2): dot
    /// entries are skipped, `specs/spec.md` and stray files under `changes/` are not
    /// part of anything.
    public static func classify(_ relativePath: String) -> OpenSpecPath {
        let parts = relativePath.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard parts.count >= 2, parts.allSatisfy({ !$0.isEmpty && $0 != "." && $0 != ".." }) else {
            return .other
        }
        if parts[0] == "changes" {
            let folderDepth = parts[1] == "archive" ? 3 : 2
            guard parts.count > folderDepth else { return .other }
            let folderPath = parts[0..<folderDepth].joined(separator: "/")
            guard ChangeFolder(path: folderPath) != nil else { return .other }
            return .changeFile(folder: folderPath, file: parts[folderDepth...].joined(separator: "/"))
        }
        if parts[0] == "specs", parts.count >= 3, parts[parts.count - 1] == "spec.md" {
            let capability = parts[1..<(parts.count - 1)]
            guard capability.allSatisfy({ !$0.hasPrefix(".") }) else { return .other }
            return .mainSpec(capability: capability.joined(separator: "/"))
        }
        return .other
    }
}

/// A change folder: `changes/<id>` or `changes/archive/<name>`.
///
/// The folder path is the identity; the change id is derived, because the same id
/// can be archived twice under different dates.
public struct ChangeFolder: Sendable, Equatable, Hashable {
    public var path: String
    public var changeId: String
    public var isArchived: Bool
    /// The `YYYY-MM-DD` prefix of an archive folder name, if it has one.
    public var archivedOn: String?

    /// nil for `changes/archive` itself, dot-folders and anything else.
    public init?(path: String) {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        func usable(_ name: String) -> Bool { !name.isEmpty && !name.hasPrefix(".") }
        if parts.count == 2, parts[0] == "changes", parts[1] != "archive", usable(parts[1]) {
            self.path = path
            self.changeId = parts[1]
            self.isArchived = false
            self.archivedOn = nil
        } else if parts.count == 3, parts[0] == "changes", parts[1] == "archive", usable(parts[2]) {
            let name = parts[2]
            self.path = path
            self.isArchived = true
            if let (date, rest) = Self.splitArchiveDate(name), !rest.isEmpty {
                self.archivedOn = date
                self.changeId = rest
            } else {
                self.archivedOn = nil
                self.changeId = name
            }
        } else {
            return nil
        }
    }

    /// `^\d{4}-\d{2}-\d{2}-`: OpenSpec's archive date prefix, split off once.
    static func splitArchiveDate(_ name: String) -> (String, String)? {
        let u = Array(name.utf8)
        guard u.count >= 11, u[4] == ASCII.minus, u[7] == ASCII.minus, u[10] == ASCII.minus else { return nil }
        for i in [0, 1, 2, 3, 5, 6, 8, 9] where !ASCII.isDigit(u[i]) { return nil }
        return (string(u, 0, 10), string(u, 11, u.count))
    }
}

/// OpenSpec's change-name grammar, enforced only when creating a change (OPENSPEC-FORMAT 4).
public enum ChangeName {
    /// The messages `openspec new change` would give for `name`; empty when it is fine.
    ///
    /// OpenSpec stops at the first message; all that apply are listed here, in its order.
    public static func problems(_ name: String) -> [String] {
        if name.isEmpty { return ["Change name cannot be empty"] }
        var problems: [String] = []
        if name.utf16.count > 200 { problems.append("Change name is too long (200 characters max)") }
        guard !isKebab(name) else { return problems }
        var specific: [String] = []
        if name.utf8.contains(where: { $0 >= 0x41 && $0 <= 0x5A }) {
            specific.append("Change name must be lowercase (use kebab-case)")
        }
        if name.unicodeScalars.contains(where: { $0.properties.isWhitespace }) {
            specific.append("Change name cannot contain spaces (use hyphens instead)")
        }
        if name.contains("_") {
            specific.append("Change name cannot contain underscores (use hyphens instead)")
        }
        if name.hasPrefix("-") { specific.append("Change name cannot start with a hyphen") }
        if name.hasSuffix("-") { specific.append("Change name cannot end with a hyphen") }
        if name.contains("--") { specific.append("Change name cannot contain consecutive hyphens") }
        if specific.isEmpty {
            specific.append("Change name can only contain lowercase letters, numbers, and hyphens")
        }
        return problems + specific
    }

    /// `/^[a-z0-9]+(?:-[a-z0-9]+)*$/`
    static func isKebab(_ name: String) -> Bool {
        var previousHyphen = true
        for c in name.utf8 {
            if c == ASCII.minus {
                if previousHyphen { return false }
                previousHyphen = true
            } else if (c >= 0x61 && c <= 0x7A) || ASCII.isDigit(c) {
                previousHyphen = false
            } else {
                return false
            }
        }
        return !previousHyphen
    }
}

/// Path globs as OpenSpec's `apply.tracks` uses them: `*` and `?` within a segment,
/// `**` across segments; wildcards do not match names starting with a dot.
enum Glob {
    static func matches(_ pattern: String, _ path: String) -> Bool {
        if !pattern.utf8.contains(where: { $0 == ASCII.star || $0 == 0x3F }) {
            // No wildcard (the usual "tasks.md"): the same segments, which
            // for paths without empty segments is the same text.
            if hasNoEmptySegment(pattern) && hasNoEmptySegment(path) { return pattern == path }
            return pattern.split(separator: "/").elementsEqual(path.split(separator: "/"))
        }
        let patternParts = pattern.split(separator: "/", omittingEmptySubsequences: true).map { Array($0.utf8) }
        let pathParts = path.split(separator: "/", omittingEmptySubsequences: true).map { Array($0.utf8) }
        // reachable[j]: the pattern prefix processed so far can consume the first j path segments.
        var reachable = [Bool](repeating: false, count: pathParts.count + 1)
        reachable[0] = true
        for part in patternParts {
            var next = [Bool](repeating: false, count: pathParts.count + 1)
            if part == Array("**".utf8) {
                var carry = false
                for j in 0...pathParts.count {
                    if reachable[j] { carry = true }
                    next[j] = carry
                    if j < pathParts.count && pathParts[j].first == ASCII.dot { carry = false }
                }
            } else {
                for j in 0..<pathParts.count where reachable[j] && segmentMatches(part, pathParts[j]) {
                    next[j + 1] = true
                }
            }
            reachable = next
        }
        return reachable[pathParts.count]
    }

    private static func hasNoEmptySegment(_ path: String) -> Bool {
        let utf8 = path.utf8
        guard let first = utf8.first, let last = utf8.last, first != UInt8(ascii: "/"), last != UInt8(ascii: "/") else { return false }
        var previous: UInt8 = 0
        for byte in utf8 {
            if byte == UInt8(ascii: "/") && previous == UInt8(ascii: "/") { return false }
            previous = byte
        }
        return true
    }

    /// `*` and `?` wildcard match of one path segment, linear-time greedy backtracking.
    static func segmentMatches(_ p: [UInt8], _ s: [UInt8]) -> Bool {
        if s.first == ASCII.dot && p.first != ASCII.dot { return false }
        var pi = 0
        var si = 0
        var starP = -1
        var starS = 0
        while si < s.count {
            if pi < p.count && (p[pi] == 0x3F || p[pi] == s[si]) {  // ?
                pi += 1
                si += 1
            } else if pi < p.count && p[pi] == ASCII.star {
                starP = pi
                starS = si
                pi += 1
            } else if starP >= 0 {
                pi = starP + 1
                starS += 1
                si = starS
            } else {
                return false
            }
        }
        while pi < p.count && p[pi] == ASCII.star { pi += 1 }
        return pi == p.count
    }
}
