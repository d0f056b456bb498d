import OpenSpecFormat
import Testing

@Suite(".openspec.yaml")
struct MetadataTests {
    @Test("a full file: scalars, quotes, flow and block lists, nested map, comments")
    func good() {
        let text = """
            # change metadata
            schema: spec-driven   # the built-in schema
            created: 2026-06-04
            goal: "Ship tags: the #1 request"
            affected_areas:
              - notes
              - 'search'
            skip_specs: false
            retire_capabilities: True
            priority: high
            author: Ana O'Neil
            initiative:
              store: main
              id: q3-organise
            labels: [a, "b, c"]
            """
        let meta = ChangeMetadata.parse(utf8(text), path: "changes/x/.openspec.yaml")
        #expect(meta.schema == "spec-driven")
        #expect(meta.created == "2026-06-04")
        #expect(meta.goal == "Ship tags: the #1 request")
        #expect(meta.affectedAreas == ["notes", "search"])
        #expect(meta.skipSpecs == false)
        #expect(meta.retireCapabilities == true)
        #expect(meta.priority == "high")
        #expect(meta.author == "Ana O'Neil")
        #expect(meta.extra == ["initiative.store": "main", "initiative.id": "q3-organise", "labels": "a, b, c"])
        #expect(meta.issues.isEmpty)
        #expect(meta.isValid)
    }

    @Test("the two-line file `openspec new change` writes, and a flow list")
    func minimal() {
        let meta = ChangeMetadata.parse(utf8("schema: spec-driven\ncreated: 2026-06-04\naffected_areas: [api, 'web ui']\n"), path: "m")
        #expect(meta.schema == "spec-driven")
        #expect(meta.affectedAreas == ["api", "web ui"])
        #expect(meta.skipSpecs == nil)
        #expect(meta.issues.isEmpty)
    }

    @Test("block scalars keep their text")
    func blockScalar() {
        let meta = ChangeMetadata.parse(utf8("schema: spec-driven\ngoal: |\n  First line\n  second line\n\nauthor: me\n"), path: "m")
        #expect(meta.goal == "First line\nsecond line")
        #expect(meta.author == "me")
        let folded = ChangeMetadata.parse(utf8("schema: s\ngoal: >\n  one\n  two\n"), path: "m")
        #expect(folded.goal == "one two")
    }

    @Test("missing schema and a bad date give OpenSpec's messages")
    func bad() {
        let meta = ChangeMetadata.parse(utf8("created: March 2nd\n"), path: "m")
        #expect(meta.issues == [
            ValidationIssue(level: .error, path: "m", message: "created must be YYYY-MM-DD format", line: 1),
            ValidationIssue(level: .error, path: "m", message: "schema is required"),
        ])
        #expect(!meta.isValid)
        #expect(ChangeMetadata.parse(utf8("schema: ~\n"), path: "m").issues.messages() == ["schema is required"])
        #expect(ChangeMetadata.parse(utf8("schema: ''\n"), path: "m").issues.messages() == ["schema is required"])
    }

    @Test("an unparsable line is an error naming the line")
    func unparsable() {
        let meta = ChangeMetadata.parse(utf8("schema: spec-driven\nthis is not yaml\n  indented: stray\n"), path: "m")
        #expect(meta.schema == "spec-driven")
        #expect(meta.issues.map(\.line) == [2, 3])
        #expect(meta.issues.first?.message == "cannot read line 2 as YAML: \"this is not yaml\"")
    }

    @Test("typed fields reject the wrong shape; duplicate keys are errors")
    func types() {
        let meta = ChangeMetadata.parse(
            utf8("schema: s\nskip_specs: yes\naffected_areas: notes\nschema: t\ngoal: \"unterminated\n"), path: "m")
        #expect(meta.issues.messages() == [
            "duplicated mapping key \"schema\"",
            "cannot read line 5 as YAML: \"goal: \"unterminated\"",
            "skip_specs must be true or false",
            "affected_areas must be a list of strings",
        ])
        #expect(meta.schema == "s")
        #expect(meta.skipSpecs == nil)
    }

    @Test("the demo's metadata-only change declares skip_specs")
    func demo() throws {
        let meta = ChangeMetadata.parse(
            try Fixtures.bytes("demo/openspec/changes/refactor-sync-engine/.openspec.yaml"), path: "m")
        #expect(meta.skipSpecs == true)
        #expect(meta.goal == "Move sync to a background actor")
        #expect(meta.issues.isEmpty)
    }
}
