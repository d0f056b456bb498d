import Foundation
import OpenSpecStore
import OpenSpecSyncTestSupport
import Testing
@testable import OpenSpecSync

/// Each bad input is isolated: it is recorded against its own change, and
/// every other change of the batch still syncs.
@Suite("Reconciler: malformed inputs are isolated")
struct MalformedInputTests {
    /// A harness with one healthy change beside whatever the test adds.
    private func harness(_ fileSystem: FileSystem = PosixFileSystem()) throws -> Harness {
        let h = try Harness(fileSystem: fileSystem)
        try h.writeChange("changes/healthy")
        return h
    }

    private func expectHealthySynced(_ h: Harness) throws {
        let healthy = try #require(try h.spec("changes/healthy"))
        #expect(healthy.syncError == nil)
        #expect((healthy.completedTasks, healthy.totalTasks) == (1, 2))
    }

    @Test("non-UTF-8 content is kept as bytes and flagged")
    func nonUTF8() throws {
        let h = try harness()
        let latin1: [UInt8] = Array("## Why\nCaf".utf8) + [0xE9] + Array(" cr\u{00E8}me\n".utf8)
        try h.repo.write("openspec/changes/latin/proposal.md", bytes: latin1)
        try h.repo.write("openspec/changes/latin/tasks.md", bytes: [0xFF, 0xFE] + Array("- [x] a\n".utf16.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }))
        try h.repo.commitAll("odd encodings")
        let summary = try h.reconcile()
        #expect(summary.problems.isEmpty)
        try expectHealthySynced(h)

        let record = try #require(try h.record("changes/latin"))
        #expect(record.proposalContent == nil, "never re-encoded into a text column")
        let files = try h.engine.store.specFiles(specId: record.id, withContent: true)
        let proposal = try #require(files.first { $0.path == "proposal.md" })
        #expect(proposal.isUTF8 == false)
        #expect(proposal.content.map { [UInt8]($0) } == latin1)
        #expect(record.issues.contains("UTF-8"))

        // A Latin-1 tasks.md: counted at import, and its tasks shown from its file row.
        try h.repo.write("openspec/changes/latin-tasks/tasks.md", bytes: Array("- [x] Caf".utf8) + [0xE9] + Array("\n- [ ] b\n".utf8))
        try h.repo.commitAll("latin-1 tasks")
        _ = try h.reconcile()
        let latinTasks = try #require(try h.record("changes/latin-tasks"))
        #expect(latinTasks.tasksContent == nil && (latinTasks.completedTasks, latinTasks.totalTasks) == (1, 2))
        let detail = try h.engine.detail(of: try #require(try h.spec("changes/latin-tasks")))
        #expect(detail.tasks.map(\.marker) == ["x", " "])
        #expect(detail.tasks.map(\.done) == [true, false])
    }

    @Test("CRLF and a BOM parse, and are stored byte for byte")
    func crlfAndBOM() throws {
        let h = try harness()
        let tasks = "\u{FEFF}## 1. Work\r\n- [x] 1.1 Done\r\n- [ ] 1.2 Open\r\n  - [X] nested done\r\n"
        try h.repo.write("openspec/changes/windows/tasks.md", tasks)
        try h.repo.write("openspec/changes/windows/proposal.md", "\u{FEFF}# Change: Windows line ends\r\n\r\n## Why\r\nBecause.\r\n")
        try h.repo.commitAll("crlf")
        try h.reconcile()
        try expectHealthySynced(h)
        let record = try #require(try h.record("changes/windows"))
        #expect((record.completedTasks, record.totalTasks) == (2, 3))
        #expect(record.title == "Windows line ends")
        #expect(record.tasksContent == tasks)
    }

    @Test("an empty file is a change with nothing in it")
    func emptyFile() throws {
        let h = try harness()
        try h.repo.write("openspec/changes/empty/proposal.md", "")
        try h.repo.write("openspec/changes/empty/tasks.md", "")
        try h.repo.commitAll("empty")
        let summary = try h.reconcile()
        #expect(summary.problems.isEmpty)
        try expectHealthySynced(h)
        let record = try #require(try h.record("changes/empty"))
        #expect(record.title == "empty")
        #expect(record.taskStatus == "no-tasks")
        #expect(record.proposalContent == "")
    }

    @Test("conflict markers keep the last good content and name file and line")
    func conflictMarkers() throws {
        let h = try harness()
        try h.writeChange("changes/clash")
        try h.repo.commitAll("base")
        try h.reconcile()
        let good = try #require(try h.record("changes/clash"))

        try h.repo.write("openspec/changes/clash/tasks.md", "## 1. Work\n<<<<<<< HEAD\n- [x] 1.1 Do it\n=======\n- [ ] 1.1 Do it differently\n>>>>>>> other\n")
        try h.writeChange("changes/healthy", tasks: "- [x] a\n- [ ] b\n")
        let summary = try h.reconcile()
        #expect(summary.problems.map(\.path) == ["changes/clash/tasks.md"])
        #expect(summary.problems.first?.message.contains("changes/clash/tasks.md:2") == true)
        let clash = try #require(try h.record("changes/clash"))
        #expect(clash.tasksContent == good.tasksContent, "the marked-up file is not ingested")
        #expect(clash.syncError?.contains("merge-conflict markers") == true)
        try expectHealthySynced(h)

        // Resolving the conflict clears the error on the next run.
        try h.repo.write("openspec/changes/clash/tasks.md", "- [x] resolved\n")
        let next = try h.reconcile()
        #expect(next.problems.isEmpty)
        let resolved = try #require(try h.record("changes/clash"))
        #expect(resolved.syncError == nil)
        #expect(resolved.taskStatus == "complete")
    }

    @Test("unmerged index entries from a conflicted merge are not ingested")
    func conflictedMerge() throws {
        let h = try harness()
        try h.writeChange("changes/shared")
        try h.repo.commitAll("base")
        try h.repo.git("checkout", "-q", "-b", "other")
        try h.repo.write("openspec/changes/shared/tasks.md", "- [x] theirs\n")
        try h.repo.commitAll("theirs")
        try h.repo.git("checkout", "-q", "main")
        try h.repo.write("openspec/changes/shared/tasks.md", "- [ ] ours\n")
        try h.repo.commitAll("ours")
        try h.reconcile()
        let merge = try h.repo.gitResult(["merge", "-q", "other"])
        #expect(merge.status != 0, "the merge must conflict for this test")

        let summary = try h.reconcile()
        #expect(summary.problems.map(\.path) == ["changes/shared/tasks.md"])
        let shared = try #require(try h.record("changes/shared"))
        #expect(shared.tasksContent == "- [ ] ours\n")
        try expectHealthySynced(h)
    }

    @Test("a 5 MB file syncs; a file over the cap is refused alone")
    func largeFiles() throws {
        let h = try harness()
        let line = "- [x] 1.1 a task line that is about sixty bytes long ......\n"
        let big = String(repeating: line, count: 5_000_000 / line.utf8.count)
        try h.repo.write("openspec/changes/big/tasks.md", big)
        try h.repo.write("openspec/changes/huge/design.md", String(repeating: "x", count: 3_000_000))
        try h.writeChange("changes/huge")
        try h.repo.commitAll("big files")

        let summary = try h.reconcile(maxFileBytes: 6_000_000)
        #expect(summary.problems.isEmpty)
        let bigRecord = try #require(try h.spec("changes/big"))
        #expect(bigRecord.totalTasks == 5_000_000 / line.utf8.count)

        let capped = try h.reconcile(full: true, maxFileBytes: 2_000_000)
        #expect(capped.problems.map(\.path) == ["changes/big/tasks.md", "changes/huge/design.md"])
        #expect(capped.problems[1].message.contains("over the 2000000-byte limit"))
        try expectHealthySynced(h)
        #expect(try h.spec("changes/huge")?.totalTasks == 2)
    }

    @Test("a blob missing from the object database does not stop the sync")
    func missingBlob() throws {
        let h = try harness()
        try h.writeChange("changes/damaged", tasks: "- [x] unique content for the missing blob test\n")
        try h.repo.commitAll("damaged")
        let blob = try h.repo.git("rev-parse", "HEAD:openspec/changes/damaged/tasks.md")
        try h.repo.remove(".git/objects/\(blob.prefix(2))/\(blob.dropFirst(2))")
        let fsck = try h.repo.gitResult(["fsck", "--full"])
        #expect(fsck.status != 0 || fsck.stdout.contains("missing") || fsck.stderr.contains("missing"))

        let summary = try h.reconcile()
        #expect(summary.problems.isEmpty)
        try expectHealthySynced(h)
        #expect(try h.spec("changes/damaged")?.taskStatus == "complete")
        // A later incremental run over the damaged history works as well.
        try h.writeChange("changes/after")
        try h.repo.commitAll("after")
        #expect(try h.reconcile().created == 1)
    }

    @Test("an I/O error on one file is recorded and retried; the rest syncs")
    func injectedReadFailure() throws {
        let failing = FailingFileSystem(failing: "/openspec/changes/flaky/tasks.md", code: EIO)
        let h = try harness(failing)
        try h.writeChange("changes/flaky")
        try h.repo.commitAll("flaky")
        let summary = try h.reconcile()
        #expect(summary.problems.count == 1)
        #expect(summary.problems[0].message.contains("Input/output error"))
        try expectHealthySynced(h)
        let flaky = try #require(try h.record("changes/flaky"))
        #expect(flaky.syncError?.contains("changes/flaky/tasks.md") == true)
        #expect(flaky.tasksContent == nil)
        let runRow = try #require(try h.history().first { $0.specId == nil })
        #expect(runRow.success == false)

        // Once the disk reads again, the next ordinary run catches up.
        failing.heal()
        let next = try h.reconcile()
        #expect(next.mode == .incremental)
        #expect(next.problems.isEmpty)
        let healed = try #require(try h.record("changes/flaky"))
        #expect(healed.syncError == nil)
        #expect(healed.totalTasks == 2)
    }

    @Test("a symbolic link inside a change is reported, not followed")
    func symlinkNotFollowed() throws {
        let h = try harness()
        try h.writeChange("changes/linked")
        try FileManager.default.createSymbolicLink(atPath: h.repo.path + "/openspec/changes/linked/design.md", withDestinationPath: "/etc/hostname")
        try h.repo.commitAll("link")
        let summary = try h.reconcile()
        #expect(summary.problems.map(\.path) == ["changes/linked/design.md"])
        let files = try h.engine.store.specFiles(specId: try #require(try h.spec("changes/linked")).id, withContent: false)
        #expect(files.map(\.path) == ["proposal.md", "tasks.md"])
        try expectHealthySynced(h)
    }
}

/// The real file system, but reads of one path fail with `code` until healed.
final class FailingFileSystem: FileSystem, @unchecked Sendable {
    private let base = PosixFileSystem()
    private let suffix: String
    private let code: Int32
    private let lock = NSLock()
    private var healed = false

    init(failing suffix: String, code: Int32) {
        self.suffix = suffix
        self.code = code
    }

    func heal() { lock.withLock { healed = true } }

    func kind(of path: String) -> EntryKind? { base.kind(of: path) }
    func entries(of directory: String) throws -> [(name: String, kind: EntryKind)] { try base.entries(of: directory) }
    func stampRecords(under root: String, prefix: String, listings: FolderListings?) -> StampRecords {
        base.stampRecords(under: root, prefix: prefix, listings: listings)
    }
    func stamp(of path: String) -> FileStamp? { base.stamp(of: path) }
    func read(_ path: String, limit: Int) throws -> FileRead {
        if path.hasSuffix(suffix), !lock.withLock({ healed }) {
            throw FileSystemError(path: path, operation: "read", code: code)
        }
        return try base.read(path, limit: limit)
    }
}

extension MalformedInputTests {
    /// Makes the folders and file of a path given as raw bytes (names that
    /// no String can spell), below the repository.
    private func writeRaw(_ h: Harness, _ path: [UInt8], _ text: String) throws {
        var full = Array((h.repo.path + "/").utf8) + path
        var cursor = Array((h.repo.path + "/").utf8).count
        while let slash = full[cursor...].firstIndex(of: UInt8(ascii: "/")) {
            var folder = Array(full[..<slash]) + [0]
            _ = folder.withUnsafeMutableBufferPointer { mkdir(UnsafeRawPointer($0.baseAddress!).assumingMemoryBound(to: CChar.self), 0o755) }
            cursor = slash + 1
        }
        full.append(0)
        let fd = full.withUnsafeBufferPointer { open(UnsafeRawPointer($0.baseAddress!).assumingMemoryBound(to: CChar.self), O_WRONLY | O_CREAT | O_TRUNC, 0o644) }
        #expect(fd >= 0)
        _ = Array(text.utf8).withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        close(fd)
    }

    @Test("names that are not UTF-8 are skipped, reported once in status with their bytes, and never fail a run")
    func nonUTF8Names() throws {
        let h = try harness()
        try writeRaw(h, Array("openspec/changes/healthy/notes-caf".utf8) + [0xE9] + Array(".md".utf8), "# Notes\n")
        try writeRaw(h, Array("openspec/changes/caf".utf8) + [0xE9] + Array("/proposal.md".utf8), "## Why\nBecause.\n")
        try h.repo.commitAll("latin-1 names")
        let expected = [SkippedPath(path: "changes/caf\\xE9", reason: .nameNotUTF8),
                        SkippedPath(path: "changes/healthy/notes-caf\\xE9.md", reason: .nameNotUTF8)]
        for full in [false, false, true] {
            let summary = try h.reconcile(full: full)
            #expect(summary.problems.isEmpty, "\(summary.problems)")
            #expect(!summary.problems.contains { $0.message.contains("No such file") })
            #expect(try h.specs().allSatisfy { !$0.path.contains("\u{FFFD}") })
            let status = try #require(try h.engine.status().first)
            #expect(status.skipped == expected, "\(status.skipped)")
        }
        try expectHealthySynced(h)
        let healthy = try #require(try h.spec("changes/healthy"))
        #expect(try h.engine.store.specFiles(specId: healthy.id, withContent: false).map(\.path).sorted() == ["proposal.md", "tasks.md"])
        #expect(try h.reconcile().changes.isEmpty, "converged")

        // Seen by an incremental run too, as such names come and go.
        try writeRaw(h, Array("openspec/changes/archive/2026-01-01-".utf8) + [0xFF] + Array("/tasks.md".utf8), "- [ ] a\n")
        var notes = Array((h.repo.path + "/openspec/changes/healthy/notes-caf").utf8) + [0xE9] + Array(".md".utf8) + [0]
        #expect(notes.withUnsafeMutableBufferPointer { unlink(UnsafeRawPointer($0.baseAddress!).assumingMemoryBound(to: CChar.self)) } == 0)
        let incremental = try h.reconcile()
        #expect(incremental.mode == .incremental && incremental.problems.isEmpty, "\(incremental.problems)")
        let after = try #require(try h.engine.status().first).skipped
        #expect(after == [SkippedPath(path: "changes/archive/2026-01-01-\\xFF", reason: .nameNotUTF8),
                          SkippedPath(path: "changes/caf\\xE9", reason: .nameNotUTF8)], "\(after)")
        #expect(try h.reconcile().changes.isEmpty, "converged")
    }
}
