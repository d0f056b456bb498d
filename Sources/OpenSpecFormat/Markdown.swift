/// One header and everything under it, as OpenSpec's `MarkdownParser` sees it.
public struct MarkdownSection: Sendable, Equatable {
    public var title: String
    public var level: Int
    /// Trimmed text up to the next header of the same or a higher level, child
    /// sections included, as OpenSpec computes it.
    public var content: String
    /// 1-based line of the header.
    public var line: Int
    public var children: [MarkdownSection]

    public init(title: String, level: Int, content: String, line: Int, children: [MarkdownSection] = []) {
        self.title = title
        self.level = level
        self.content = content
        self.line = line
        self.children = children
    }
}

/// OpenSpec's section tree (OPENSPEC-FORMAT 2.2), fence-aware.
public enum Markdown {
    /// Parses the section tree of `text`. A BOM or CR line ends are tolerated.
    public static func sections(_ text: String) -> [MarkdownSection] {
        sections(SourceText(Array(text.utf8)))
    }

    /// Depth-first search for the first section whose title equals `title`, ignoring case.
    public static func findSection(_ title: String, in sections: [MarkdownSection]) -> MarkdownSection? {
        let wanted = title.lowercased()
        return find(wanted, sections)
    }

    private static func find(_ wanted: String, _ sections: [MarkdownSection]) -> MarkdownSection? {
        for section in sections {
            if section.title.lowercased() == wanted { return section }
            if let hit = find(wanted, section.children) { return hit }
        }
        return nil
    }

    /// Section tree of already normalised text, in linear time.
    ///
    /// One stack tracks where each open section's content ends (any `#{1,6}\s` line
    /// of a level at or above its own), a second tracks the parent chain (headers
    /// only), exactly mirroring OpenSpec's two separate scans.
    static func sections(_ source: SourceText) -> [MarkdownSection] {
        let b = source.bytes
        var nodes: [Node] = []
        var openContent: [Int] = []
        var parents: [Int] = []
        var fence: Fence? = nil
        for li in 0..<source.lineCount {
            let s = source.start(li)
            let e = source.end(li)
            if let active = fence {
                if closesFence(b, s, e, active) { fence = nil }
                continue
            }
            if let opened = fenceOpening(b, s, e) {
                fence = opened
                continue
            }
            guard let header = headerLine(b, s, e) else { continue }
            while let top = openContent.last, nodes[top].level >= header.level {
                nodes[top].contentEnd = s
                openContent.removeLast()
            }
            guard header.isHeader else { continue }
            while let top = parents.last, nodes[top].level >= header.level {
                parents.removeLast()
            }
            let index = nodes.count
            let parent = parents.last ?? -1
            nodes.append(
                Node(
                    title: headerTitle(b, header, e), level: header.level, line: li + 1,
                    contentStart: min(e + 1, b.count), contentEnd: b.count, parent: parent))
            if parent >= 0 { nodes[parent].children.append(index) }
            openContent.append(index)
            parents.append(index)
        }
        guard !nodes.isEmpty else { return [] }
        // Children always come after their parent, so building backwards sees every
        // child finished before its parent needs it.
        var built = [MarkdownSection?](repeating: nil, count: nodes.count)
        var roots: [MarkdownSection] = []
        for index in stride(from: nodes.count - 1, through: 0, by: -1) {
            let node = nodes[index]
            var children: [MarkdownSection] = []
            children.reserveCapacity(node.children.count)
            for child in node.children {
                if let section = built[child] { children.append(section) }
                built[child] = nil
            }
            let section = MarkdownSection(
                title: node.title, level: node.level,
                content: trimmedString(b, node.contentStart, max(node.contentStart, node.contentEnd)),
                line: node.line, children: children)
            if node.parent < 0 {
                roots.append(section)
            } else {
                built[index] = section
            }
        }
        roots.reverse()
        return roots
    }

    private struct Node {
        var title: String
        var level: Int
        var line: Int
        var contentStart: Int
        var contentEnd: Int
        var parent: Int
        var children: [Int] = []
    }
}
