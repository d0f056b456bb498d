import Foundation
import OpenSpecFormat
import Testing

/// Every parser is total: any bytes give a result, never a crash.
@Suite("Malformed and large inputs")
struct MalformedInputTests {
    /// Runs `bytes` through every parser and returns a summary the caller can check.
    @discardableResult
    static func parseEverything(_ bytes: [UInt8]) -> Int {
        var touched = 0
        touched += TextDecoding.decode(bytes).text.utf8.count
        touched += Markdown.sections(String(decoding: bytes, as: UTF8.self)).count
        touched += Proposal.parse(bytes, path: "p").issues.count
        touched += Design.parse(bytes, path: "d").sections.count
        touched += TaskList.parse(bytes, path: "t").total
        touched += DeltaSpec.parse(bytes, path: "s").deltaCount
        touched += MainSpec.parse(bytes, path: "m").requirements.count
        touched += ChangeMetadata.parse(bytes, path: "y").issues.count
        let text = String(decoding: bytes.prefix(200), as: UTF8.self)
        touched += ChangeName.problems(text).count
        if case .other = OpenSpecPath.classify(text) { touched += 1 }
        touched += ChangeFolder(path: text) == nil ? 0 : 1
        return touched
    }

    @Test("an empty file")
    func empty() throws {
        let bytes = try Fixtures.bytes("malformed/empty.md")
        #expect(bytes.isEmpty)
        #expect(Proposal.parse(bytes, path: "p").title == nil)
        #expect(Markdown.sections("").isEmpty)
        let tasks = TaskList.parse(bytes, path: "t")
        #expect(tasks.total == 0)
        #expect(tasks.status == .noTasks)
        #expect(tasks.issues.isEmpty)
        #expect(DeltaSpec.parse(bytes, path: "s").issues.messages().first?.hasPrefix("No delta sections found.") == true)
        #expect(MainSpec.parse(bytes, path: "m").issues.count == 1)
        #expect(ChangeMetadata.parse(bytes, path: "y").issues.messages() == ["schema is required"])
    }

    @Test("Latin-1 bytes: flagged on the line of the first bad byte, parsing continues")
    func latin1() throws {
        let bytes = try Fixtures.bytes("malformed/latin1.md")
        let decoded = TextDecoding.decode(bytes)
        #expect(!decoded.isValidUTF8)
        #expect(decoded.text.contains("Caf\u{FFFD} notes"))
        let proposal = Proposal.parse(bytes, path: "changes/x/proposal.md")
        #expect(proposal.issues.first == ValidationIssue(
            level: .error, path: "changes/x/proposal.md", message: "not valid UTF-8; kept as bytes", line: 2))
        #expect(proposal.why?.hasPrefix("Caf\u{FFFD} notes") == true)
        let tasks = TaskList.parse(bytes, path: "t")
        #expect(tasks.total == 2)
        #expect(tasks.completed == 1)
        #expect(tasks.tasks[0].text == "1.1 R\u{FFFD}sum\u{FFFD} export")
        #expect(tasks.issues.map(\.line) == [2])
    }

    @Test("UTF-16 with a BOM is not UTF-8 and has no tasks")
    func utf16() throws {
        let bytes = try Fixtures.bytes("malformed/utf16-bom.md")
        let decoded = TextDecoding.decode(bytes)
        #expect(!decoded.isValidUTF8)
        #expect(!decoded.hadBOM)
        let tasks = TaskList.parse(bytes, path: "t")
        #expect(tasks.total == 0)
        #expect(tasks.issues.messages(.error) == ["not valid UTF-8; kept as bytes"])
        #expect(tasks.issues.first?.line == 1)
        #expect(Design.parse(bytes, path: "d").issues.count == 1)
    }

    @Test("invalid sequences: overlong, surrogate, out of range, truncated, lone continuation")
    func invalidSequences() throws {
        let bytes = try Fixtures.bytes("malformed/invalid-sequences.md")
        let tasks = TaskList.parse(bytes, path: "t")
        #expect(tasks.total == 2)
        #expect(tasks.completed == 1)
        // The lone continuation byte is one replaced character: an open task, its offset exact.
        let odd = tasks.tasks[0]
        #expect(!odd.isDone)
        #expect(odd.markerOffset.map { bytes[$0] } == 0x80)
        #expect(tasks.issues.first?.line == 1)
        let proposal = Proposal.parse(bytes, path: "p")
        #expect(proposal.title?.hasPrefix("Title ") == true)
        #expect(proposal.why != nil)
    }

    @Test("a 5 MB file parses through every parser in linear time")
    func fiveMegabytes() {
        var text = "# Big\n\n## Why\n" + String(repeating: "Reason text. ", count: 10) + "\n\n## Requirements\n"
        var blocks = 0
        while text.utf8.count < 5_000_000 {
            text += "### Requirement: R\(blocks)\nThe system SHALL do \(blocks).\n\n#### Scenario: S\n- [x] \(blocks)\n```\n# fenced\n```\n"
            blocks += 1
        }
        let bytes = utf8(text)
        var timings: [String] = []
        func timed(_ name: String, _ body: () -> Void) {
            let seconds = measure(body)
            timings.append("\(name) \(String(format: "%.2f", seconds)) s")
            #expect(seconds < 30, "\(name)")
        }
        timed("sections") { #expect(Markdown.sections(text).first?.children.count == 2) }
        timed("tasks") { #expect(TaskList.parse(bytes, path: "t").total == blocks) }
        timed("main spec") { #expect(MainSpec.parse(bytes, path: "m").requirements.count == blocks) }
        timed("proposal") { #expect(Proposal.parse(bytes, path: "p").why?.hasPrefix("Reason text.") == true) }
        timed("delta") { #expect(DeltaSpec.parse(bytes, path: "d").deltaCount == 0) }
        timed("metadata") { #expect(!ChangeMetadata.parse(bytes, path: "y").isValid) }
        print("5 MB file: " + timings.joined(separator: ", "))
    }

    @Test("a 1,000,000-line tasks.md")
    func millionLines() {
        // A heading plus 999,999 task lines, alternating done and nested-open.
        let body = String(repeating: "- [x] task\n  - [ ] task\n", count: 499_999) + "- [x] task\n"
        let bytes = utf8("## 1. Everything\n" + body)
        let seconds = measure {
            let list = TaskList.parse(bytes, path: "t")
            #expect(list.total == 999_999)
            #expect(list.completed == 500_000)
            #expect(list.tasks.last?.line == 1_000_000)
        }
        print("1,000,000-line tasks.md: \(seconds) s")
        #expect(seconds < 60)
    }

    @Test("pathological shapes: one huge line, deep nesting, unclosed fences, endless brackets")
    func pathological() {
        let shapes: [[UInt8]] = [
            [UInt8](repeating: UInt8(ascii: "#"), count: 500_000),
            [UInt8](repeating: UInt8(ascii: "["), count: 500_000),
            utf8(String(repeating: "- [", count: 150_000)),
            utf8(String(repeating: "# a\n## b\n### c\n#### d\n##### e\n###### f\n", count: 5_000)),
            utf8("```\n" + String(repeating: "## not a header\n", count: 30_000)),
            utf8(String(repeating: "```\n", count: 50_001)),
            utf8(String(repeating: " ", count: 500_000) + "- [x] far"),
            utf8(String(repeating: "\r", count: 200_000)),
            utf8(String(repeating: "\u{2028}", count: 100_000)),
            utf8(String(repeating: "## ADDED Requirements\n### Requirement: A\n", count: 20_000)),
            utf8("## 1. Group\n" + String(repeating: "- [x] 1.1 dup\n", count: 50_000)),
        ]
        for (index, bytes) in shapes.enumerated() {
            let seconds = measure { Self.parseEverything(bytes) }
            print("pathological shape \(index): \(seconds) s")
            #expect(seconds < 30)
        }
        let deep = Markdown.sections(String(repeating: "# a\n## b\n### c\n#### d\n##### e\n###### f\n", count: 1000))
        #expect(deep.count == 1000)
        #expect(deep[0].children[0].children[0].children[0].children[0].children[0].title == "f")
    }

    @Test("randomized totality: random bytes and mutated fixtures through every parser")
    func randomized() throws {
        var rng = SplitMix64(state: 0x0123_4567_89AB_CDEF)
        let alphabet: [[UInt8]] = [
            "#", "## ", "### Requirement: ", "#### Scenario: ", "- [", "]", "[x]", "[ ]", " ", "\t", "\n", "\r\n", "\r",
            "```", "~~~", "1. ", "1) ", "*", "+", ":", "`", "'", "\"", "## ADDED Requirements\n", "## REMOVED Requirements\n",
            "## RENAMED Requirements\n", "- FROM: ", "- TO: ", "SHALL", "schema: ", "created: 2026-01-01\n", "  - ",
            "{", "}", "|", ">", "\u{FEFF}", "\u{2028}", "é", "😀", "✓", "\u{00A0}", "## 1. ", "1.2a ",
        ].map { Array($0.utf8) }
        var inputs: [[UInt8]] = []
        for _ in 0..<1500 {
            let length = Int.random(in: 0...300, using: &rng)
            inputs.append((0..<length).map { _ in UInt8.random(in: 0...255, using: &rng) })
        }
        for _ in 0..<1500 {
            var bytes: [UInt8] = []
            for _ in 0..<Int.random(in: 0...60, using: &rng) {
                if Bool.random(using: &rng) {
                    bytes += alphabet[Int.random(in: 0..<alphabet.count, using: &rng)]
                } else {
                    bytes.append(UInt8.random(in: 0...255, using: &rng))
                }
            }
            inputs.append(bytes)
        }
        var seeds: [[UInt8]] = []
        for folder in ["demo/openspec", "malformed", "tasks"] {
            seeds += try Fixtures.files(under: folder).sorted { $0.key < $1.key }.map(\.value)
        }
        #expect(seeds.count > 40)
        for seed in seeds {
            for _ in 0..<20 {
                var bytes = seed
                for _ in 0..<Int.random(in: 1...8, using: &rng) {
                    guard !bytes.isEmpty else { break }
                    let at = Int.random(in: 0..<bytes.count, using: &rng)
                    switch Int.random(in: 0..<4, using: &rng) {
                    case 0: bytes[at] = UInt8.random(in: 0...255, using: &rng)
                    case 1: bytes.insert(contentsOf: alphabet[Int.random(in: 0..<alphabet.count, using: &rng)], at: at)
                    case 2: bytes.removeSubrange(at..<min(bytes.count, at + Int.random(in: 1...20, using: &rng)))
                    default: bytes = Array(bytes.prefix(at))
                    }
                }
                inputs.append(bytes)
            }
        }
        var checked = 0
        for bytes in inputs {
            Self.parseEverything(bytes)
            // Offsets always point inside the original bytes at the right characters.
            for task in TaskList.parse(bytes, path: "t").tasks {
                #expect(bytes[task.openBracketOffset] == UInt8(ascii: "["))
                #expect(bytes[task.closeBracketOffset] == UInt8(ascii: "]"))
                if let marker = task.markerOffset {
                    #expect(marker > task.openBracketOffset && marker < task.closeBracketOffset)
                }
            }
            let folder = ChangeFolder(path: "changes/fuzz")!
            _ = ChangeSnapshot.read(
                folder: folder,
                files: ["proposal.md": bytes, "tasks.md": bytes, "specs/a/spec.md": bytes, ".openspec.yaml": bytes],
                trackedTasks: "**/*.md")
            checked += 1
        }
        #expect(checked == inputs.count)
        #expect(checked > 3500)
    }
}
