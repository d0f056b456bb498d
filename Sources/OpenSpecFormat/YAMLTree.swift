/// A YAML value of the subset OpenSpec's schema and config files use: block
/// mappings and sequences at any depth, flow sequences `[a, b]` and flow
/// mappings `{k: v}` (nested too), plain and quoted scalars, `|` and `>`
/// block scalars, comments. Anchors, tags and multi-line flow collections
/// are not read.
public struct YAMLNode: Sendable, Equatable {
    public enum Value: Sendable, Equatable {
        /// nil for YAML null (`~`, `null`, nothing).
        case scalar(String?)
        case sequence([YAMLNode])
        case mapping([YAMLPair])
    }

    public var value: Value
    /// 1-based line where the value starts.
    public var line: Int

    public init(_ value: Value, line: Int) {
        self.value = value
        self.line = line
    }

    /// The value of `key` in a mapping; nil for a missing key or a non-mapping.
    public subscript(key: String) -> YAMLNode? {
        guard case .mapping(let pairs) = value else { return nil }
        return pairs.first { $0.key == key }?.node
    }

    /// The text of a non-null scalar.
    public var string: String? {
        if case .scalar(let text) = value { return text }
        return nil
    }

    public var isNull: Bool { value == .scalar(nil) }
}

public struct YAMLPair: Sendable, Equatable {
    public var key: String
    public var node: YAMLNode
}

/// A whole YAML file read as a tree: the root (nil for an empty file) and
/// an issue, with file and line, for each line that could not be read.
public struct YAMLDocument: Sendable {
    public var root: YAMLNode?
    public var issues: [ValidationIssue]

    /// Reads any bytes; never fails, `path` only names the file in issues.
    public static func parse(_ bytes: [UInt8], path: String) -> YAMLDocument {
        let source = SourceText(bytes)
        var reader = YAMLReader(source: source, path: path)
        let root = reader.readTree()
        return YAMLDocument(root: root, issues: source.encodingIssues(path: path) + reader.issues)
    }
}

extension YAMLReader {
    /// Deepest nesting of flow collections read; deeper input is an issue, not a stack overflow.
    static let maxFlowDepth = 64
    /// Deepest nesting of block collections read, for the same reason.
    static let maxBlockDepth = 64

    mutating func readTree() -> YAMLNode? {
        var li = 0
        guard let first = peek(&li) else { return nil }
        let root = blockNode(&li, first)
        // Anything after the root's block (a line less indented than it) is not part of the document.
        while let extra = peek(&li) {
            unparsable(extra)
            li += 1
        }
        return root
    }

    /// The next line with content at or after `li` (which is moved to it), skipping document markers.
    func peek(_ li: inout Int) -> Line? {
        while li < source.lineCount {
            let current = line(li)
            if !current.isBlank && !(current.indent == 0 && (isMarker(current, "---") || isMarker(current, "..."))) {
                return current
            }
            li += 1
        }
        return nil
    }

    /// The block value starting at `first` (whose `indent` is the column of its content).
    mutating func blockNode(_ li: inout Int, _ first: Line) -> YAMLNode {
        guard depth < Self.maxBlockDepth else {
            // Far deeper than any schema: reported and skipped, not recursed into.
            unparsable(first)
            li = first.index + 1
            while let deeper = peek(&li), deeper.indent >= first.indent { li += 1 }
            return YAMLNode(.scalar(nil), line: first.index + 1)
        }
        depth += 1
        defer { depth -= 1 }
        if isDash(first) { return sequence(&li, first) }
        let c = b[first.start]
        if c != ASCII.openBracket && c != 0x7B, splitKey(first.start, first.end) != nil {
            return mapping(&li, first)
        }
        li = first.index + 1
        return inlineValue(&li, first, from: first.start, parentIndent: first.indent - 1)
    }

    /// A flow collection or a scalar from `s` in `line`: a plain or quoted
    /// scalar may go on over the following lines indented more than
    /// `parentIndent` (which `li`, the next line to read, is moved past);
    /// an issue and null when it cannot be read.
    mutating func inlineValue(_ li: inout Int, _ line: Line, from s: Int, parentIndent: Int) -> YAMLNode {
        let number = line.index + 1
        var i = s
        if b[s] == ASCII.openBracket || b[s] == 0x7B {
            if let value = flowValue(&i, line.end, line: number, depth: 0), skipSpaces(b, i, line.end) == line.end {
                return YAMLNode(value, line: number)
            }
        } else if (b[s] == 0x22 || b[s] == 0x27) && quoted(s, line.end) == nil {
            if let text = multiLineQuoted(&li, line, from: s, parentIndent: parentIndent) {
                return YAMLNode(.scalar(text), line: number)
            }
        } else if case .scalar(let text)? = scalarValue(s, line.end) {
            guard let text, b[s] != 0x22 && b[s] != 0x27 else { return YAMLNode(.scalar(text), line: number) }
            var folded = text
            var next = li
            // A "key: value" line is no continuation (a plain scalar cannot hold ": ").
            while let more = peek(&next), more.indent > parentIndent, splitKey(more.start, more.end) == nil {
                folded += " " + string(b, more.start, more.end)
                next += 1
                li = next
            }
            return YAMLNode(.scalar(folded), line: number)
        }
        unparsable(line)
        return YAMLNode(.scalar(nil), line: number)
    }

    /// A quoted scalar that does not close on its first line: the following
    /// lines, trimmed and joined by spaces, until one closes it.
    mutating func multiLineQuoted(_ li: inout Int, _ line: Line, from s: Int, parentIndent: Int) -> String? {
        var joined = Array(b[s..<source.end(line.index)])
        var next = li
        while next < source.lineCount && next - line.index <= 1_000 {
            let (ts, te) = jsTrim(b, source.start(next), source.end(next))
            if ts < te && ts - source.start(next) <= parentIndent { return nil }
            joined.append(ASCII.space)
            joined += b[ts..<te]
            next += 1
            let reader = YAMLReader(source: SourceText(joined), path: path)
            if let (text, after) = reader.quoted(0, joined.count) {
                let rest = skipSpaces(joined, after, joined.count)
                guard rest == joined.count || joined[rest] == ASCII.hash else { return nil }
                li = next
                return text
            }
        }
        return nil
    }

    mutating func mapping(_ li: inout Int, _ first: Line) -> YAMLNode {
        let indent = first.indent
        var pairs: [YAMLPair] = []
        var seen = Set<String>()
        var current: Line? = first
        while let entry = current {
            li = entry.index + 1
            if let (key, valueStart) = splitKey(entry.start, entry.end), !isDash(entry) {
                let node = value(&li, entry, valueStart: valueStart, indent: indent)
                if seen.insert(key).inserted {
                    pairs.append(YAMLPair(key: key, node: node))
                } else {
                    issues.append(.error(path, "duplicated mapping key \"\(key)\"", line: entry.index + 1))
                }
            } else {
                unparsable(entry)
            }
            current = nextSibling(&li, indent: indent)
        }
        return YAMLNode(.mapping(pairs), line: first.index + 1)
    }

    mutating func sequence(_ li: inout Int, _ first: Line) -> YAMLNode {
        let indent = first.indent
        var items: [YAMLNode] = []
        var current: Line? = first
        while let entry = current {
            li = entry.index + 1
            let itemStart = skipSpaces(b, entry.start + 1, entry.end)
            if itemStart >= entry.end {
                var next = li
                if let child = peek(&next), child.indent > indent {
                    li = next
                    items.append(blockNode(&li, child))
                } else {
                    items.append(YAMLNode(.scalar(nil), line: entry.index + 1))
                }
            } else {
                // "- key: value" opens a mapping whose keys line up with "key".
                let inner = Line(index: entry.index, indent: entry.indent + (itemStart - entry.start),
                                 start: itemStart, end: entry.end)
                items.append(blockNode(&li, inner))
            }
            current = nextSibling(&li, indent: indent)
            // A key at the list's indentation ends it (a list under "key:" may sit at the key's own indentation).
            if let next = current, !isDash(next) { break }
        }
        return YAMLNode(.sequence(items), line: first.index + 1)
    }

    /// The next line of the same block (same indentation); more indented
    /// lines that no value took are reported and skipped.
    mutating func nextSibling(_ li: inout Int, indent: Int) -> Line? {
        while let next = peek(&li) {
            if next.indent == indent { return next }
            if next.indent < indent { return nil }
            unparsable(next)
            li += 1
        }
        return nil
    }

    /// The value of a mapping entry: on its own line, or the block below it.
    mutating func value(_ li: inout Int, _ entry: Line, valueStart: Int, indent: Int) -> YAMLNode {
        guard valueStart < entry.end else {
            // "key:" then a more indented block, or a sequence at the key's own indentation.
            var next = li
            if let child = peek(&next), child.indent > indent || (child.indent == indent && isDash(child)) {
                li = next
                return blockNode(&li, child)
            }
            return YAMLNode(.scalar(nil), line: entry.index + 1)
        }
        let c = b[valueStart]
        if (c == 0x7C || c == 0x3E), isBlockScalarHeader(valueStart, entry.end) {  // | or >
            let (text, after) = blockText(folded: c == 0x3E, from: entry.index + 1, parentIndent: indent)
            li = after
            return YAMLNode(.scalar(text), line: entry.index + 1)
        }
        return inlineValue(&li, entry, from: valueStart, parentIndent: indent)
    }

    /// `|`, `>`, with an optional chomping sign and indentation digit.
    func isBlockScalarHeader(_ s: Int, _ e: Int) -> Bool {
        var i = s + 1
        while i < e, b[i] == ASCII.plus || b[i] == ASCII.minus || ASCII.isDigit(b[i]) { i += 1 }
        return skipSpaces(b, i, e) == e
    }

    /// The lines of a block scalar (blank, or indented more than its key), dedented; and the line after them.
    func blockText(folded: Bool, from first: Int, parentIndent: Int) -> (String, Int) {
        var li = first
        var lines: [(indent: Int, start: Int, end: Int, blank: Bool)] = []
        while li < source.lineCount {
            let s = source.start(li)
            let e = source.end(li)
            var i = s
            while i < e && b[i] == ASCII.space { i += 1 }
            let blank = skipSpaces(b, i, e) == e
            if !blank && i - s <= parentIndent { break }
            lines.append((i - s, s, e, blank))
            li += 1
        }
        while lines.last?.blank == true { lines.removeLast() }
        let indent = lines.first { !$0.blank }?.indent ?? 0
        let parts = lines.map { $0.blank ? "" : string(b, min($0.start + indent, $0.end), $0.end) }
        return (folded ? Self.fold(parts) : parts.joined(separator: "\n"), li)
    }

    /// A flow value at `i` (moved past it), up to `e`: nil when it is not well formed.
    func flowValue(_ i: inout Int, _ e: Int, line: Int, depth: Int) -> YAMLNode.Value? {
        i = skipSpaces(b, i, e)
        guard i < e, depth < Self.maxFlowDepth else { return nil }
        switch b[i] {
        case ASCII.openBracket:
            i += 1
            var items: [YAMLNode] = []
            while true {
                i = skipSpaces(b, i, e)
                guard i < e else { return nil }
                if b[i] == ASCII.closeBracket {
                    i += 1
                    return .sequence(items)
                }
                guard let item = flowValue(&i, e, line: line, depth: depth + 1) else { return nil }
                items.append(YAMLNode(item, line: line))
                guard separator(&i, e, close: ASCII.closeBracket) else { return nil }
            }
        case 0x7B:  // {
            i += 1
            var pairs: [YAMLPair] = []
            while true {
                i = skipSpaces(b, i, e)
                guard i < e else { return nil }
                if b[i] == 0x7D {
                    i += 1
                    return .mapping(pairs)
                }
                guard let key = flowKey(&i, e), !pairs.contains(where: { $0.key == key }) else { return nil }
                i = skipSpaces(b, i, e)
                var node = YAMLNode(.scalar(nil), line: line)
                if i < e && b[i] == ASCII.colon {
                    i += 1
                    let next = skipSpaces(b, i, e)
                    if next < e && b[next] != 0x2C && b[next] != 0x7D {
                        guard let value = flowValue(&i, e, line: line, depth: depth + 1) else { return nil }
                        node = YAMLNode(value, line: line)
                    }
                }
                pairs.append(YAMLPair(key: key, node: node))
                guard separator(&i, e, close: 0x7D) else { return nil }
            }
        case 0x22, 0x27:
            guard let (text, after) = quoted(i, e) else { return nil }
            i = after
            return .scalar(text)
        case 0x2C, ASCII.closeBracket, 0x7D:
            return nil
        default:
            let s = i
            while i < e && b[i] != 0x2C && b[i] != ASCII.closeBracket && b[i] != 0x7D { i += 1 }
            return scalarValue(s, i).flatMap { if case .scalar(let text) = $0 { return .scalar(text) } else { return nil } }
        }
    }

    /// After a flow item: a comma (then more), or the closing bracket, which is left for the caller.
    func separator(_ i: inout Int, _ e: Int, close: UInt8) -> Bool {
        i = skipSpaces(b, i, e)
        guard i < e else { return false }
        if b[i] == 0x2C {
            i += 1
            return true
        }
        return b[i] == close
    }

    /// A key of a flow mapping: quoted, or plain up to `:` followed by a space, `,` or `}`.
    func flowKey(_ i: inout Int, _ e: Int) -> String? {
        if b[i] == 0x22 || b[i] == 0x27 {
            guard let (text, after) = quoted(i, e) else { return nil }
            i = after
            return text
        }
        let s = i
        while i < e {
            let c = b[i]
            if c == 0x2C || c == 0x7D || c == ASCII.openBracket || c == ASCII.closeBracket || c == 0x7B { break }
            if c == ASCII.colon && (i + 1 == e || b[i + 1] == ASCII.space || b[i + 1] == 0x2C || b[i + 1] == 0x7D) { break }
            i += 1
        }
        let key = trimmedString(b, s, i)
        return key.isEmpty ? nil : key
    }
}
