import OpenSpecFormat
import Testing

@Suite("Proposals")
struct ProposalTests {
    static let why = "Users cannot find related notes quickly, and folders allow only one place per note."

    @Test("1.x template: no H1, Why and What Changes found, no warnings")
    func templateWithoutH1() throws {
        let bytes = try Fixtures.bytes("demo/openspec/changes/add-note-tags/proposal.md")
        let proposal = Proposal.parse(bytes, path: "changes/add-note-tags/proposal.md")
        #expect(proposal.title == nil)
        #expect(proposal.why?.hasPrefix("Users with hundreds of notes") == true)
        #expect(proposal.whatChanges?.hasPrefix("- Notes can carry any number of tags.") == true)
        #expect(proposal.impact == "- Database: new `tags` and `note_tags` tables.\n- Editor: tag picker component.")
        #expect(proposal.sections.map(\.title) == ["Why", "What Changes", "Capabilities", "Impact"])
        #expect(proposal.sections[2].children.map(\.title) == ["New Capabilities", "Modified Capabilities"])
        #expect(proposal.issues.isEmpty)
    }

    @Test("v0.x title: '# Change:' is stripped")
    func changeTitle() {
        let proposal = Proposal.parse(utf8("# Change: Add tags\n\n## Why\n\(Self.why)\n\n## What Changes\n- x\n"), path: "p")
        #expect(proposal.title == "Add tags")
        #expect(proposal.issues.isEmpty)
    }

    @Test("other H1 prefixes are kept")
    func proposalTitle() {
        let proposal = Proposal.parse(utf8("# Proposal: Better search\n## Why\n\(Self.why)\n## What Changes\n- x\n"), path: "p")
        #expect(proposal.title == "Proposal: Better search")
    }

    @Test("the first H1 anywhere is the title, even inside a fence and after other text")
    func titleAnywhere() {
        let proposal = Proposal.parse(utf8("Intro\n```\n# Fenced Title\n```\n# Second\n"), path: "p")
        #expect(proposal.title == "Fenced Title")
        #expect(Proposal.parse(utf8("## Why\nno h1 at all\n"), path: "p").title == nil)
        // `#\s+` may cross a line break, as in OpenSpec's regex.
        #expect(Proposal.parse(utf8("#\nNext line\n"), path: "p").title == "Next line")
    }

    @Test("'# Why' at H1 is the Why section and the title")
    func whyAtH1() {
        let proposal = Proposal.parse(utf8("# Why\n\(Self.why)\n\n# What Changes\n- x\n"), path: "p")
        #expect(proposal.title == "Why")
        #expect(proposal.why == Self.why)
        #expect(proposal.whatChanges == "- x")
        #expect(proposal.issues.isEmpty)
    }

    @Test("decorated headings are not the Why section")
    func whyNow() {
        let proposal = Proposal.parse(utf8("## Why Now\n\(Self.why)\n## What Changes\n- x\n"), path: "changes/a/proposal.md")
        #expect(proposal.why == nil)
        #expect(proposal.issues == [
            ValidationIssue(level: .warning, path: "changes/a/proposal.md", message: "Change must have a Why section")
        ])
    }

    @Test("a Japanese-only proposal has no Why or What Changes: data is nil, two warnings")
    func japanese() {
        let text = "# 検索の改善\n\n## 背景\n検索結果の順位が悪い。\n\n## 変更内容\n- タイトル一致を優先する\n\n## 影響範囲\n- 検索\n"
        let proposal = Proposal.parse(utf8(text), path: "p")
        #expect(proposal.title == "検索の改善")
        #expect(proposal.why == nil)
        #expect(proposal.whatChanges == nil)
        #expect(proposal.impact == nil)
        #expect(proposal.sections.first?.children.map(\.title) == ["背景", "変更内容", "影響範囲"])
        #expect(proposal.issues.messages(.warning) == [
            "Change must have a Why section", "Change must have a What Changes section",
        ])
    }

    @Test("Why length limits are warnings counted in UTF-16 units")
    func whyLength() {
        let short = Proposal.parse(utf8("## Why\nToo short.\n## What Changes\n- x\n"), path: "p")
        #expect(short.issues.messages() == ["Why section must be at least 50 characters"])
        let long = String(repeating: "a", count: 1001)
        let tooLong = Proposal.parse(utf8("## Why\n\(long)\n## What Changes\n- x\n"), path: "p")
        #expect(tooLong.issues.messages() == ["Why section should not exceed 1000 characters"])
        // 25 emoji are 50 UTF-16 units: long enough for OpenSpec.
        let emoji = String(repeating: "😀", count: 25)
        let exact = Proposal.parse(utf8("## Why\n\(emoji)\n## What Changes\n- x\n"), path: "p")
        #expect(exact.issues.isEmpty)
    }

    @Test("an empty What Changes section counts as missing")
    func emptyWhatChanges() {
        let proposal = Proposal.parse(utf8("## Why\n\(Self.why)\n## What Changes\n\n## Impact\nnone\n"), path: "p")
        #expect(proposal.whatChanges == "")
        #expect(proposal.issues.messages() == ["Change must have a What Changes section"])
    }

    @Test("design.md: sections only")
    func design() throws {
        let design = Design.parse(
            try Fixtures.bytes("demo/openspec/changes/update-sharing-links/design.md"), path: "d")
        #expect(design.sections.map(\.title) == ["Context", "Decisions", "Risks / Trade-offs"])
        #expect(design.issues.isEmpty)
    }
}
