import Foundation
import GRDB
import Testing
@testable import OpenSpecStore

@Suite("Dates in the database")
struct DateTextTests {
    @Test("what DateText writes, it reads back to the millisecond")
    func roundTrip() throws {
        for seconds in [0.0, 1_700_000_000.123, 1_795_000_000.999, 951_782_400.5 /* 2000-02-29 */] {
            let date = Date(timeIntervalSince1970: seconds)
            let text = try #require(DateText.string(date))
            let back = try #require(DateText.date(text))
            #expect(abs(back.timeIntervalSince1970 - seconds) < 0.0006, "\(text)")
        }
    }

    @Test("GRDB's and ISO 8601's forms are read as UTC; anything else is nil, never a crash")
    func otherForms() throws {
        #expect(DateText.date("2026-11-21 10:20:30.250")?.timeIntervalSince1970 == 1_795_256_430.25)
        #expect(DateText.date("2026-11-21T10:20:30Z")?.timeIntervalSince1970 == 1_795_256_430)
        #expect(DateText.date("2026-11-21 10:20")?.timeIntervalSince1970 == 1_795_256_400)
        #expect(DateText.date("2026-11-21")?.timeIntervalSince1970 == 1_795_219_200)
        for bad in ["", "yesterday", "2026", "2026--11", "2026-11-21 10:20:30.5.5", "1.5", "2026-11-21 10:20:30:40:50"] {
            #expect(DateText.date(bad) == nil, "\(bad)")
        }
    }

    @Test("records read their dates through DateText")
    func recordsUseDateText() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("datetext-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let store = try SQLiteStore(path: folder + "/sync.sqlite")
        let project = try store.registerProject(name: "p", repoPath: "/repo", openspecPath: "openspec")
        let read = try #require(try store.project(id: project.id))
        #expect(abs(read.createdAt.timeIntervalSince(project.createdAt)) < 0.001)
        #expect(ProjectRecord.databaseDateDecodingStrategy(for: "createdAt").isCustom)
    }
}

private extension DatabaseDateDecodingStrategy {
    var isCustom: Bool { if case .custom = self { return true } else { return false } }
}
