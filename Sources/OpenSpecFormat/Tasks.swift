/// Progress category, with the strings `openspec list --json` uses.
public enum TaskStatus: String, Codable, Sendable {
    case noTasks = "no-tasks"
    case complete
    case inProgress = "in-progress"

    /// OpenSpec's rule: no tasks, all done, or anything in between.
    public init(completed: Int, total: Int) {
        if total == 0 {
            self = .noTasks
        } else if completed >= total {
            self = .complete
        } else {
            self = .inProgress
        }
    }
}

/// One checkbox line, with byte offsets into the original file so a writer can
/// flip exactly one marker byte without re-rendering the file.
public struct TaskItem: Sendable, Equatable, Codable {
    /// 1-based line.
    public var line: Int
    /// The raw text between the brackets: `" "`, `"x"`, `" x "`, `"~"`, `""`…
    public var marker: String
    /// OpenSpec 1.13: done when the single marker character is `x` or `X`.
    public var isDone: Bool
    /// Written task id such as `1.2` or `2.3a`, if the description starts with one.
    public var number: String?
    /// Description after the checkbox, trimmed.
    public var text: String
    /// Width of the leading whitespace (a tab counts to the next multiple of 4).
    public var indent: Int
    /// Title of the nearest preceding markdown heading, any level.
    public var group: String?
    /// Byte offset in the original bytes where the line starts.
    public var lineStart: Int
    /// Byte offset in the original bytes of `[`.
    public var openBracketOffset: Int
    /// Byte offset in the original bytes of `]`.
    public var closeBracketOffset: Int
    /// Byte offset of the marker character (its first byte), nil for a blank box.
    public var markerOffset: Int?

    public init(
        line: Int, marker: String, isDone: Bool, number: String?, text: String, indent: Int,
        group: String?, lineStart: Int, openBracketOffset: Int, closeBracketOffset: Int,
        markerOffset: Int?
    ) {
        self.line = line
        self.marker = marker
        self.isDone = isDone
        self.number = number
        self.text = text
        self.indent = indent
        self.group = group
        self.lineStart = lineStart
        self.openBracketOffset = openBracketOffset
        self.closeBracketOffset = closeBracketOffset
        self.markerOffset = markerOffset
    }
}

/// A heading of a tasks file, the unit tasks are grouped under.
public struct TaskGroup: Sendable, Equatable, Codable {
    public var title: String
    /// N of a `## N.` heading (the numbering lint's groups), else nil.
    public var number: Int?
    public var level: Int
    /// 1-based line.
    public var line: Int

    public init(title: String, number: Int?, level: Int, line: Int) {
        self.title = title
        self.number = number
        self.level = level
        self.line = line
    }
}

/// A parsed tasks file (OPENSPEC-FORMAT 2.4), counted the way OpenSpec 1.13 counts.
///
/// Fences and HTML comments do not hide tasks: OpenSpec counts them on purpose.
public struct TaskList: Sendable, Equatable {
    public var tasks: [TaskItem]
    public var groups: [TaskGroup]
    /// Numbering-lint WARNINGs with OpenSpec's texts, plus an encoding ERROR if any.
    public var issues: [ValidationIssue]
    public var completed: Int
    public var total: Int
    public var status: TaskStatus
    /// What the numbering lint needs to check ids across several task files.
    var numbering: [NumberingEntry]

    /// The OpenSpec release whose task rules this parser follows; stored with counts
    /// so they can be recomputed when the rules move again.
    public static let emulatedOpenSpecVersion = "1.13"

    /// Parses the original bytes (offsets refer to them); `path` only names the file in issues.
    public static func parse(_ bytes: [UInt8], path: String) -> TaskList {
        var list = scan(bytes)
        if let bad = firstInvalidUTF8Offset(bytes) {
            list.issues.append(Messages.notUTF8(path: path, line: lineNumber(of: bad, in: bytes)))
        }
        list.issues += numberingIssues([(path: path, display: path, entries: list.numbering)])
        return list
    }

    /// Counts and items without issues; `parse` adds those. Without
    /// `keepingItems`, `tasks` stays empty (only the counts and the numbering
    /// lint's entries are kept): a large file is not held a second time as items.
    static func scan(_ b: [UInt8], keepingItems: Bool = true) -> TaskList {
        var tasks: [TaskItem] = []
        var groups: [TaskGroup] = []
        var numbering: [NumberingEntry] = []
        var completed = 0
        var total = 0
        var fence: Fence? = nil
        var heading: String? = nil
        var lintGroup: String? = nil
        let n = b.count
        let bomEnd = (n >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF) ? 3 : 0
        var s = 0
        var lineNo = 0
        while s <= n {
            lineNo += 1
            var e = s
            while e < n && b[e] != ASCII.lf { e += 1 }
            // The line as markdown sees it: no BOM, no trailing CR.
            let ms = s == 0 ? bomEnd : s
            var me = e
            if me > ms && b[me - 1] == ASCII.cr { me -= 1 }

            if let active = fence {
                if closesFence(b, ms, me, active) { fence = nil }
            } else if let opened = fenceOpening(b, ms, me) {
                fence = opened
            } else if let header = headerLine(b, ms, me), header.isHeader {
                let title = headerTitle(b, header, me)
                heading = title
                groups.append(
                    TaskGroup(
                        title: title, number: header.level == 2 ? groupNumber(b, ms, me).flatMap { Int($0) } : nil,
                        level: header.level, line: lineNo))
            }

            // The numbering lint reads raw lines, BOM and all, like OpenSpec.
            if isLevelTwoHeading(b, s, e) {
                lintGroup = groupNumber(b, s, e)
            }

            if var task = matchTask(b, s, e, bomEnd: s == 0 ? bomEnd : s) {
                task.line = lineNo
                task.group = heading
                if task.isDone { completed += 1 }
                total += 1
                if let id = task.number, let group = lintGroup {
                    numbering.append(NumberingEntry(line: lineNo, id: id, group: group))
                }
                if keepingItems { tasks.append(task) }
            }
            if e >= n { break }
            s = e + 1
        }
        return TaskList(
            tasks: tasks, groups: groups, issues: [], completed: completed, total: total,
            status: TaskStatus(completed: completed, total: total), numbering: numbering)
    }

    /// The 1.13 task regex, by hand:
    /// `^\s*(?:[-*+]|\d{1,9}[.)])\s*\[(?:\s*([^\]\s]?)\s*\](?![([])|\s+\])\s*(.*)`.
    ///
    /// `bomEnd` is where indentation starts counting (past a BOM on line 1; JavaScript's
    /// `\s` matches U+FEFF, so a BOM never hides the first task).
    static func matchTask(_ b: [UInt8], _ s: Int, _ e: Int, bomEnd: Int) -> TaskItem? {
        var i = s
        var indent = 0
        while i < e {
            let w = jsSpaceLength(b, i, e)
            if w == 0 { break }
            if i >= bomEnd {
                indent = b[i] == ASCII.tab ? (indent / 4 + 1) * 4 : indent + 1
            }
            i += w
        }
        guard i < e else { return nil }
        let c = b[i]
        if c == ASCII.minus || c == ASCII.star || c == ASCII.plus {
            i += 1
        } else if ASCII.isDigit(c) {
            var j = i
            while j < e && ASCII.isDigit(b[j]) && j - i < 10 { j += 1 }
            guard j - i <= 9, j < e, b[j] == ASCII.dot || b[j] == ASCII.closeParen else { return nil }
            i = j + 1
        } else {
            return nil
        }
        i = skipSpaces(b, i, e)
        guard i < e, b[i] == ASCII.openBracket else { return nil }
        let open = i
        // Alternative A: optional whitespace, at most one marker, optional whitespace, `]`
        // not followed by `(` or `[`.
        let j1 = skipSpaces(b, open + 1, e)
        guard j1 < e else { return nil }
        var markerStart: Int? = nil
        var close = -1
        var alternativeA = false
        if b[j1] == ASCII.closeBracket {
            close = j1
            alternativeA = true
        } else {
            // `[^\]\s]` matches one UTF-16 unit: an astral character does not fit.
            let (len, valid) = utf8SequenceLength(b, j1, e)
            if !(valid && len == 4) {
                let j3 = skipSpaces(b, j1 + len, e)
                if j3 < e && b[j3] == ASCII.closeBracket {
                    markerStart = j1
                    close = j3
                    alternativeA = true
                }
            }
        }
        if alternativeA {
            let next = close + 1
            if next < e && (b[next] == ASCII.openParen || b[next] == ASCII.openBracket) {
                alternativeA = false
            }
        }
        if !alternativeA {
            // Alternative B: `\s+\]`, a blank box, even before `(` or `[`.
            guard j1 > open + 1, b[j1] == ASCII.closeBracket else { return nil }
            markerStart = nil
            close = j1
        }
        let isDone: Bool
        var markerOffset: Int? = nil
        if let m = markerStart, alternativeA {
            markerOffset = m
            isDone = b[m] == 0x78 || b[m] == 0x58  // x or X
        } else {
            isDone = false
        }
        // `\s*(.*)`: skip whitespace (CR included), then up to the next line terminator.
        let ds = skipSpaces(b, close + 1, e)
        var de = ds
        while de < e {
            // Only CR, LF and the lead byte of U+2028/U+2029 can end it: no call for the others.
            let c = b[de]
            if c != ASCII.cr && c != ASCII.lf && c != 0xE2 { de += 1; continue }
            if isLineTerminator(b, de, e) != 0 { break }
            de += 1
        }
        let (ts, te) = jsTrim(b, ds, de)
        return TaskItem(
            line: 0, marker: string(b, open + 1, close), isDone: isDone, number: taskID(b, ts, te),
            text: string(b, ts, te), indent: indent, group: nil, lineStart: s,
            openBracketOffset: open, closeBracketOffset: close, markerOffset: markerOffset)
    }

    /// `^(\d+(?:\.\d+)+(?:[A-Za-z]+)?)(?=\s|$)` at the start of a description.
    static func taskID(_ b: [UInt8], _ s: Int, _ e: Int) -> String? {
        var i = s
        while i < e && ASCII.isDigit(b[i]) { i += 1 }
        guard i > s else { return nil }
        var parts = 0
        while i + 1 < e && b[i] == ASCII.dot && ASCII.isDigit(b[i + 1]) {
            i += 1
            while i < e && ASCII.isDigit(b[i]) { i += 1 }
            parts += 1
        }
        guard parts > 0 else { return nil }
        while i < e && ASCII.isLetter(b[i]) { i += 1 }
        guard i == e || jsSpaceLength(b, i, e) > 0 else { return nil }
        return string(b, s, i)
    }

    /// `^ {0,3}##(?!#)(?:[ \t]+|[ \t]*\r?$)`, the lint's "any level-two heading".
    static func isLevelTwoHeading(_ b: [UInt8], _ s: Int, _ e: Int) -> Bool {
        var i = s
        while i < e && b[i] == ASCII.space && i - s < 3 { i += 1 }
        guard i + 1 < e, b[i] == ASCII.hash, b[i + 1] == ASCII.hash else { return false }
        i += 2
        if i == e { return true }
        if b[i] == ASCII.hash { return false }
        if b[i] == ASCII.space || b[i] == ASCII.tab { return true }
        return b[i] == ASCII.cr && i + 1 == e
    }

    /// `^ {0,3}##[ \t]+(\d+)\.(?:[ \t]|\r?$)`: the group number of a `## N.` heading.
    static func groupNumber(_ b: [UInt8], _ s: Int, _ e: Int) -> String? {
        var i = s
        while i < e && b[i] == ASCII.space && i - s < 3 { i += 1 }
        guard i + 1 < e, b[i] == ASCII.hash, b[i + 1] == ASCII.hash else { return nil }
        i += 2
        let gap = i
        while i < e && (b[i] == ASCII.space || b[i] == ASCII.tab) { i += 1 }
        guard i > gap else { return nil }
        let ds = i
        while i < e && ASCII.isDigit(b[i]) { i += 1 }
        guard i > ds, i < e, b[i] == ASCII.dot else { return nil }
        let de = i
        i += 1
        let boundary =
            i == e || b[i] == ASCII.space || b[i] == ASCII.tab || (b[i] == ASCII.cr && i + 1 == e)
        return boundary ? string(b, ds, de) : nil
    }

    /// OpenSpec's `findTaskNumberingIssues` over several files, sorted by path.
    ///
    /// Only tasks inside a `## N.` group are checked: unnumbered groups and tasks
    /// before the first group are common and deliberately ignored.
    static func numberingIssues(
        _ documents: [(path: String, display: String, entries: [NumberingEntry])]
    ) -> [ValidationIssue] {
        var issues: [ValidationIssue] = []
        let entryCount = documents.reduce(0) { $0 + $1.entries.count }
        guard entryCount > 0 else { return issues }
        // id -> (document index, line) of its first declaration
        var first: [String: (document: Int, line: Int)] = [:]
        first.reserveCapacity(entryCount)
        for (index, document) in documents.enumerated() {
            for entry in document.entries {
                let idGroup = String(decoding: entry.id.utf8.prefix { $0 != ASCII.dot }, as: UTF8.self)
                if !sameGroup(idGroup, entry.group) {
                    issues.append(
                        .warning(
                            document.path,
                            Messages.taskWrongGroup(id: entry.id, group: entry.group, idGroup: idGroup),
                            line: entry.line))
                }
                if let earlier = first[entry.id] {
                    let display = documents[earlier.document].display
                    issues.append(
                        .warning(
                            document.path,
                            Messages.taskDuplicate(
                                id: entry.id, firstLine: earlier.line,
                                inFile: earlier.document == index || display == document.display ? nil : display),
                            line: entry.line))
                } else {
                    first[entry.id] = (index, entry.line)
                }
            }
        }
        return issues
    }

    /// Group numbers compared as OpenSpec does, after `replace(/^0+(?=\d)/, '')`.
    private static func sameGroup(_ a: String, _ b: String) -> Bool {
        func significant(_ s: String) -> Substring.UTF8View {
            var view = Substring(s).utf8
            while view.count > 1 && view.first == ASCII.zero { view = view.dropFirst() }
            return view
        }
        return significant(a).elementsEqual(significant(b))
    }
}

/// A task id seen inside a numbered group.
struct NumberingEntry: Sendable, Equatable {
    var line: Int
    var id: String
    var group: String
}
