import OpenSpecFormat
import Testing

@Suite("Line diff")
struct LineDiffTests {
    /// The old text is the context and deleted lines, the new one the context and added lines, numbered in order.
    func expectConsistent(_ old: [Substring], _ new: [Substring], _ lines: [LineDiff.Line],
                          sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(lines.filter { $0.kind != .add }.map(\.text) == old.map(String.init), sourceLocation: sourceLocation)
        #expect(lines.filter { $0.kind != .del }.map(\.text) == new.map(String.init), sourceLocation: sourceLocation)
        #expect(lines.compactMap(\.oldLine) == Array(stride(from: 1, through: old.count, by: 1)), sourceLocation: sourceLocation)
        #expect(lines.compactMap(\.newLine) == Array(stride(from: 1, through: new.count, by: 1)), sourceLocation: sourceLocation)
    }

    /// The longest common subsequence's length, the slow way: a minimal diff keeps that many lines.
    func lcsLength(_ a: [Substring], _ b: [Substring]) -> Int {
        var row = [Int](repeating: 0, count: b.count + 1)
        for x in a {
            var diagonal = 0
            for (j, y) in b.enumerated() {
                let above = row[j + 1]
                row[j + 1] = x == y ? diagonal + 1 : max(row[j], row[j + 1])
                diagonal = above
            }
        }
        return row[b.count]
    }

    @Test("one changed line: the others are context, the change a del then an add, with both numbers")
    func oneChange() {
        let lines = LineDiff.lines(from: "a\nb\nc\n", to: "a\nB\nc\n")
        #expect(lines == [
            .init(kind: .context, text: "a", oldLine: 1, newLine: 1),
            .init(kind: .del, text: "b", oldLine: 2, newLine: nil),
            .init(kind: .add, text: "B", oldLine: nil, newLine: 2),
            .init(kind: .context, text: "c", oldLine: 3, newLine: 3),
        ])
    }

    @Test("empty, added and deleted texts; a missing final newline and CRLF are not differences of lines")
    func edges() {
        #expect(LineDiff.lines(from: "", to: "").isEmpty)
        #expect(LineDiff.lines(from: "", to: "x\ny\n").map(\.kind) == [.add, .add])
        #expect(LineDiff.lines(from: "x\ny", to: "").map(\.kind) == [.del, .del])
        #expect(LineDiff.lines(from: "x\r\ny", to: "x\ny\n").allSatisfy { $0.kind == .context })
    }

    @Test("random edits: both texts rebuilt from the result, and as few lines changed as possible")
    func randomEdits() {
        var generator = SplitMix64(state: 42)
        for _ in 0..<300 {
            let alphabet: [Substring] = ["a", "b", "c", "d", ""]
            let old = (0..<Int.random(in: 0...30, using: &generator)).map { _ in alphabet.randomElement(using: &generator)! }
            var new = old
            for _ in 0..<Int.random(in: 0...8, using: &generator) {
                switch Int.random(in: 0...2, using: &generator) {
                case 0 where !new.isEmpty: new.remove(at: Int.random(in: 0..<new.count, using: &generator))
                case 1: new.insert(alphabet.randomElement(using: &generator)!, at: Int.random(in: 0...new.count, using: &generator))
                default: if !new.isEmpty { new[Int.random(in: 0..<new.count, using: &generator)] = "z" }
                }
            }
            let lines = LineDiff.diff(old, new)
            expectConsistent(old, new, lines)
            #expect(lines.filter { $0.kind == .context }.count == lcsLength(old, new), "\(old) → \(new)")
        }
    }

    @Test("a huge rewrite is bounded: past the edit limit the middle is deleted then added, quickly")
    func hugeRewrite() {
        let old = (0..<200_000).map { Substring("old line \($0)") }
        let new = (0..<200_000).map { Substring("new line \($0)") }
        let clock = ContinuousClock()
        let started = clock.now
        let lines = LineDiff.diff(old, new, maxEdits: 500)
        #expect(clock.now - started < .seconds(20))
        expectConsistent(old, new, lines)
        #expect(lines.prefix(200_000).allSatisfy { $0.kind == .del })
        // Within the limit the result is still minimal.
        var edited = old
        edited[100_000] = "changed"
        let small = LineDiff.diff(old, edited, maxEdits: 500)
        #expect(small.filter { $0.kind != .context }.count == 2)
    }
}

