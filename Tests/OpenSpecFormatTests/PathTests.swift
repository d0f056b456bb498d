import OpenSpecFormat
import Testing

@Suite("Paths and change folders")
struct PathTests {
    @Test(
        "classify",
        arguments: [
            ("changes/add-tags/proposal.md", OpenSpecPath.changeFile(folder: "changes/add-tags", file: "proposal.md")),
            (
                "changes/add-tags/specs/platform/session/spec.md",
                .changeFile(folder: "changes/add-tags", file: "specs/platform/session/spec.md")
            ),
            (
                "changes/archive/2026-01-12-add-login/tasks.md",
                .changeFile(folder: "changes/archive/2026-01-12-add-login", file: "tasks.md")
            ),
            ("changes/add-tags/.openspec.yaml", .changeFile(folder: "changes/add-tags", file: ".openspec.yaml")),
            ("changes/README.md", .other),
            ("changes/archive/.openspec-archive.lock", .other),
            ("changes/.hidden/proposal.md", .other),
            ("changes/archive/.tmp/proposal.md", .other),
            ("specs/auth/spec.md", .mainSpec(capability: "auth")),
            ("specs/platform/session-layout/spec.md", .mainSpec(capability: "platform/session-layout")),
            ("specs/_standalone/harness/spec.md", .mainSpec(capability: "_standalone/harness")),
            ("specs/spec.md", .other),
            ("specs/auth/notes.md", .other),
            ("specs/.drafts/spec.md", .other),
            ("config.yaml", .other),
            ("project.md", .other),
            ("changes//x.md", .other),
            ("", .other),
        ])
    func classify(path: String, expected: OpenSpecPath) {
        #expect(OpenSpecPath.classify(path) == expected)
    }

    @Test("active and archived change folders")
    func folders() throws {
        let active = try #require(ChangeFolder(path: "changes/add-tags"))
        #expect(active.changeId == "add-tags")
        #expect(!active.isArchived)
        #expect(active.archivedOn == nil)

        let archived = try #require(ChangeFolder(path: "changes/archive/2026-01-12-add-login-rate-limit"))
        #expect(archived.changeId == "add-login-rate-limit")
        #expect(archived.isArchived)
        #expect(archived.archivedOn == "2026-01-12")

        // OpenSpec strips one date prefix only.
        let doubled = try #require(
            ChangeFolder(path: "changes/archive/2025-10-18-2025-10-18-Security-Vulnerabilities"))
        #expect(doubled.changeId == "2025-10-18-Security-Vulnerabilities")
        #expect(doubled.archivedOn == "2025-10-18")

        let undated = try #require(ChangeFolder(path: "changes/archive/old-change"))
        #expect(undated.changeId == "old-change")
        #expect(undated.archivedOn == nil)

        #expect(ChangeFolder(path: "changes/archive") == nil)
        #expect(ChangeFolder(path: "changes/.hidden") == nil)
        #expect(ChangeFolder(path: "changes/archive/.lock") == nil)
        #expect(ChangeFolder(path: "changes") == nil)
        #expect(ChangeFolder(path: "specs/auth") == nil)
        #expect(ChangeFolder(path: "changes/a/b") == nil)
    }

    @Test("change-name grammar messages, used only when creating")
    func names() {
        #expect(ChangeName.problems("add-tags").isEmpty)
        #expect(ChangeName.problems("100-add-feature").isEmpty)
        #expect(ChangeName.problems("") == ["Change name cannot be empty"])
        #expect(ChangeName.problems("Add-Tags") == ["Change name must be lowercase (use kebab-case)"])
        #expect(ChangeName.problems("add tags") == ["Change name cannot contain spaces (use hyphens instead)"])
        #expect(ChangeName.problems("add_tags") == ["Change name cannot contain underscores (use hyphens instead)"])
        #expect(ChangeName.problems("-add") == ["Change name cannot start with a hyphen"])
        #expect(ChangeName.problems("add-") == ["Change name cannot end with a hyphen"])
        #expect(ChangeName.problems("add--tags") == ["Change name cannot contain consecutive hyphens"])
        #expect(ChangeName.problems("add.tags") == ["Change name can only contain lowercase letters, numbers, and hyphens"])
        #expect(ChangeName.problems(String(repeating: "a", count: 201)) == ["Change name is too long (200 characters max)"])
    }
}
