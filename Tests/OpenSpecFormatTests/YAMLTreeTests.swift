import Testing
@testable import OpenSpecFormat

@Suite("YAML subset reader (schemas and config)")
struct YAMLTreeTests {
    func read(_ text: String) -> YAMLDocument { YAMLDocument.parse(utf8(text), path: "schemas/x/schema.yaml") }

    @Test("block mappings and sequences at any depth, flow collections nested, quoted and plain scalars, comments")
    func subset() throws {
        let doc = read("""
            # leading comment
            name: loop   # trailing comment
            quoted: "a # not a comment"
            single: 'it''s'
            empty:
            artifacts:
              - id: proposal
                generates: proposal.md
                requires: []
              - {id: checkpoints, generates: "loop/*.md", requires: [proposal, 'x y'], opts: {deep: [1, {k: v}]}}
            apply:
              requires:
              - checkpoints
              tracks: loop/checkpoints.md

            """)
        #expect(doc.issues.isEmpty, "\(doc.issues)")
        let root = try #require(doc.root)
        #expect(root["name"]?.string == "loop")
        #expect(root["quoted"]?.string == "a # not a comment")
        #expect(root["single"]?.string == "it's")
        #expect(root["empty"]?.isNull == true)
        guard case .sequence(let artifacts)? = root["artifacts"]?.value else { Issue.record("artifacts"); return }
        #expect(artifacts.count == 2)
        #expect(artifacts[0]["generates"]?.string == "proposal.md")
        #expect(artifacts[0]["requires"]?.value == .sequence([]))
        #expect(artifacts[1]["generates"]?.string == "loop/*.md")
        #expect(artifacts[1]["requires"]?.value == .sequence([YAMLNode(.scalar("proposal"), line: 10), YAMLNode(.scalar("x y"), line: 10)]))
        #expect(artifacts[1]["opts"]?["deep"].map { if case .sequence(let s) = $0.value { s.count } else { 0 } } == 2)
        #expect(artifacts[1].line == 10)
        #expect(root["apply"]?["tracks"]?.string == "loop/checkpoints.md")
        guard case .sequence(let requires)? = root["apply"]?["requires"]?.value else { Issue.record("requires"); return }
        #expect(requires.map(\.string) == ["checkpoints"])
    }

    @Test("block scalars keep their text, including lines that look like YAML, and end at the first less indented line")
    func blockScalars() throws {
        let doc = read("""
            artifacts:
              - id: a
                instruction: |
                  Line one.

                  - not: a list
                  # not a comment
                generates: a.md
            apply:
              instruction: >
                folded
                text
              tracks: a.md
            """)
        #expect(doc.issues.isEmpty, "\(doc.issues)")
        let root = try #require(doc.root)
        guard case .sequence(let artifacts)? = root["artifacts"]?.value else { Issue.record("artifacts"); return }
        #expect(artifacts[0]["instruction"]?.string == "Line one.\n\n- not: a list\n# not a comment")
        #expect(artifacts[0]["generates"]?.string == "a.md")
        #expect(root["apply"]?["instruction"]?.string == "folded text")
        #expect(root["apply"]?["tracks"]?.string == "a.md")
    }

    @Test("plain and quoted scalars may go on over more indented lines")
    func multiLineScalars() throws {
        let doc = read("""
            description: A workflow
              over two lines
            quoted: "one # not a comment
              two"
            single: 'it''s
              fine' # comment
            artifacts:
              - a long
                item
              - next
            name: x

            """)
        #expect(doc.issues.isEmpty, "\(doc.issues)")
        let root = try #require(doc.root)
        #expect(root["description"]?.string == "A workflow over two lines")
        #expect(root["quoted"]?.string == "one # not a comment two")
        #expect(root["single"]?.string == "it's fine")
        guard case .sequence(let items)? = root["artifacts"]?.value else { Issue.record("artifacts"); return }
        #expect(items.map(\.string) == ["a long item", "next"])
        #expect(root["name"]?.string == "x")
        #expect(read("a: \"never closed\n  still open\nb: 1\n").issues.contains { $0.line == 1 })
    }

    @Test("malformed input gives an issue naming the file and line, never a crash")
    func malformed() {
        let cases: [(String, Int)] = [
            ("apply: {tracks: a.md\n", 1),  // unclosed flow mapping
            ("a: [1, 2\n", 1),  // unclosed flow sequence
            ("a: \"open\n", 1),  // unclosed quote
            ("name: x\n  stray: indented\n", 2),  // more indented, belongs to nothing
            ("name: x\nname: y\n", 2),  // duplicated key
            ("list:\n  - a\n  b\n", 3),  // a scalar among list items
            ("a: {x: 1, x: 2}\n", 1),  // duplicated flow key
            ("a: [1,, 2]\n", 1),
            ("a: 1\n  b: 2\n", 2),  // a key under a scalar
        ]
        for (text, line) in cases {
            let doc = read(text)
            #expect(doc.issues.contains { $0.level == .error && $0.line == line && $0.path == "schemas/x/schema.yaml" },
                    "\(text): \(doc.issues)")
        }
    }

    @Test("any bytes: deep nesting, odd bytes, tabs, lone dashes and colons read without crashing")
    func total() {
        let deep = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
        for text in ["", "\n\n", "---\n", "-", ":", "- - - a", "a:\n\t- b", "key: |", "k: >-\n", deep, "a: " + deep,
                     "\u{FEFF}schema: loop\r\n", "- {a: [b, {c: d}]}\n- e"] {
            _ = read(text)
        }
        var generator = SplitMix64(state: 7)
        let alphabet = Array("ab: -[]{},'\"#|>\n  \t".utf8)
        for _ in 0..<2_000 {
            let bytes = (0..<Int.random(in: 0..<60, using: &generator)).map { _ in alphabet.randomElement(using: &generator)! }
            _ = YAMLDocument.parse(bytes, path: "x")
        }
        #expect(read(deep).issues.contains { $0.line == 1 })
        let stairs = (0..<1_000).map { String(repeating: " ", count: $0) + "k\($0):" }.joined(separator: "\n")
        #expect(read(stairs).issues.contains { $0.line == YAMLReader.maxBlockDepth + 1 })
        let dashes = (0..<1_000).map { String(repeating: " ", count: $0 * 2) + "-" }.joined(separator: "\n")
        _ = read(dashes)
    }
}
