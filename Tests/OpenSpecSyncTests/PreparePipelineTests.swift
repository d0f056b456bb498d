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

@Suite("Reading a folder")
struct ReadFolderTests {
    @Test("readFolder lists every entry with its kind and reads the regular files relative to the folder")
    func readsFolder() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("openspec-sync-readfolder-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        try FileManager.default.createDirectory(atPath: root + "/specs", withIntermediateDirectories: true)
        try Data("- [ ] a\n".utf8).write(to: URL(fileURLWithPath: root + "/tasks.md"))
        try Data(repeating: 0x41, count: 100).write(to: URL(fileURLWithPath: root + "/big.md"))
        try Data("x".utf8).write(to: URL(fileURLWithPath: root + "/notes.md~"))
        try FileManager.default.createSymbolicLink(atPath: root + "/link.md", withDestinationPath: "/etc/hostname")

        let fs = PosixFileSystem()
        let contents = try fs.readFolder(root, limit: 50, skip: { $0.hasSuffix("~") })
        let entries = contents.entries.sorted { $0.name < $1.name }
        #expect(entries.map(\.name) == ["big.md", "link.md", "notes.md~", "specs", "tasks.md"])
        #expect(entries.map(\.kind) == [.file, .symlink, .file, .directory, .file])
        let tasks = try #require(try entries[4].read?.get())
        #expect(tasks.bytes == Array("- [ ] a\n".utf8) && !tasks.oversize)
        #expect(try entries[0].read?.get().oversize == true, "over the limit: sized, not read")
        #expect(entries[1].read == nil && entries[2].read == nil && entries[3].read == nil)
        // Stamps as lstat gives them: the folder's, each file read (also one
        // over the limit), each link; nothing else carries one.
        #expect(contents.stamp != nil && contents.stamp == fs.stamp(of: root))
        #expect(tasks.stamp == fs.stamp(of: root + "/tasks.md"))
        #expect(try entries[0].read?.get().stamp == fs.stamp(of: root + "/big.md"))
        #expect(entries[1].linkStamp != nil && entries[1].linkStamp == fs.stamp(of: root + "/link.md"))
        #expect(entries[3].linkStamp == nil && entries[4].linkStamp == nil)

        #expect(throws: FileSystemError.self) { try PosixFileSystem().readFolder(root + "/missing", limit: 50, skip: { _ in false }) }
    }
}
