import Foundation
import OpenSpecSyncTestSupport
import Testing

/// The shared test scaffolding behaves as the suites rely on.
@Suite("Test support")
struct TestSupportTests {
    @Test("eventually: true as soon as the condition holds, false once the time is up")
    func eventuallyPolls() {
        let start = ContinuousClock.now
        var calls = 0
        #expect(eventually(timeout: 5) { calls += 1; return calls == 3 })
        #expect(ContinuousClock.now - start < .seconds(2))
        #expect(!eventually(timeout: 0.2) { false })
    }

    @Test("eventually in an async test waits without holding a thread")
    func eventuallyAsync() async {
        let began = ContinuousClock.now
        #expect(await eventually(timeout: 5, every: .milliseconds(5)) { ContinuousClock.now - began > .milliseconds(30) })
    }

    @Test("a temporary folder goes away with its owner")
    func tempFolderIsRemoved() throws {
        var folder: TempFolder? = try TempFolder(prefix: "support")
        let path = try #require(folder?.path)
        try "x".write(toFile: folder!.file("a.txt"), atomically: true, encoding: .utf8)
        #expect(FileManager.default.fileExists(atPath: path + "/a.txt"))
        folder = nil
        #expect(!FileManager.default.fileExists(atPath: path))
    }

    @Test("a repository with N changes has them committed, each with a proposal and tasks")
    func repositoryWithChanges() throws {
        let repo = try TempRepo.withChanges(4)
        let listed = lines(try repo.git("ls-tree", "-r", "--name-only", "HEAD"))
        #expect(listed.count == 8)
        #expect(listed.contains("openspec/changes/change-4/tasks.md"))
        #expect(try repo.git("status", "--porcelain") == "")
        let dated = try repo.commitAll("dated", atSecond: 5)
        #expect(try repo.git("log", "-1", "--format=%ct", dated) == "1700000005")
    }

    @Test("a background process shows its output, and stop ends it, killing one that ignores SIGTERM")
    func backgroundProcess() throws {
        let logs = try TempFolder(prefix: "support-logs")
        let process = try BackgroundProcess("/bin/sh", ["-c", "trap '' TERM; echo ready at 42; while :; do sleep 0.05; done"],
                                            logs: logs.path, name: "stubborn")
        #expect(process.awaitOutput(matching: "ready at [0-9]+", timeout: 10) == "ready at 42")
        process.stop(timeout: 0.3)
        #expect(!process.isRunning)
        #expect(process.process.terminationReason == .uncaughtSignal)
        #expect(try sqlite(logs.file("db.sqlite"), "SELECT 6 * 7") == "42")
    }
}
