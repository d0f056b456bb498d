/// A parsed `proposal.md` (OPENSPEC-FORMAT 2.3).
///
/// Missing sections are data (nil), not failures: OpenSpec's own `validate` never
/// reads the proposal, so its checks are reported as warnings only.
public struct Proposal: Sendable, Equatable {
    /// First H1 anywhere in the file with `Change: ` stripped; nil without an H1.
    public var title: String?
    public var why: String?
    public var whatChanges: String?
    public var impact: String?
    public var sections: [MarkdownSection]
    public var issues: [ValidationIssue]

    public init(
        title: String?, why: String?, whatChanges: String?, impact: String?,
        sections: [MarkdownSection], issues: [ValidationIssue]
    ) {
        self.title = title
        self.why = why
        self.whatChanges = whatChanges
        self.impact = impact
        self.sections = sections
        self.issues = issues
    }

    /// Parses any bytes; `path` only names the file in issues.
    public static func parse(_ bytes: [UInt8], path: String) -> Proposal {
        let source = SourceText(bytes)
        let sections = Markdown.sections(source)
        let why = Markdown.findSection("Why", in: sections)?.content
        let whatChanges = Markdown.findSection("What Changes", in: sections)?.content
        let impact = Markdown.findSection("Impact", in: sections)?.content
        var issues = source.encodingIssues(path: path)
        if let why, !why.isEmpty {
            let length = jsLength(why)
            if length < Messages.minWhyLength {
                issues.append(.warning(path, Messages.whyTooShort))
            } else if length > Messages.maxWhyLength {
                issues.append(.warning(path, Messages.whyTooLong))
            }
        } else {
            issues.append(.warning(path, Messages.noWhy))
        }
        if whatChanges?.isEmpty ?? true {
            issues.append(.warning(path, Messages.noWhatChanges))
        }
        return Proposal(
            title: extractTitle(source), why: why, whatChanges: whatChanges, impact: impact,
            sections: sections, issues: issues)
    }

    /// `/^#\s+(?:Change:\s+)?(.+)$/im`, including its quirk that `\s+` may cross a
    /// line break (`#` alone on a line takes the next line as the title).
    static func extractTitle(_ source: SourceText) -> String? {
        let b = source.bytes
        let n = b.count
        for li in 0..<source.lineCount {
            let lineStart = source.start(li)
            guard lineStart + 1 < n, b[lineStart] == ASCII.hash, jsSpaceLength(b, lineStart + 1, n) > 0 else {
                continue
            }
            let q = skipSpaces(b, lineStart + 1, n)
            // Only whitespace up to the end of the file: `(.+)` finds nothing worth a title,
            // and no later line can start an H1 either.
            guard q < n else { return nil }
            var titleStart = q
            if hasPrefixIgnoringCase(b, q, n, "change:"), q + 7 < n, jsSpaceLength(b, q + 7, n) > 0 {
                let r = skipSpaces(b, q + 7, n)
                if r < n { titleStart = r }
            }
            var e = titleStart
            while e < n && isLineTerminator(b, e, n) == 0 { e += 1 }
            let title = trimmedString(b, titleStart, e)
            return title.isEmpty ? nil : title
        }
        return nil
    }
}

/// A parsed `design.md`: only its section tree, which nothing in OpenSpec checks.
public struct Design: Sendable, Equatable {
    /// The file's sections, built when asked for: a sync needs only the
    /// issues, and building the tree for every design.md of an import
    /// was a fiftieth of its time.
    public var sections: [MarkdownSection] { Markdown.sections(SourceText(bytes)) }
    public var issues: [ValidationIssue]
    private let bytes: [UInt8]

    /// Parses any bytes; `path` only names the file in issues.
    public static func parse(_ bytes: [UInt8], path: String) -> Design {
        let issues = isValidUTF8(bytes) ? [] : SourceText(bytes).encodingIssues(path: path)
        return Design(issues: issues, bytes: bytes)
    }
}
