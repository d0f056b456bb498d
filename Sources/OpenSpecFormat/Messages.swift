/// Message texts, verbatim from the OpenSpec CLI where OpenSpec has one, so stored
/// issues read the same as `openspec validate` output.
enum Messages {
    static let minWhyLength = 50
    static let maxWhyLength = 1000
    static let minPurposeLength = 50
    static let maxRequirementTextLength = 500

    static func notUTF8(path: String, line: Int?) -> ValidationIssue {
        .error(path, "not valid UTF-8; kept as bytes", line: line)
    }

    // Proposal (OPENSPEC-FORMAT 2.3, 2.7)
    static let noWhy = "Change must have a Why section"
    static let noWhatChanges = "Change must have a What Changes section"
    static let whyTooShort = "Why section must be at least \(minWhyLength) characters"
    static let whyTooLong = "Why section should not exceed \(maxWhyLength) characters"

    // Main specs (OPENSPEC-FORMAT 2.6)
    static let guideMissingSpecSections =
        "Missing required sections. Expected headers: \"## Purpose\" and \"## Requirements\". Example:\n## Purpose\n[brief purpose]\n\n## Requirements\n### Requirement: Clear requirement statement\nUsers SHALL ...\n\n#### Scenario: Descriptive name\n- **WHEN** ...\n- **THEN** ..."
    static let noPurpose = "Spec must have a Purpose section. " + guideMissingSpecSections
    static let noRequirementsSection = "Spec must have a Requirements section. " + guideMissingSpecSections
    static let specNoRequirements = "Spec must have at least one requirement"
    static let requirementEmpty = "Requirement text cannot be empty"
    static let requirementNoScenarios = "Requirement must have at least one scenario"
    static let scenarioEmpty = "Scenario text cannot be empty"
    static let guideScenarioFormat =
        "Scenarios must use level-4 headers. Convert bullet lists into:\n#### Scenario: Short name\n- **WHEN** ...\n- **THEN** ...\n- **AND** ..."
    static let purposeTooBrief = "Purpose section is too brief (less than \(minPurposeLength) characters)"
    static let requirementTooLong =
        "Requirement text is very long (>\(maxRequirementTextLength) characters). Consider breaking it down."

    static func mainSpecDeltaHeader(_ header: String) -> String {
        "Main spec contains delta header \"\(header)\". Delta headers are only valid inside openspec/changes/<name>/specs/<capability-path>/spec.md and truncate the parsed ## Requirements section."
    }

    static func requirementOutsideSection(_ header: String) -> String {
        "Requirement header \"\(header)\" appears outside the main ## Requirements section. Main specs only parse requirements inside that section, so this requirement is currently invisible to validate, list, and archive."
    }

    static func duplicateMainRequirement(_ header: String, firstLine: Int) -> String {
        "Requirement header \"\(header)\" duplicates the requirement declared on line \(firstLine). Requirement names must be unique so spec updates cannot discard one block while updating another."
    }

    /// `buildMissingShallOrMustMessage` in OpenSpec's validator.
    static func missingShallOrMust(_ prefix: String, name: String, guidanceOnly: Bool) -> String {
        let base = "\(prefix) \(guidanceOnly ? "should" : "must") contain SHALL or MUST"
        let suffix = guidanceOnly ? " (RFC 2119 best practice for English specs)" : ""
        if containsShallOrMust(name) {
            return
                "\(base) in the requirement body, not only in the header. Move the SHALL/MUST statement to the line immediately after the \"### Requirement: ...\" header.\(suffix)"
        }
        return base + suffix
    }

    // Delta specs (OPENSPEC-FORMAT 2.5, 2.7)
    static let rootDeltaSpec =
        "Delta spec found at specs/spec.md. Delta specs must live under a capability path (e.g. specs/<capability-path>/spec.md) — a file at the specs/ root is ignored when the change is applied or archived."
    static let noDeltaSections =
        "No delta sections found. Add headers such as \"## ADDED Requirements\" or move non-delta notes outside specs/."
    static let guideNoDeltas =
        "No deltas found. Ensure your change has a specs/ directory with capability folders (e.g. specs/http-server/spec.md) containing .md files that use delta headers (## ADDED/MODIFIED/REMOVED/RENAMED Requirements) and that each requirement includes at least one \"#### Scenario:\" block. If this change intentionally modifies no specs (pure refactor, tooling, docs), set \"skip_specs: true\" in the change's .openspec.yaml instead. Tip: run \"openspec change show <change-id> --json --deltas-only\" to inspect parsed deltas."
    static let changeNoDeltas = "Change must have at least one delta. " + guideNoDeltas
    static let skipSpecsConflict =
        "skip_specs is set in .openspec.yaml but spec files exist under specs/. Remove skip_specs or delete the delta spec files"
    static let skipSpecsAccepted =
        "skip_specs is set in .openspec.yaml: change declares no spec-level behavior changes, zero deltas accepted"
    static let skipSpecsInvalidMetadata =
        "skip_specs is set but .openspec.yaml is not valid change metadata, so the marker is not honored. Fix the metadata"

    static func emptyDeltaSections(_ sections: [String]) -> String {
        let list: String
        if sections.count <= 1 {
            list = sections.first ?? ""
        } else {
            list = sections.dropLast().joined(separator: ", ") + " and " + (sections.last ?? "")
        }
        return
            "Delta sections \(list) were found, but no requirement entries parsed. Ensure each section includes at least one \"### Requirement:\" block (REMOVED may use bullet list syntax)."
    }

    static func skippedHeader(_ header: String, section: String) -> String {
        if isNamelessRequirementHeader(header) {
            return
                "Header \"### \(header)\" in \(section) is missing a requirement name and is ignored by validation. Add a name, e.g. \"### Requirement: <name>\"."
        }
        return
            "Header \"### \(header)\" in \(section) is not a \"### Requirement:\" header and is ignored by validation. Use \"### Requirement: \(header)\" if it should be validated as a requirement."
    }

    /// `/^requirement:?$/i`
    static func isNamelessRequirementHeader(_ header: String) -> Bool {
        let lower = header.lowercased()
        return lower == "requirement" || lower == "requirement:"
    }

    static func duplicateSection(title: String, keptLine: Int) -> String {
        "Section \"## \(title)\" is repeated on line \(keptLine); OpenSpec keeps only the last one, so the requirements in this one are ignored."
    }

    static func shadowedSection(title: String, canonical: String, readLine: Int) -> String {
        "Section \"## \(title)\" repeats \"## \(canonical)\" (line \(readLine)) in another case; OpenSpec reads only the first one, so this one is ignored."
    }

    static func renameWithoutTo(_ from: String) -> String {
        "RENAMED FROM: \"\(from)\" has no matching TO: line. Follow each FROM: line with a \"- TO: `### Requirement: <new name>`\" line."
    }

    static func renameWithoutFrom(_ to: String) -> String {
        "RENAMED TO: \"\(to)\" has no matching FROM: line. Put a \"- FROM: `### Requirement: <old name>`\" line before it."
    }

    // Tasks (OPENSPEC-FORMAT 2.4)
    static func taskWrongGroup(id: String, group: String, idGroup: String) -> String {
        "Task \"\(id)\" is under group \(group), but its leading number points to group \(idGroup). Move it to group \(idGroup) or renumber it."
    }

    static func taskDuplicate(id: String, firstLine: Int, inFile: String?) -> String {
        if let inFile {
            return "Task ID \"\(id)\" is duplicated; it was first declared in \(inFile) on line \(firstLine)."
        }
        return "Task ID \"\(id)\" is duplicated; it was first declared on line \(firstLine)."
    }

    // .openspec.yaml (OPENSPEC-FORMAT 1.4)
    static let schemaRequired = "schema is required"
    static let createdFormat = "created must be YYYY-MM-DD format"
}
