/// One top-level key of the YAML file.
struct YAMLEntry {
    enum Value {
        /// nil for YAML null (`~`, `null`, nothing).
        case scalar(String?)
        case list([String])
        case map([(String, String?)])
    }

    var key: String
    var value: Value
    var line: Int
}

/// The YAML subset reader behind `ChangeMetadata`.
struct YAMLReader {
    let source: SourceText
    let b: [UInt8]
    let path: String
    var issues: [ValidationIssue] = []
    /// How many block collections `readTree` is inside.
    var depth = 0

    init(source: SourceText, path: String) {
        self.source = source
        self.b = source.bytes
        self.path = path
    }

    /// A line with its indentation and comment-free content range.
    struct Line {
        var index: Int
        var indent: Int
        var start: Int
        var end: Int
        var isBlank: Bool { start >= end }
    }

    func line(_ li: Int) -> Line {
        let s = source.start(li)
        let e = source.end(li)
        var i = s
        while i < e && (b[i] == ASCII.space || b[i] == ASCII.tab) { i += 1 }
        let end = commentStart(i, e)
        let (_, te) = jsTrim(b, i, end)
        return Line(index: li, indent: i - s, start: i, end: max(i, te))
    }

    /// Where a `#` comment starts: at the content start or after whitespace, outside quotes.
    /// A quote only opens a string where a scalar can begin.
    func commentStart(_ s: Int, _ e: Int) -> Int {
        var i = s
        var quote: UInt8? = nil
        var previous: UInt8? = nil
        while i < e {
            let c = b[i]
            if let q = quote {
                if q == 0x22 && c == 0x5C {  // backslash in "..."
                    i += 2
                    continue
                }
                if c == q {
                    if q == 0x27 && i + 1 < e && b[i + 1] == 0x27 {
                        i += 2
                        continue
                    }
                    quote = nil
                }
            } else if c == ASCII.hash && (i == s || b[i - 1] == ASCII.space || b[i - 1] == ASCII.tab) {
                return i
            } else if c == 0x22 || c == 0x27 {
                if previous == nil || previous == ASCII.colon || previous == ASCII.minus
                    || previous == ASCII.openBracket || previous == 0x2C || previous == 0x7B
                {
                    quote = c
                }
            }
            if c != ASCII.space && c != ASCII.tab { previous = c }
            i += 1
        }
        return e
    }

    mutating func unparsable(_ line: Line) {
        let text = string(b, line.start, line.end)
        issues.append(.error(path, "cannot read line \(line.index + 1) as YAML: \"\(text)\"", line: line.index + 1))
    }

    mutating func read() -> [YAMLEntry] {
        var entries: [YAMLEntry] = []
        var seen = Set<String>()
        var li = 0
        let count = source.lineCount
        while li < count {
            let current = line(li)
            li += 1
            if current.isBlank { continue }
            if current.indent == 0 && (isMarker(current, "---") || isMarker(current, "...")) { continue }
            guard current.indent == 0, let (key, valueStart) = splitKey(current.start, current.end) else {
                unparsable(current)
                continue
            }
            var value: YAMLEntry.Value
            if valueStart >= current.end {
                (value, li) = nested(from: li)
            } else if b[valueStart] == 0x7C || b[valueStart] == 0x3E {  // | or >
                (value, li) = blockScalar(folded: b[valueStart] == 0x3E, from: li)
            } else if let parsed = flowOrScalar(valueStart, current.end) {
                value = parsed
            } else {
                unparsable(current)
                continue
            }
            if !seen.insert(key).inserted {
                issues.append(.error(path, "duplicated mapping key \"\(key)\"", line: current.index + 1))
                continue
            }
            entries.append(YAMLEntry(key: key, value: value, line: current.index + 1))
        }
        return entries
    }

    func isMarker(_ line: Line, _ marker: StaticString) -> Bool {
        line.end - line.start == 3 && hasPrefix(b, line.start, line.end, marker)
    }

    /// `key: value` or `key:`; returns the key and where the value starts.
    func splitKey(_ s: Int, _ e: Int) -> (String, Int)? {
        guard s < e else { return nil }
        var keyEnd: Int
        var key: String
        if b[s] == 0x22 || b[s] == 0x27 {
            guard let (text, after) = quoted(s, e) else { return nil }
            key = text
            keyEnd = skipSpaces(b, after, e)
            guard keyEnd < e, b[keyEnd] == ASCII.colon else { return nil }
        } else {
            keyEnd = s
            while keyEnd < e {
                if b[keyEnd] == ASCII.colon && (keyEnd + 1 == e || b[keyEnd + 1] == ASCII.space || b[keyEnd + 1] == ASCII.tab) {
                    break
                }
                keyEnd += 1
            }
            guard keyEnd < e, keyEnd > s else { return nil }
            if b[s] == ASCII.minus && (s + 1 == keyEnd || b[s + 1] == ASCII.space) { return nil }
            key = trimmedString(b, s, keyEnd)
        }
        guard !key.isEmpty else { return nil }
        return (key, skipSpaces(b, keyEnd + 1, e))
    }

    /// A block list or a one-level map under `key:`, or null when nothing is indented.
    mutating func nested(from first: Int) -> (YAMLEntry.Value, Int) {
        var li = first
        var children: [Line] = []
        while li < source.lineCount {
            let child = line(li)
            if child.isBlank {
                li += 1
                continue
            }
            guard child.indent > 0 || isDash(child) else { break }
            children.append(child)
            li += 1
        }
        guard let head = children.first else { return (.scalar(nil), li) }
        if isDash(head) {
            var items: [String] = []
            for child in children {
                guard child.indent == head.indent, isDash(child) else {
                    unparsable(child)
                    continue
                }
                let itemStart = skipSpaces(b, child.start + 1, child.end)
                if itemStart >= child.end {
                    items.append("")
                } else if case .scalar(let value)? = flowOrScalar(itemStart, child.end), splitKey(itemStart, child.end) == nil {
                    items.append(value ?? "")
                } else {
                    unparsable(child)
                }
            }
            return (.list(items), li)
        }
        var pairs: [(String, String?)] = []
        for child in children {
            guard child.indent == head.indent, let (key, valueStart) = splitKey(child.start, child.end) else {
                unparsable(child)
                continue
            }
            if valueStart >= child.end {
                pairs.append((key, nil))
            } else if case .scalar(let value)? = flowOrScalar(valueStart, child.end) {
                pairs.append((key, value))
            } else if case .list(let items)? = flowOrScalar(valueStart, child.end) {
                pairs.append((key, items.joined(separator: ", ")))
            } else {
                unparsable(child)
            }
        }
        return (.map(pairs), li)
    }

    func isDash(_ line: Line) -> Bool {
        line.start < line.end && b[line.start] == ASCII.minus
            && (line.start + 1 == line.end || b[line.start + 1] == ASCII.space || b[line.start + 1] == ASCII.tab)
    }

    /// `|` and `>` block scalars: the indented lines that follow, dedented.
    func blockScalar(folded: Bool, from first: Int) -> (YAMLEntry.Value, Int) {
        var li = first
        var lines: [(indent: Int, start: Int, end: Int)] = []
        while li < source.lineCount {
            let s = source.start(li)
            let e = source.end(li)
            var i = s
            while i < e && b[i] == ASCII.space { i += 1 }
            let blank = skipSpaces(b, i, e) == e
            if !blank && i == s { break }
            lines.append((i - s, s, e))
            li += 1
        }
        while let last = lines.last, skipSpaces(b, last.start, last.end) == last.end { lines.removeLast() }
        let indent = lines.first { skipSpaces(b, $0.start, $0.end) < $0.end }?.indent ?? 0
        var parts: [String] = []
        for entry in lines {
            let from = min(entry.start + indent, entry.end)
            parts.append(string(b, skipSpaces(b, entry.start, entry.end) == entry.end ? entry.end : from, entry.end))
        }
        return (.scalar(folded ? Self.fold(parts) : parts.joined(separator: "\n")), li)
    }

    /// The lines of a folded (`>`) block scalar: lines join with a space, an
    /// empty line stands for a line break.
    static func fold(_ parts: [String]) -> String {
        var text = ""
        var previousBlank = true
        for part in parts {
            if part.isEmpty {
                text += "\n"
                previousBlank = true
            } else {
                if !previousBlank { text += " " }
                text += part
                previousBlank = false
            }
        }
        return text
    }

    /// A flow list `[a, b]`, a flow map `{a: b}`, a quoted string or a plain scalar.
    func flowOrScalar(_ s: Int, _ e: Int) -> YAMLEntry.Value? {
        guard s < e else { return .scalar(nil) }
        switch b[s] {
        case ASCII.openBracket:
            guard b[e - 1] == ASCII.closeBracket, let items = flowItems(s + 1, e - 1) else { return nil }
            var values: [String] = []
            for (is_, ie) in items {
                guard case .scalar(let value)? = scalarValue(is_, ie) else { return nil }
                values.append(value ?? "")
            }
            return .list(values)
        case 0x7B:  // {
            guard b[e - 1] == 0x7D, let items = flowItems(s + 1, e - 1) else { return nil }
            var pairs: [(String, String?)] = []
            for (is_, ie) in items {
                guard let (key, valueStart) = splitKey(is_, ie), case .scalar(let value)? = scalarValue(valueStart, ie)
                else { return nil }
                pairs.append((key, value))
            }
            return .map(pairs)
        default:
            return scalarValue(s, e)
        }
    }

    /// Comma-separated items of a flow collection, respecting quotes; nil on nesting.
    func flowItems(_ s: Int, _ e: Int) -> [(Int, Int)]? {
        var items: [(Int, Int)] = []
        var i = s
        var itemStart = s
        var quote: UInt8? = nil
        while i < e {
            let c = b[i]
            if let q = quote {
                if q == 0x22 && c == 0x5C {
                    i += 2
                    continue
                }
                if c == q { quote = nil }
            } else if c == 0x22 || c == 0x27 {
                if skipSpaces(b, itemStart, i) == i { quote = c }
            } else if c == ASCII.openBracket || c == 0x7B || c == ASCII.closeBracket || c == 0x7D {
                return nil
            } else if c == 0x2C {
                items.append(jsTrim(b, itemStart, i))
                itemStart = i + 1
            }
            i += 1
        }
        guard quote == nil else { return nil }
        let last = jsTrim(b, itemStart, min(i, e))
        if last.0 < last.1 || !items.isEmpty { items.append(last) }
        return items.filter { $0.0 < $0.1 }
    }

    /// A quoted or plain scalar filling `[s, e)`.
    func scalarValue(_ s: Int, _ e: Int) -> YAMLEntry.Value? {
        let (ts, te) = jsTrim(b, s, e)
        guard ts < te else { return .scalar(nil) }
        if b[ts] == 0x22 || b[ts] == 0x27 {
            guard let (text, after) = quoted(ts, te), skipSpaces(b, after, te) == te else { return nil }
            return .scalar(text)
        }
        let text = string(b, ts, te)
        switch text {
        case "~", "null", "Null", "NULL": return .scalar(nil)
        default: return .scalar(text)
        }
    }

    /// A `"…"` or `'…'` string starting at `s`: its value and the index after it.
    func quoted(_ s: Int, _ e: Int) -> (String, Int)? {
        let q = b[s]
        var out: [UInt8] = []
        var i = s + 1
        while i < e {
            let c = b[i]
            if q == 0x27 {
                if c == 0x27 {
                    if i + 1 < e && b[i + 1] == 0x27 {
                        out.append(0x27)
                        i += 2
                        continue
                    }
                    return (String(decoding: out, as: UTF8.self), i + 1)
                }
                out.append(c)
                i += 1
                continue
            }
            if c == 0x22 { return (String(decoding: out, as: UTF8.self), i + 1) }
            if c == 0x5C && i + 1 < e {
                let next = b[i + 1]
                i += 2
                switch next {
                case 0x6E: out.append(ASCII.lf)  // \n
                case 0x74: out.append(ASCII.tab)  // \t
                case 0x72: out.append(ASCII.cr)  // \r
                case 0x30: out.append(0)  // \0
                case 0x75, 0x78:  // \uXXXX, \xXX
                    let digits = next == 0x75 ? 4 : 2
                    var scalar: UInt32 = 0
                    var k = 0
                    while k < digits && i < e, let d = hexValue(b[i]) {
                        scalar = scalar * 16 + d
                        k += 1
                        i += 1
                    }
                    guard k == digits, let u = Unicode.Scalar(scalar) else { return nil }
                    out.append(contentsOf: Array(String(Character(u)).utf8))
                default: out.append(next)
                }
                continue
            }
            out.append(c)
            i += 1
        }
        return nil
    }

    func hexValue(_ c: UInt8) -> UInt32? {
        switch c {
        case 0x30...0x39: return UInt32(c - 0x30)
        case 0x41...0x46: return UInt32(c - 0x41 + 10)
        case 0x61...0x66: return UInt32(c - 0x61 + 10)
        default: return nil
        }
    }
}
