import OpenSpecFormat
import Testing

@Suite("Main specs")
struct MainSpecTests {
    static let purpose = "Quillnote stores plain-text notes for a single user and keeps them offline."

    @Test("a clean main spec: title, purpose, requirements with scenarios, no issues")
    func clean() throws {
        let spec = MainSpec.parse(try Fixtures.bytes("demo/openspec/specs/notes/spec.md"), path: "specs/notes/spec.md")
        #expect(spec.title == "notes Specification")
        #expect(spec.purpose?.hasPrefix("Quillnote stores plain-text notes") == true)
        #expect(spec.requirements.map(\.name) == ["Create notes", "Soft delete"])
        #expect(spec.requirements.map(\.line) == [10, 20])
        #expect(spec.requirements[0].text == "The system SHALL create a note with a title and a body, and give it a stable id.")
        #expect(spec.requirements[0].scenarios.map(\.name) == ["New note gets an id"])
        #expect(spec.requirements[1].scenarios.first?.rawText.hasPrefix("- **WHEN** the user deletes") == true)
        #expect(spec.issues.isEmpty)
    }

    @Test("delta headers left in a main spec are errors with OpenSpec's message and line")
    func deltaHeaders() {
        let text = """
            # Spec

            ## Purpose
            \(Self.purpose)

            ## Requirements

            ### Requirement: A
            The system SHALL do A.

            #### Scenario: A works
            - ok

            ## MODIFIED Requirements

            ### Requirement: B
            The system SHALL do B.

            #### Scenario: B works
            - ok
            """
        let spec = MainSpec.parse(utf8(text), path: "specs/x/spec.md")
        #expect(spec.issues == [
            ValidationIssue(
                level: .error, path: "specs/x/spec.md",
                message:
                    "Main spec contains delta header \"## MODIFIED Requirements\". Delta headers are only valid inside openspec/changes/<name>/specs/<capability-path>/spec.md and truncate the parsed ## Requirements section.",
                line: 14),
            ValidationIssue(
                level: .error, path: "specs/x/spec.md",
                message:
                    "Requirement header \"### Requirement: B\" appears outside the main ## Requirements section. Main specs only parse requirements inside that section, so this requirement is currently invisible to validate, list, and archive.",
                line: 16),
        ])
        // Only the requirements of the real section are read.
        #expect(spec.requirements.map(\.name) == ["A"])
    }

    @Test("any child header of Requirements is a requirement; its title is the text when the body is empty")
    func anyChildHeader() {
        let text = "## Purpose\n\(Self.purpose)\n## Requirements\n### The system SHALL log in\n#### Scenario: ok\n- fine\n"
        let spec = MainSpec.parse(utf8(text), path: "s")
        #expect(spec.requirements.map(\.name) == ["The system SHALL log in"])
        #expect(spec.requirements[0].text == "The system SHALL log in")
        #expect(spec.issues.isEmpty)
    }

    @Test("missing Purpose stops the checks, as OpenSpec's parser throws")
    func missingPurpose() {
        let spec = MainSpec.parse(utf8("# T\n## Requirements\n### Requirement: A\nno keyword\n"), path: "s")
        #expect(spec.purpose == nil)
        #expect(spec.requirements.map(\.name) == ["A"])
        #expect(spec.issues.count == 1)
        #expect(spec.issues.first?.message.hasPrefix("Spec must have a Purpose section. Missing required sections.") == true)
    }

    @Test("missing Requirements section")
    func missingRequirements() {
        let spec = MainSpec.parse(utf8("## Purpose\n\(Self.purpose)\n"), path: "s")
        #expect(spec.issues.count == 1)
        #expect(spec.issues.first?.message.hasPrefix("Spec must have a Requirements section.") == true)
    }

    @Test("no scenario, brief purpose, duplicate names, no keyword")
    func rules() {
        let text = "## Purpose\nShort.\n## Requirements\n### Requirement: A\nDoes a thing.\n### Requirement: A\nThe system SHALL x.\n#### Scenario: s\n- y\n"
        let spec = MainSpec.parse(utf8(text), path: "s")
        #expect(spec.issues.map(\.level) == [.error, .error, .warning, .warning, .warning])
        #expect(spec.issues[0].message == "Requirement must have at least one scenario")
        #expect(spec.issues[0].line == 4)
        #expect(spec.issues[1].message.hasPrefix("Requirement header \"### Requirement: A\" duplicates the requirement declared on line 4."))
        #expect(spec.issues[1].line == 6)
        #expect(spec.issues[2].message == "Purpose section is too brief (less than 50 characters)")
        #expect(spec.issues[3].message.hasPrefix("Requirement must have at least one scenario. Scenarios must use level-4 headers."))
        #expect(spec.issues[4].message == "Requirement \"A\" should contain SHALL or MUST (RFC 2119 best practice for English specs)")
    }

    @Test("the nested capability fixture parses")
    func nested() throws {
        let spec = MainSpec.parse(
            try Fixtures.bytes("demo/openspec/specs/platform/session-layout/spec.md"), path: "s")
        #expect(spec.requirements.count == 2)
        #expect(spec.issues.isEmpty)
    }
}
