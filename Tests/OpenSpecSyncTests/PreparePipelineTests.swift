import Foundation
import Testing
import OpenSpecFormat
@testable import OpenSpecSync

@Suite("Prepare pipeline")
struct PreparePipelineTests {
    /// An openspec folder with `count` changes, each with a proposal naming it.
    private func makeChanges(_ count: Int) throws -> (root: String, inputs: [PreparePipeline.Input]) {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("openspec-sync-pipeline-\(UUID().uuidString)").path
        var inputs: [PreparePipeline.Input] = []
        for index in 0..<count {
            let path = "changes/change-\(index)"
            try FileManager.default.createDirectory(atPath: root + "/" + path, withIntermediateDirectories: true)
            try Data("# Change \(index)\n\n## Why\nx\n".utf8).write(to: URL(fileURLWithPath: root + "/" + path + "/proposal.md"))
            try Data("- [x] 1.1 a\n- [ ] 1.2 b\n".utf8).write(to: URL(fileURLWithPath: root + "/" + path + "/tasks.md"))
            inputs.append((try #require(ChangeFolder(path: path)), nil, [:]))
        }
        return (root, inputs)
    }

    @Test("folders come out in order, each prepared once, with any number of workers and a small window",
          arguments: [0, 1, 3])
    func inOrder(workers: Int) throws {
        let (root, inputs) = try makeChanges(40)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let preparer = FolderPreparer(fs: PosixFileSystem(), openspecRoot: root, options: ReconcileOptions(), conflicted: [])
        let pipeline = PreparePipeline(preparer: preparer, inputs: inputs, window: 4, workerCount: workers)
        defer { pipeline.finish() }
        for index in 0..<pipeline.count {
            let prepared = pipeline.take(index)
            #expect(prepared.folder.path == "changes/change-\(index)")
            #expect(prepared.evaluation?.values.title == "Change \(index)")
            #expect(prepared.evaluation?.values.completedTasks == 1 && prepared.evaluation?.values.totalTasks == 2)
            #expect(prepared.files.count == 2 && prepared.problems.isEmpty)
        }
    }

    @Test("a writer that stops early (it failed) stops the workers without taking the rest")
    func finishEarly() throws {
        let (root, inputs) = try makeChanges(200)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let preparer = FolderPreparer(fs: PosixFileSystem(), openspecRoot: root, options: ReconcileOptions(), conflicted: [])
        let pipeline = PreparePipeline(preparer: preparer, inputs: inputs, window: 8, workerCount: 2)
        #expect(pipeline.take(0).folder.path == "changes/change-0")
        let started = Date()
        pipeline.finish()
        #expect(Date().timeIntervalSince(started) < 5)
    }
}
