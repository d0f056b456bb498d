import Foundation
import OpenSpecFormat
import Testing

/// A full scan parses every file, so the parsers must stay far below the cost of
/// reading the files at all. Timings are printed; the bound is asserted only in
/// optimised builds (`swift test -c release`), where it means something.
@Suite("Performance")
struct PerformanceTests {
    /// One typical change: a 1.5 KB proposal, a 20-line tasks.md, a 1 KB design.
    static func typicalChange(_ n: Int) -> (proposal: [UInt8], tasks: [UInt8], design: [UInt8]) {
        var proposal = "## Why\n\n"
        proposal += String(repeating: "Change \(n) exists because users keep asking for it — see ticket #\(n). ", count: 5)
        proposal += "\n\n## What Changes\n\n"
        for i in 0..<8 { proposal += "- **notes:** Add behaviour \(i) for change \(n), described in one line.\n" }
        proposal += "\n## Capabilities\n\n### New Capabilities\n\n- `feature-\(n)`: the new thing.\n\n"
        proposal += "### Modified Capabilities\n\n- None.\n\n## Impact\n\n- Affected code: `Sources/Feature\(n)`.\n"
        while proposal.utf8.count < 1500 { proposal += "- More impact notes for the reviewers.\n" }

        var tasks = "## 1. Build\n\n"
        for i in 1...8 { tasks += "- [\(i % 3 == 0 ? "x" : " ")] 1.\(i) Implement step \(i) of change \(n)\n" }
        tasks += "\n## 2. Verify\n\n"
        for i in 1...8 { tasks += "  - [\(i % 2 == 0 ? "x" : " ")] 2.\(i) Check step \(i)\n" }

        var design = "## Context\n\nThe current design of change \(n).\n\n## Decisions\n\n"
        while design.utf8.count < 900 { design += "- Decision: keep it simple, measure first, then optimise.\n" }
        design += "\n```swift\nlet x = \(n)\n```\n\n## Risks\n\n- None known.\n"
        return (Array(proposal.utf8), Array(tasks.utf8), Array(design.utf8))
    }

    @Test("6,000 typical files")
    func sixThousandFiles() {
        let changes = (0..<2000).map(Self.typicalChange)
        var total = 0
        var sections = 0
        // Warm up once so first-call costs do not count.
        _ = Proposal.parse(changes[0].proposal, path: "p")
        let seconds = measure {
            for change in changes {
                let proposal = Proposal.parse(change.proposal, path: "changes/x/proposal.md")
                let tasks = TaskList.parse(change.tasks, path: "changes/x/tasks.md")
                let design = Design.parse(change.design, path: "changes/x/design.md")
                total += tasks.total
                sections += proposal.sections.count + design.sections.count
            }
        }
        let bytes = changes.reduce(0) { $0 + $1.proposal.count + $1.tasks.count + $1.design.count }
        print("6,000 files (\(bytes) bytes): \(String(format: "%.1f", seconds * 1000)) ms")
        #expect(total == 2000 * 16)
        #expect(sections == 2000 * (4 + 3))
        #if !DEBUG
            #expect(seconds < 0.5)
        #endif
    }
}
