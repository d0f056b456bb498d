import OpenSpecFormat
import Testing

@Suite("Delta specs")
struct DeltaSpecTests {
    static func requirement(_ name: String, body: String = "The system SHALL work.", scenario: String = "#### Scenario: Works\n- **WHEN** a\n- **THEN** b")
        -> String
    {
        "### Requirement: \(name)\n\n\(body)\n\n\(scenario)\n"
    }

    @Test("all four operations, from the demo change")
    func allOperations() throws {
        let bytes = try Fixtures.bytes("demo/openspec/changes/update-sharing-links/specs/sharing/spec.md")
        let delta = DeltaSpec.parse(bytes, path: "changes/update-sharing-links/specs/sharing/spec.md")
        #expect(delta.added.map(\.name) == ["Link expiry"])
        #expect(delta.added[0].line == 3)
        #expect(delta.added[0].text == "The system SHALL stop serving a share link after its expiry date, when one is set.")
        #expect(delta.added[0].scenarios.map(\.name) == ["Expired link"])
        #expect(delta.added[0].scenarios[0].rawText == "- **WHEN** someone opens a link whose expiry date has passed\n- **THEN** they see \"This link has expired\"")
        #expect(delta.modified.map(\.name) == ["Share by link"])
        #expect(delta.modified[0].text == "The system SHALL create an unguessable read-only link for a note on request,\nwith an optional expiry date.")
        #expect(delta.removed == ["Public link preview"])
        #expect(delta.renamed.map { [$0.from, $0.to] } == [["Revoke links", "Revoke share links"]])
        #expect(delta.deltaCount == 4)
        #expect(delta.issues.isEmpty)
    }

    @Test("'## Added Requirements' is accepted; '## ADDED' is not a delta section")
    func sectionTitles() {
        let accepted = DeltaSpec.parse(utf8("## Added Requirements\n\n" + Self.requirement("A")), path: "d")
        #expect(accepted.added.map(\.name) == ["A"])
        #expect(accepted.issues.isEmpty)

        let rejected = DeltaSpec.parse(utf8("## ADDED\n\n" + Self.requirement("A")), path: "d")
        #expect(rejected.deltaCount == 0)
        #expect(rejected.issues.messages(.error) == [
            "No delta sections found. Add headers such as \"## ADDED Requirements\" or move non-delta notes outside specs/."
        ])
    }

    @Test("'### FR-2:' is skipped with OpenSpec's INFO, on its line")
    func nonRequirementHeader() {
        let text = "## ADDED Requirements\n\n### FR-2: Export\n\nThe system SHALL export.\n\n" + Self.requirement("Real")
        let delta = DeltaSpec.parse(utf8(text), path: "d")
        #expect(delta.added.map(\.name) == ["Real"])
        #expect(delta.issues == [
            ValidationIssue(
                level: .info, path: "d",
                message:
                    "Header \"### FR-2: Export\" in ADDED Requirements is not a \"### Requirement:\" header and is ignored by validation. Use \"### Requirement: FR-2: Export\" if it should be validated as a requirement.",
                line: 3)
        ])
    }

    @Test("a nameless requirement header gets the missing-name INFO")
    func namelessHeader() {
        let delta = DeltaSpec.parse(utf8("## MODIFIED Requirements\n### Requirement:\n" + Self.requirement("B")), path: "d")
        #expect(delta.modified.map(\.name) == ["B"])
        #expect(delta.issues.messages(.info) == [
            "Header \"### Requirement:\" in MODIFIED Requirements is missing a requirement name and is ignored by validation. Add a name, e.g. \"### Requirement: <name>\"."
        ])
    }

    @Test("scenarios are any '####' header; '#####' is not one")
    func scenarioLevels() {
        let anyTitle = DeltaSpec.parse(
            utf8("## ADDED Requirements\n" + Self.requirement("A", scenario: "#### Happy path ##\ntext")), path: "d")
        #expect(anyTitle.added[0].scenarios.map(\.name) == ["Happy path"])
        #expect(anyTitle.issues.isEmpty)

        let tooDeep = DeltaSpec.parse(
            utf8("## ADDED Requirements\n" + Self.requirement("A", scenario: "##### Scenario: Too deep\ntext")), path: "d")
        #expect(tooDeep.added[0].scenarios.isEmpty)
        #expect(tooDeep.issues.messages(.error) == ["ADDED \"A\" must include at least one scenario"])
        #expect(tooDeep.issues.first?.line == 2)
    }

    @Test("a repeated '## ADDED Requirements': the later one wins, as in OpenSpec, with a warning")
    func duplicateSection() {
        let text = "## ADDED Requirements\n" + Self.requirement("First") + "\n## ADDED Requirements\n" + Self.requirement("Second")
        let delta = DeltaSpec.parse(utf8(text), path: "d")
        #expect(delta.added.map(\.name) == ["Second"])
        #expect(delta.issues.count == 1)
        #expect(delta.issues.first?.level == .warning)
        #expect(delta.issues.first?.line == 1)
        #expect(delta.issues.first?.message.contains("is repeated on line 10") == true)
    }

    @Test("a case variant of a delta section after the first is ignored, with a warning")
    func shadowedSection() {
        let text = "## ADDED Requirements\n" + Self.requirement("First") + "\n## Added Requirements\n" + Self.requirement("Second")
        let delta = DeltaSpec.parse(utf8(text), path: "d")
        #expect(delta.added.map(\.name) == ["First"])
        #expect(delta.issues.map(\.line) == [10])
        #expect(delta.issues.first?.level == .warning)
    }

    @Test("SHALL/MUST: a warning without the keyword, an error when only the header has it")
    func keywords() {
        let missing = DeltaSpec.parse(
            utf8("## ADDED Requirements\n" + Self.requirement("Export", body: "Users can export notes.")), path: "d")
        #expect(missing.issues == [
            ValidationIssue(
                level: .warning, path: "d",
                message: "ADDED \"Export\" should contain SHALL or MUST (RFC 2119 best practice for English specs)",
                line: 2)
        ])
        let headerOnly = DeltaSpec.parse(
            utf8("## MODIFIED Requirements\n### Requirement: The system SHALL export\n\n#### Scenario: s\ntext\n"), path: "d")
        #expect(headerOnly.issues.messages(.error) == [
            "MODIFIED \"The system SHALL export\" must contain SHALL or MUST in the requirement body, not only in the header. Move the SHALL/MUST statement to the line immediately after the \"### Requirement: ...\" header."
        ])
        let noText = DeltaSpec.parse(utf8("## ADDED Requirements\n### Requirement: Empty\n#### Scenario: s\ntext\n"), path: "d")
        #expect(noText.issues.messages(.error) == ["ADDED \"Empty\" is missing requirement text"])
        #expect(noText.added[0].text == "Empty")
        // `SHALLOW` is not the keyword.
        let partialWord = DeltaSpec.parse(
            utf8("## ADDED Requirements\n" + Self.requirement("P", body: "A SHALLOW copy is MUSTard.")), path: "d")
        #expect(partialWord.issues.map(\.level) == [.warning])
        // Metadata lines are skipped when other body text exists.
        let metadata = DeltaSpec.parse(
            utf8("## ADDED Requirements\n" + Self.requirement("M", body: "**ID**: MUST-1\nThe system can do it.")), path: "d")
        #expect(metadata.issues.map(\.level) == [.warning])
        #expect(metadata.added[0].text == "The system can do it.")
    }

    @Test("duplicates and cross-section conflicts")
    func conflicts() {
        let text = "## ADDED Requirements\n" + Self.requirement("A") + Self.requirement("A") + "\n## REMOVED Requirements\n- `### Requirement: A`\n- `### Requirement: Gone`\n- `### Requirement: Gone`\n"
        let delta = DeltaSpec.parse(utf8(text), path: "d")
        #expect(delta.removed == ["A", "Gone", "Gone"])
        #expect(delta.issues.messages(.error) == [
            "Duplicate requirement in ADDED: \"A\"",
            "Duplicate requirement in REMOVED: \"Gone\"",
            "Requirement present in both ADDED and REMOVED: \"A\"",
        ])
    }

    @Test("RENAMED: pairs, and an unmatched FROM or TO is an error")
    func renamed() {
        let text = """
            ## RENAMED Requirements
            - FROM: `### Requirement: Old`
            - TO: `### Requirement: New`
            FROM: ### Requirement: Lonely
            - TO: `### Requirement: Orphan`
            """
        let delta = DeltaSpec.parse(utf8(text), path: "d")
        #expect(delta.renamed == [
            DeltaRename(from: "Old", to: "New", line: 3), DeltaRename(from: "Lonely", to: "Orphan", line: 5),
        ])
        let unmatched = DeltaSpec.parse(utf8("## RENAMED Requirements\n- FROM: `### Requirement: A`\n"), path: "d")
        #expect(unmatched.renamed.isEmpty)
        #expect(unmatched.issues.map(\.line) == [2, nil])
        #expect(unmatched.issues.first?.message.hasPrefix("RENAMED FROM: \"A\" has no matching TO: line.") == true)
    }

    @Test("requirement headers in fences are examples, not requirements")
    func fencedRequirement() {
        let text = "## ADDED Requirements\n" + Self.requirement("Real", scenario: "#### Scenario: s\n```\n### Requirement: Fake\n#### Scenario: fake\n```")
        let delta = DeltaSpec.parse(utf8(text), path: "d")
        #expect(delta.added.map(\.name) == ["Real"])
        #expect(delta.added[0].scenarios.count == 1)
    }

    @Test("delta sections without entries, and files without any delta section")
    func emptySections() {
        let empty = DeltaSpec.parse(utf8("## ADDED Requirements\n\nNothing yet.\n\n## REMOVED Requirements\n"), path: "d")
        #expect(empty.issues.messages(.error) == [
            "Delta sections ## ADDED Requirements and ## REMOVED Requirements were found, but no requirement entries parsed. Ensure each section includes at least one \"### Requirement:\" block (REMOVED may use bullet list syntax)."
        ])
        let legacy = DeltaSpec.parse(utf8("## Purpose\nOld style.\n## Behavior\nStuff.\n"), path: "d")
        #expect(legacy.issues.messages(.error).first?.hasPrefix("No delta sections found.") == true)
    }

    @Test("'###Requirement:' without a space and lower-case 'requirement:' still match")
    func looseHeaders() {
        let text = "## ADDED Requirements\n###Requirement: Tight\nThe system SHALL x.\n#### s\nt\n### requirement: lower\nThe system SHALL y.\n#### s\nt\n"
        let delta = DeltaSpec.parse(utf8(text), path: "d")
        #expect(delta.added.map(\.name) == ["Tight", "lower"])
        #expect(delta.issues.isEmpty)
    }
}
