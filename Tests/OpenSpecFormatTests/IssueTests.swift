import Foundation
import OpenSpecFormat
import Testing

@Suite("Issues")
struct IssueTests {
    @Test("description is path:line: LEVEL message, without a line when there is none")
    func description() {
        #expect(ValidationIssue(level: .error, path: "a.md", message: "m", line: 3).description == "a.md:3: ERROR m")
        #expect(ValidationIssue(level: .info, path: "a.md", message: "m").description == "a.md: INFO m")
    }

    @Test("JSON uses OpenSpec's level strings and round-trips")
    func codable() throws {
        let issue = ValidationIssue(level: .warning, path: "changes/x/tasks.md", message: "w", line: 9)
        let data = try JSONEncoder().encode(issue)
        let text = String(decoding: data, as: UTF8.self)
        #expect(text.contains("\"level\":\"WARNING\""))
        #expect(try JSONDecoder().decode(ValidationIssue.self, from: data) == issue)
        let noLine = try JSONDecoder().decode(
            ValidationIssue.self, from: Data(#"{"level":"ERROR","path":"p","message":"m"}"#.utf8))
        #expect(noLine.line == nil)
        #expect(noLine.level == .error)
    }
}
