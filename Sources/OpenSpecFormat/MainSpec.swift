/// A parsed main spec, `openspec/specs/<capability>/spec.md` (OPENSPEC-FORMAT 2.6).
public struct MainSpec: Sendable, Equatable {
    /// First H1 text, if any.
    public var title: String?
    public var purpose: String?
    /// Every child header of `## Requirements`, as `openspec list --specs` counts them.
    public var requirements: [Requirement]
    public var issues: [ValidationIssue]

    public init(title: String?, purpose: String?, requirements: [Requirement], issues: [ValidationIssue]) {
        self.title = title
        self.purpose = purpose
        self.requirements = requirements
        self.issues = issues
    }

    /// Parses any bytes; `path` only names the file in issues.
    public static func parse(_ bytes: [UInt8], path: String) -> MainSpec {
        let source = SourceText(bytes)
        let mask = source.fenceMask()
        let sections = Markdown.sections(source)
        let title = firstH1(sections)
        let purpose = Markdown.findSection("Purpose", in: sections)?.content
        let requirementsSection = Markdown.findSection("Requirements", in: sections)
        let requirements = requirementsSection.map { readRequirements(of: $0, source, mask) } ?? []

        var issues = source.encodingIssues(path: path)
        // OpenSpec's parseSpec throws on these two, and then checks nothing else.
        if purpose?.isEmpty ?? true {
            issues.append(.error(path, Messages.noPurpose))
        } else if requirementsSection == nil {
            issues.append(.error(path, Messages.noRequirementsSection))
        } else {
            issues += specRules(path, purpose: purpose ?? "", requirements, source, mask)
        }
        return MainSpec(title: title, purpose: purpose, requirements: requirements, issues: issues)
    }

    private static func firstH1(_ sections: [MarkdownSection]) -> String? {
        // Only top-level sections can be H1s, and the first in file order is first here.
        sections.first { $0.level == 1 }?.title
    }

    /// Children of `## Requirements`: name, body (or title), non-empty child scenarios.
    private static func readRequirements(
        of section: MarkdownSection, _ source: SourceText, _ mask: [Bool]
    ) -> [Requirement] {
        section.children.map { child in
            var name = child.title
            let nameBytes = Array(name.utf8)
            if hasPrefixIgnoringCase(nameBytes, 0, nameBytes.count, "requirement:") {
                name = trimmedString(nameBytes, 12, nameBytes.count)
            }
            // The body stops at the first header, so reading to the end of the file is cheap.
            let body = RequirementText.body(source, mask, from: child.line, to: source.lineCount)
            let scenarios = child.children.compactMap { scenario -> Scenario? in
                guard !scenario.content.isEmpty else { return nil }
                var scenarioName = scenario.title
                let sb = Array(scenarioName.utf8)
                if hasPrefixIgnoringCase(sb, 0, sb.count, "scenario:") {
                    scenarioName = trimmedString(sb, 9, sb.count)
                }
                return Scenario(name: scenarioName, rawText: scenario.content, line: scenario.line)
            }
            return Requirement(
                name: name, text: body.isEmpty ? child.title : body, scenarios: scenarios, line: child.line)
        }
    }

    /// Zod `SpecSchema` plus `applySpecRules`, in OpenSpec's order.
    private static func specRules(
        _ path: String, purpose: String, _ requirements: [Requirement], _ source: SourceText, _ mask: [Bool]
    ) -> [ValidationIssue] {
        var issues: [ValidationIssue] = []
        if requirements.isEmpty {
            issues.append(.error(path, Messages.specNoRequirements))
        }
        for requirement in requirements {
            if requirement.text.isEmpty {
                issues.append(.error(path, Messages.requirementEmpty, line: requirement.line))
            }
            if requirement.scenarios.isEmpty {
                issues.append(.error(path, Messages.requirementNoScenarios, line: requirement.line))
            }
        }
        issues += structureIssues(path, source, mask)
        if jsLength(purpose) < Messages.minPurposeLength {
            issues.append(.warning(path, Messages.purposeTooBrief))
        }
        for requirement in requirements {
            if jsLength(requirement.text) > Messages.maxRequirementTextLength {
                issues.append(.info(path, Messages.requirementTooLong, line: requirement.line))
            }
            if requirement.scenarios.isEmpty {
                issues.append(
                    .warning(
                        path, Messages.requirementNoScenarios + ". " + Messages.guideScenarioFormat,
                        line: requirement.line))
            }
        }
        issues += keywordIssues(path, source, mask)
        return issues
    }

    /// `findMainSpecStructureIssues`: delta headers, requirement headers outside
    /// `## Requirements`, duplicate requirement names. Fenced lines are blanked.
    private static func structureIssues(_ path: String, _ source: SourceText, _ mask: [Bool]) -> [ValidationIssue] {
        let b = source.bytes
        let range = requirementsRange(source, mask)
        var issues: [ValidationIssue] = []
        var firstLine: [String: Int] = [:]
        for li in 0..<source.lineCount where !mask[li] {
            let s = source.start(li)
            let e = source.end(li)
            let (ts, te) = jsTrim(b, s, e)
            guard ts < te else { continue }
            if isDeltaHeader(b, s, e) {
                issues.append(.error(path, Messages.mainSpecDeltaHeader(string(b, ts, te)), line: li + 1))
                continue
            }
            guard let name = strictRequirementName(b, s, e) else { continue }
            let header = string(b, ts, te)
            guard let range, li > range.header, li < range.end else {
                issues.append(.error(path, Messages.requirementOutsideSection(header), line: li + 1))
                continue
            }
            if let earlier = firstLine[name] {
                issues.append(.error(path, Messages.duplicateMainRequirement(header, firstLine: earlier), line: li + 1))
            } else {
                firstLine[name] = li + 1
            }
        }
        return issues
    }

    /// SHALL/MUST guidance over the `### Requirement:` blocks of `## Requirements`.
    private static func keywordIssues(_ path: String, _ source: SourceText, _ mask: [Bool]) -> [ValidationIssue] {
        guard let range = requirementsRange(source, mask) else { return [] }
        let b = source.bytes
        var issues: [ValidationIssue] = []
        var li = range.header + 1
        while li < range.end {
            let s = source.start(li)
            let e = source.end(li)
            guard !mask[li], let name = looseRequirementName(b, s, e) else {
                li += 1
                continue
            }
            let headerIndex = li
            li += 1
            while li < range.end {
                if !mask[li] {
                    let ls = source.start(li)
                    let le = source.end(li)
                    if looseRequirementStart(b, ls, le) != nil { break }
                }
                li += 1
            }
            let body = RequirementText.body(source, mask, from: headerIndex + 1, to: li)
            let label = "Requirement \"\(name)\""
            if body.isEmpty {
                issues.append(
                    .error(path, Messages.missingShallOrMust(label, name: name, guidanceOnly: false), line: headerIndex + 1))
            } else if !containsShallOrMust(body) {
                issues.append(
                    .warning(path, Messages.missingShallOrMust(label, name: name, guidanceOnly: true), line: headerIndex + 1))
            }
        }
        return issues
    }

    /// Line of the first `## Requirements` header and of the next `## ` line after it.
    private static func requirementsRange(_ source: SourceText, _ mask: [Bool]) -> (header: Int, end: Int)? {
        let b = source.bytes
        var header: Int? = nil
        for li in 0..<source.lineCount where !mask[li] {
            let s = source.start(li)
            let e = source.end(li)
            if let h = header {
                if let line = headerLine(b, s, e), line.level == 2 { return (h, li) }
            } else if let line = headerLine(b, s, e), line.level == 2 {
                let (ts, te) = jsTrim(b, line.restStart, e)
                if te - ts == 12 && hasPrefixIgnoringCase(b, ts, te, "requirements") {
                    header = li
                }
            }
        }
        return header.map { ($0, source.lineCount) }
    }

    /// `^##\s+(ADDED|MODIFIED|REMOVED|RENAMED)\s+Requirements\s*$` (case-insensitive).
    private static func isDeltaHeader(_ b: [UInt8], _ s: Int, _ e: Int) -> Bool {
        guard let line = headerLine(b, s, e), line.level == 2 else { return false }
        let (ts, te) = jsTrim(b, line.restStart, e)
        var i = ts
        var matched = false
        for word in ["added", "modified", "removed", "renamed"] as [StaticString] {
            if hasPrefixIgnoringCase(b, i, te, word) {
                i += word.utf8CodeUnitCount
                matched = true
                break
            }
        }
        guard matched, i < te, jsSpaceLength(b, i, te) > 0 else { return false }
        i = skipSpaces(b, i, te)
        return te - i == 12 && hasPrefixIgnoringCase(b, i, te, "requirements")
    }

    /// `^###\s+Requirement:\s*(.+)\s*$` (case-insensitive), as spec-structure reads it.
    private static func strictRequirementName(_ b: [UInt8], _ s: Int, _ e: Int) -> String? {
        guard let line = headerLine(b, s, e), line.level == 3 else { return nil }
        let i = skipSpaces(b, line.restStart, e)
        guard hasPrefixIgnoringCase(b, i, e, "requirement:"), i + 12 < e else { return nil }
        return trimmedString(b, i + 12, e)
    }

    /// `^###\s*Requirement:`: where `extractRequirementsSection` starts a block.
    private static func looseRequirementStart(_ b: [UInt8], _ s: Int, _ e: Int) -> Int? {
        guard hasPrefix(b, s, e, "###") else { return nil }
        let i = skipSpaces(b, s + 3, e)
        return hasPrefixIgnoringCase(b, i, e, "requirement:") ? i + 12 : nil
    }

    /// `^###\s*Requirement:\s*(.+)\s*$`: the block's name.
    private static func looseRequirementName(_ b: [UInt8], _ s: Int, _ e: Int) -> String? {
        guard let after = looseRequirementStart(b, s, e), after < e else { return nil }
        return trimmedString(b, after, e)
    }
}
