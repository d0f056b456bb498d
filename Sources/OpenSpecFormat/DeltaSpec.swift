/// The four delta operations of a change's spec files.
public enum DeltaOperation: String, Codable, Sendable {
    case added = "ADDED"
    case modified = "MODIFIED"
    case removed = "REMOVED"
    case renamed = "RENAMED"
}

/// A scenario: any `####` header under a requirement.
public struct Scenario: Sendable, Equatable, Codable {
    public var name: String
    public var rawText: String
    /// 1-based line of the scenario header.
    public var line: Int

    public init(name: String, rawText: String, line: Int) {
        self.name = name
        self.rawText = rawText
        self.line = line
    }
}

/// A requirement block of a delta or main spec.
public struct Requirement: Sendable, Equatable, Codable {
    public var name: String
    /// The body text, or the header title when the body is empty (OpenSpec's rule).
    public var text: String
    public var scenarios: [Scenario]
    /// 1-based line of the requirement header.
    public var line: Int

    public init(name: String, text: String, scenarios: [Scenario], line: Int) {
        self.name = name
        self.text = text
        self.scenarios = scenarios
        self.line = line
    }
}

/// One `FROM:`/`TO:` pair of a RENAMED section.
public struct DeltaRename: Sendable, Equatable, Codable {
    public var from: String
    public var to: String
    /// 1-based line of the `TO:` line that completed the pair.
    public var line: Int

    public init(from: String, to: String, line: Int) {
        self.from = from
        self.to = to
        self.line = line
    }
}

/// A parsed delta spec, `changes/<id>/specs/<capability>/spec.md` (OPENSPEC-FORMAT 2.5).
public struct DeltaSpec: Sendable, Equatable {
    public var added: [Requirement]
    public var modified: [Requirement]
    public var removed: [String]
    public var renamed: [DeltaRename]
    /// The delta-spec findings of OPENSPEC-FORMAT 2.7 that one file allows.
    public var issues: [ValidationIssue]
    public var deltaCount: Int

    public init(
        added: [Requirement], modified: [Requirement], removed: [String], renamed: [DeltaRename],
        issues: [ValidationIssue]
    ) {
        self.added = added
        self.modified = modified
        self.removed = removed
        self.renamed = renamed
        self.issues = issues
        self.deltaCount = added.count + modified.count + removed.count + renamed.count
    }

    /// Parses any bytes; `path` only names the file in issues.
    public static func parse(_ bytes: [UInt8], path: String) -> DeltaSpec {
        var parser = DeltaParser(SourceText(bytes), path: path)
        return parser.parse()
    }
}

/// The work behind `DeltaSpec.parse`, kept in one place because the checks need
/// the line positions the public model leaves out.
private struct DeltaParser {
    let source: SourceText
    let b: [UInt8]
    let mask: [Bool]
    let path: String
    var issues: [ValidationIssue] = []

    init(_ source: SourceText, path: String) {
        self.source = source
        self.b = source.bytes
        self.mask = source.fenceMask()
        self.path = path
    }

    /// A `## Title` section: header line and body lines `[bodyStart, bodyEnd)`.
    struct Section {
        var title: String
        var line: Int
        var bodyStart: Int
        var bodyEnd: Int
    }

    struct NamedLine {
        var name: String
        var line: Int
    }

    mutating func parse() -> DeltaSpec {
        issues = source.encodingIssues(path: path)
        let sections = topLevelSections()
        let added = lookup("ADDED Requirements", sections)
        let modified = lookup("MODIFIED Requirements", sections)
        let removed = lookup("REMOVED Requirements", sections)
        let renamed = lookup("RENAMED Requirements", sections)

        let addedBlocks = added.map { requirementBlocks($0, label: "ADDED Requirements") } ?? []
        let modifiedBlocks = modified.map { requirementBlocks($0, label: "MODIFIED Requirements") } ?? []
        let removedNames = removed.map { removedEntries($0) } ?? []
        let renamedPairs = renamed.map { renamedEntries($0) } ?? []

        validate(
            added: addedBlocks, modified: modifiedBlocks, removed: removedNames, renamed: renamedPairs,
            presence: [
                added != nil ? "## ADDED Requirements" : nil,
                modified != nil ? "## MODIFIED Requirements" : nil,
                removed != nil ? "## REMOVED Requirements" : nil,
                renamed != nil ? "## RENAMED Requirements" : nil,
            ].compactMap { $0 })

        return DeltaSpec(
            added: addedBlocks.map(\.requirement), modified: modifiedBlocks.map(\.requirement),
            removed: removedNames.map(\.name), renamed: renamedPairs, issues: issues)
    }

    // MARK: Sections

    /// Non-fenced `^(##)\s+(.+)$` headers and their bodies, in file order.
    func topLevelSections() -> [Section] {
        var result: [Section] = []
        for li in 0..<source.lineCount where !mask[li] {
            let s = source.start(li)
            let e = source.end(li)
            guard let header = headerLine(b, s, e), header.level == 2, header.isHeader else { continue }
            if var last = result.popLast() {
                last.bodyEnd = li
                result.append(last)
            }
            result.append(
                Section(title: headerTitle(b, header, e), line: li + 1, bodyStart: li + 1, bodyEnd: source.lineCount))
        }
        return result
    }

    /// OpenSpec keeps sections in an object keyed by title: a repeated title keeps
    /// its first position but takes the last body, and a case-insensitive lookup
    /// returns the first key that matches. Both silently drop requirements, so both
    /// are reported here.
    mutating func lookup(_ canonical: String, _ sections: [Section]) -> Section? {
        let wanted = canonical.lowercased()
        var keys: [String] = []
        var byTitle: [String: [Section]] = [:]
        for section in sections where section.title.lowercased() == wanted {
            if byTitle[section.title] == nil { keys.append(section.title) }
            byTitle[section.title, default: []].append(section)
        }
        guard let firstKey = keys.first, let chosenGroup = byTitle[firstKey], let chosen = chosenGroup.last
        else { return nil }
        for dropped in chosenGroup.dropLast() {
            issues.append(
                .warning(path, Messages.duplicateSection(title: dropped.title, keptLine: chosen.line), line: dropped.line))
        }
        for key in keys.dropFirst() {
            for shadowed in byTitle[key] ?? [] {
                issues.append(
                    .warning(
                        path,
                        Messages.shadowedSection(title: shadowed.title, canonical: firstKey, readLine: chosen.line),
                        line: shadowed.line))
            }
        }
        return chosen
    }

    // MARK: ADDED / MODIFIED

    struct Block {
        var requirement: Requirement
        var body: String
    }

    /// `^###\s*Requirement:` (case-insensitive): where a requirement block starts.
    func isRequirementStart(_ s: Int, _ e: Int) -> Int? {
        guard hasPrefix(b, s, e, "###") else { return nil }
        let i = skipSpaces(b, s + 3, e)
        guard hasPrefixIgnoringCase(b, i, e, "requirement:") else { return nil }
        return i + 12
    }

    /// `^###\s*Requirement:\s*(.+)\s*$` (case-insensitive): the trimmed name, if any.
    func requirementName(_ s: Int, _ e: Int) -> String? {
        guard let afterColon = isRequirementStart(s, e), afterColon < e else { return nil }
        var k = afterColon
        while k < e {
            if isLineTerminator(b, k, e) > 0 { return nil }
            k += 1
        }
        return trimmedString(b, afterColon, e)
    }

    /// `^##\s+`: ends a requirement block.
    func isLevelTwoTerminator(_ s: Int, _ e: Int) -> Bool {
        guard let header = headerLine(b, s, e) else { return false }
        return header.level == 2
    }

    /// A level-3 header that is not a requirement: skipped, and reported as INFO.
    func strayHeader(_ s: Int, _ e: Int) -> String? {
        guard hasPrefix(b, s, e, "###"), s + 3 == e || b[s + 3] != ASCII.hash else { return nil }
        return trimmedString(b, s + 3, e)
    }

    mutating func requirementBlocks(_ section: Section, label: String) -> [Block] {
        var blocks: [Block] = []
        var li = section.bodyStart
        let end = section.bodyEnd
        while li < end {
            // Seek the next requirement header.
            while li < end {
                let s = source.start(li)
                let e = source.end(li)
                if !mask[li] {
                    if isRequirementStart(s, e) != nil { break }
                    if let stray = strayHeader(s, e) {
                        issues.append(.info(path, Messages.skippedHeader(stray, section: label), line: li + 1))
                    }
                }
                li += 1
            }
            guard li < end else { break }
            let hs = source.start(li)
            let he = source.end(li)
            guard let name = requirementName(hs, he) else {
                issues.append(
                    .info(path, Messages.skippedHeader(trimmedString(b, hs + 3, he), section: label), line: li + 1))
                li += 1
                continue
            }
            let headerIndex = li
            li += 1
            while li < end {
                if !mask[li] {
                    let s = source.start(li)
                    let e = source.end(li)
                    if isRequirementStart(s, e) != nil || isLevelTwoTerminator(s, e) { break }
                    if let stray = strayHeader(s, e) {
                        issues.append(.info(path, Messages.skippedHeader(stray, section: label), line: li + 1))
                    }
                }
                li += 1
            }
            let body = RequirementText.body(source, mask, from: headerIndex + 1, to: li)
            let scenarios = RequirementText.scenarios(source, mask, from: headerIndex + 1, to: li)
            blocks.append(
                Block(
                    requirement: Requirement(
                        name: name, text: body.isEmpty ? name : body, scenarios: scenarios, line: headerIndex + 1),
                    body: body))
        }
        return blocks
    }

    // MARK: REMOVED / RENAMED

    mutating func removedEntries(_ section: Section) -> [NamedLine] {
        var names: [NamedLine] = []
        for li in section.bodyStart..<section.bodyEnd where !mask[li] {
            let s = source.start(li)
            let e = source.end(li)
            if let name = requirementName(s, e) {
                names.append(NamedLine(name: name, line: li + 1))
            } else if let name = bulletName(s, e, keyword: nil) {
                names.append(NamedLine(name: name, line: li + 1))
            }
        }
        return names
    }

    mutating func renamedEntries(_ section: Section) -> [DeltaRename] {
        var pairs: [DeltaRename] = []
        var pendingFrom: NamedLine? = nil
        for li in section.bodyStart..<section.bodyEnd where !mask[li] {
            let s = source.start(li)
            let e = source.end(li)
            if let from = bulletName(s, e, keyword: "FROM:") {
                if let stale = pendingFrom {
                    issues.append(.error(path, Messages.renameWithoutTo(stale.name), line: stale.line))
                }
                pendingFrom = NamedLine(name: from, line: li + 1)
            } else if let to = bulletName(s, e, keyword: "TO:") {
                if let from = pendingFrom {
                    pairs.append(DeltaRename(from: from.name, to: to, line: li + 1))
                    pendingFrom = nil
                } else {
                    issues.append(.error(path, Messages.renameWithoutFrom(to), line: li + 1))
                }
            }
        }
        if let stale = pendingFrom {
            issues.append(.error(path, Messages.renameWithoutTo(stale.name), line: stale.line))
        }
        return pairs
    }

    /// REMOVED bullets `^\s*-\s*`?###\s*Requirement:\s*(.+?)`?\s*$` and RENAMED lines
    /// `^\s*-?\s*FROM:\s*`?###\s*Requirement:\s*(.+?)`?\s*$` (keyword `FROM:`/`TO:`).
    func bulletName(_ s: Int, _ e: Int, keyword: StaticString?) -> String? {
        var i = skipSpaces(b, s, e)
        if let keyword {
            if i < e && b[i] == ASCII.minus { i = skipSpaces(b, i + 1, e) }
            guard hasPrefix(b, i, e, keyword) else { return nil }
            i = skipSpaces(b, i + keyword.utf8CodeUnitCount, e)
        } else {
            guard i < e, b[i] == ASCII.minus else { return nil }
            i = skipSpaces(b, i + 1, e)
        }
        if i < e && b[i] == ASCII.backtick { i += 1 }
        guard hasPrefix(b, i, e, "###") else { return nil }
        i = skipSpaces(b, i + 3, e)
        guard hasPrefix(b, i, e, "Requirement:") else { return nil }
        i = skipSpaces(b, i + 12, e)
        var k = i
        while k < e {
            if isLineTerminator(b, k, e) > 0 { return nil }
            k += 1
        }
        var (ns, ne) = jsTrim(b, i, e)
        if ne > ns && b[ne - 1] == ASCII.backtick && ne - 1 > ns {
            ne -= 1
            (ns, ne) = jsTrim(b, ns, ne)
        }
        guard ne > ns else { return nil }
        return string(b, ns, ne)
    }

    // MARK: Checks (validateChangeDeltaSpecs, per file)

    mutating func validate(
        added: [Block], modified: [Block], removed: [NamedLine], renamed: [DeltaRename], presence: [String]
    ) {
        let entries = added.count + modified.count + removed.count + renamed.count
        var addedNames = OrderedNames()
        var modifiedNames = OrderedNames()
        var removedNames = OrderedNames()
        var renamedFrom = Set<String>()
        var renamedTo = Set<String>()

        for (operation, blocks) in [("ADDED", added), ("MODIFIED", modified)] {
            for block in blocks {
                let name = block.requirement.name
                let line = block.requirement.line
                let inserted =
                    operation == "ADDED" ? addedNames.insert(name) : modifiedNames.insert(name)
                if !inserted {
                    issues.append(.error(path, "Duplicate requirement in \(operation): \"\(name)\"", line: line))
                }
                if block.body.isEmpty {
                    issues.append(
                        .error(
                            path,
                            containsShallOrMust(name)
                                ? Messages.missingShallOrMust("\(operation) \"\(name)\"", name: name, guidanceOnly: false)
                                : "\(operation) \"\(name)\" is missing requirement text",
                            line: line))
                } else if !containsShallOrMust(block.body) {
                    issues.append(
                        .warning(
                            path, Messages.missingShallOrMust("\(operation) \"\(name)\"", name: name, guidanceOnly: true),
                            line: line))
                }
                if block.requirement.scenarios.isEmpty {
                    issues.append(
                        .error(path, "\(operation) \"\(name)\" must include at least one scenario", line: line))
                }
            }
        }
        for entry in removed where !removedNames.insert(entry.name) {
            issues.append(.error(path, "Duplicate requirement in REMOVED: \"\(entry.name)\"", line: entry.line))
        }
        for pair in renamed {
            if !renamedFrom.insert(pair.from).inserted {
                issues.append(.error(path, "Duplicate FROM in RENAMED: \"\(pair.from)\"", line: pair.line))
            }
            if !renamedTo.insert(pair.to).inserted {
                issues.append(.error(path, "Duplicate TO in RENAMED: \"\(pair.to)\"", line: pair.line))
            }
        }
        for name in modifiedNames.order {
            if removedNames.contains(name) {
                issues.append(.error(path, "Requirement present in both MODIFIED and REMOVED: \"\(name)\""))
            }
            if addedNames.contains(name) {
                issues.append(.error(path, "Requirement present in both MODIFIED and ADDED: \"\(name)\""))
            }
        }
        for name in addedNames.order where removedNames.contains(name) {
            issues.append(.error(path, "Requirement present in both ADDED and REMOVED: \"\(name)\""))
        }
        for pair in renamed {
            if modifiedNames.contains(pair.from) {
                issues.append(
                    .error(path, "MODIFIED references old name from RENAMED. Use new header for \"\(pair.to)\"", line: pair.line))
            }
            if addedNames.contains(pair.to) {
                issues.append(.error(path, "RENAMED TO collides with ADDED for \"\(pair.to)\"", line: pair.line))
            }
            let fold = foldName(pair.from)
            if let match = removedNames.order.first(where: { foldName($0) == fold }) {
                let spelled = match == pair.from ? "" : " (REMOVED spells it \"\(match)\")"
                issues.append(
                    .error(path, "Requirement present in both RENAMED and REMOVED: \"\(pair.from)\"" + spelled, line: pair.line))
            }
        }
        if entries == 0 {
            if presence.isEmpty {
                issues.append(.error(path, Messages.noDeltaSections))
            } else {
                issues.append(.error(path, Messages.emptyDeltaSections(presence)))
            }
        }
    }

    /// `foldRequirementName`: lowercased, whitespace collapsed.
    func foldName(_ name: String) -> String {
        name.lowercased().split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
    }
}

/// A set that remembers insertion order, for messages in OpenSpec's order.
private struct OrderedNames {
    var order: [String] = []
    var members: Set<String> = []

    mutating func insert(_ name: String) -> Bool {
        guard members.insert(name).inserted else { return false }
        order.append(name)
        return true
    }

    func contains(_ name: String) -> Bool { members.contains(name) }
}
