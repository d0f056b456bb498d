import Foundation
import OpenSpecFormat
import Testing
@testable import OpenSpecSync

/// The issues column reads back as written, by hand when it has the
/// written shape, through JSONDecoder otherwise; both agree.
@Suite("Issues column: decoding")
struct IssuesColumnTests {
    static let messages = [
        "", "plain", "quote \" backslash \\ slash /", String((1..<0x20).map { Character(Unicode.Scalar($0)!) }),
        "é 日本語 👩‍💻 \u{2028}", "Why section must be at least 50 characters",
    ]

    @Test("what ColumnJSON.issues writes is read back by hand, equal to JSONDecoder's reading")
    func roundTrip() throws {
        var issues: [ValidationIssue] = []
        for (index, message) in Self.messages.enumerated() {
            issues.append(ValidationIssue(level: [.error, .warning, .info][index % 3], path: "changes/x/\(message).md",
                                          message: message, line: index % 2 == 0 ? nil : index * 1000))
        }
        for list in [[], Array(issues.prefix(1)), issues] {
            let text = ColumnJSON.issues(list)
            #expect(IssuesColumn.decodeWritten(text) == list, "\(text)")
            #expect(try JSONDecoder().decode([ValidationIssue].self, from: Data(text.utf8)) == list)
            #expect(IssuesColumn.decode(text) == list)
        }
    }

    @Test("another shape or escape is left to JSONDecoder; what neither reads is no issues")
    func otherShapes() {
        let reordered = #"[{"path":"p","level":"ERROR","message":"m"}]"#
        #expect(IssuesColumn.decodeWritten(reordered) == nil)
        #expect(IssuesColumn.decode(reordered) == [ValidationIssue(level: .error, path: "p", message: "m")])
        let wide = #"[{"level":"INFO","path":"p","message":"\u00e9\ud83d\ude00","line":null}]"#
        #expect(IssuesColumn.decodeWritten(wide) == nil)
        #expect(IssuesColumn.decode(wide) == [ValidationIssue(level: .info, path: "p", message: "é😀")])
        for broken in ["", "[", "[{}]", #"[{"level":"LOUD","path":"p","message":"m","line":null}]"#, "{}",
                       #"[{"level":"INFO","path":"p","message":"m","line":null}] x"#] {
            #expect(IssuesColumn.decodeWritten(broken) == nil, "\(broken)")
        }
        #expect(IssuesColumn.decode("not json").isEmpty)
    }
}
