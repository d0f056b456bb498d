import Foundation
import GRDB
import Testing
@testable import OpenSpecStore

@Suite("Store")
struct StoreTests {
    private func freshStore() throws -> SQLiteStore {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("openspec-sync-store-\(UUID().uuidString)")
        return try SQLiteStore(path: folder.path + "/nested/sync.sqlite")
    }

    private func values(_ path: String) -> SpecValues {
        SpecValues(path: path, changeId: path.split(separator: "/").last.map(String.init) ?? path, title: "t",
                   status: .active, archivedOn: nil, proposalContent: nil, tasksContent: nil, designContent: nil,
                   completedTasks: 0, totalTasks: 0, taskStatus: "no-tasks", schemaName: nil,
                   createdOn: nil, issuesJSON: "[]", filesystemModifiedAt: nil, syncError: nil)
    }

    @Test("opening creates the folder, migrates, and is in WAL mode")
    func opens() throws {
        let store = try freshStore()
        #expect(FileManager.default.fileExists(atPath: store.path))
        #expect(try store.integrityCheck() == "ok")
        let mode = try store.pool.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") }
        #expect(mode == "wal")
        // A second open of the same file migrates nothing and keeps data.
        _ = try store.registerProject(name: "a", repoPath: "/r/a", openspecPath: "openspec")
        let again = try SQLiteStore(path: store.path)
        #expect(try again.projects().map(\.name) == ["a"])
    }

    @Test("a database made before the task list was parsed on read loses that column and keeps its rows")
    func tasksColumnMigration() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("openspec-sync-store-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let path = folder.path + "/old.sqlite"
        do {
            let old = try DatabaseQueue(path: path)
            try Schema.migrator.migrate(old, upTo: "v2-writes")
            try old.write { db in
                try db.execute(sql: "INSERT INTO projects (id, name, repoPath, createdAt) VALUES ('p', 'app', '/r/app', '2026-01-01 00:00:00.000')")
                try db.execute(sql: """
                    INSERT INTO openspecSpecs (id, projectId, path, changeId, title, status, tasksContent, tasks, firstSeenAt)
                    VALUES ('s', 'p', 'changes/x', 'x', 'X', 'active', '- [x] a', '[{"line":1}]', '2026-01-01 00:00:00.000')
                    """)
            }
        }
        let store = try SQLiteStore(path: path)
        let spec = try #require(try store.spec(id: "s"))
        #expect(spec.tasksContent == "- [x] a" && spec.title == "X")
        let columns = try store.pool.read { db in try db.columns(in: "openspecSpecs").map(\.name) }
        #expect(!columns.contains("tasks") && columns.contains("tasksContent"))
    }

    @Test("a bulk write leaves WAL mode only when no other connection is open, and always returns to it")
    func bulkWriteJournal() throws {
        let store = try freshStore()
        let project = try store.registerProject(name: "app", repoPath: "/r/app", openspecPath: "openspec")
        func journal(_ writer: any StoreTransaction) throws -> String? { try String.fetchOne((writer as! SQLiteTransaction).db, sql: "PRAGMA journal_mode") }

        // Alone: a rollback journal for the transaction, WAL again after, the rows kept.
        let alone = try store.bulkWrite { writer in
            _ = try writer.insertSpec(projectId: project.id, values("changes/a"), at: Date())
            return try journal(writer)
        }
        #expect(alone == "delete")
        #expect(try store.pool.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") } == "wal")

        // A failed body rolls back and still returns to WAL.
        #expect(throws: StoreError.self) {
            try store.bulkWrite { writer in
                _ = try writer.insertSpec(projectId: project.id, values("changes/b"), at: Date())
                throw StoreError.cannotOpen(path: "x", reason: "test")
            }
        }
        #expect(try store.pool.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") } == "wal")
        #expect(try store.pool.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM openspecSpecs") } == 1)

        // Another connection open (a server, a daemon): through the log as usual, without waiting.
        let other = try SQLiteStore(path: store.path)
        #expect(try other.projects().count == 1)
        let started = Date()
        let shared = try store.bulkWrite { writer in
            _ = try writer.insertSpec(projectId: project.id, values("changes/c"), at: Date())
            return try journal(writer)
        }
        #expect(shared == "wal")
        #expect(Date().timeIntervalSince(started) < 5, "the attempt to leave WAL must not wait for the other connection")
        #expect(try other.pool.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM openspecSpecs") } == 2)
        #expect(try store.integrityCheck() == "ok")
    }

    @Test("during a bulk write the kernel is asked to start writing the file, and the descriptor is closed after")
    func writebackDuringBulkWrite() throws {
        let store = try freshStore()
        #expect(Writeback(path: store.path + ".missing") == nil)
        let writeback = try #require(Writeback(path: store.path))
        let fd = writeback.fd
        Thread.sleep(forTimeInterval: 0.1)
        writeback.stop()
        #expect(writeback.requests >= 1, "five intervals passed without a request")
        // The number may have been reused by now, but not for this file.
        var target = [CChar](repeating: 0, count: 4096)
        let length = readlink("/proc/self/fd/\(fd)", &target, target.count - 1)
        let opened = length > 0 ? String(decoding: target[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self) : ""
        #expect(opened != store.path, "the descriptor must be closed when the requests end")
    }

    @Test("a server's store (a pool of readers beside the writer) writes a bulk write through the log")
    func bulkWriteInPool() throws {
        let path = try freshStore().path
        let server = try SQLiteStore(path: path, concurrentReads: true)
        let project = try server.registerProject(name: "app", repoPath: "/r/app", openspecPath: "openspec")
        let mode = try server.bulkWrite { writer in
            _ = try writer.insertSpec(projectId: project.id, values("changes/a"), at: Date())
            return try String.fetchOne((writer as! SQLiteTransaction).db, sql: "PRAGMA journal_mode")
        }
        #expect(mode == "wal")
        #expect(try server.pool.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM openspecSpecs") } == 1)
    }

    @Test("a database left in rollback-journal mode (an import cut short) opens in WAL mode again")
    func reopensInWAL() throws {
        let path: String
        do {
            let store = try freshStore()
            path = store.path
            _ = try store.registerProject(name: "app", repoPath: "/r/app", openspecPath: "openspec")
        }
        do {
            let plain = try DatabaseQueue(path: path)
            _ = try plain.writeWithoutTransaction { db in try String.fetchOne(db, sql: "PRAGMA journal_mode = DELETE") }
            #expect(try plain.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") } == "delete")
        }
        let store = try SQLiteStore(path: path)
        #expect(try store.pool.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") } == "wal")
        #expect(try store.projects().map(\.name) == ["app"])
    }

    @Test("file lists are written as JSON arrays that any JSON reader reads back")
    func jsonArrays() throws {
        let strings = ["changes/a/tasks.md", "quote \" and \\ back", "tab\tnew\nline\r", "bell\u{07}", "ü 日本", ""]
        let text = JSONArray.encode(strings)
        let decoded = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String]
        #expect(decoded == strings)
        #expect(JSONArray.encode([]) == "[]")
        #expect(text.contains("\\u0007"))
    }

    @Test("row ids are version-7 UUIDs that sort in the order they were made")
    func rowIDs() {
        let ids = (0..<2_000).map { _ in RowID.make() }
        #expect(Set(ids).count == ids.count)
        #expect(ids == ids.sorted())
        for id in ids.prefix(50) {
            let bytes = Array(id.utf8)
            #expect(bytes.count == 36 && bytes[8] == UInt8(ascii: "-") && bytes[14] == UInt8(ascii: "7"))
            #expect("89ab".utf8.contains(bytes[19]), "RFC 9562 variant")
            #expect(UUID(uuidString: id) != nil)
        }
        // The first 48 bits are the time in milliseconds.
        let millis = UInt64(ids[0].replacingOccurrences(of: "-", with: "").prefix(12), radix: 16) ?? 0
        #expect(abs(Double(millis) / 1000 - Date().timeIntervalSince1970) < 60)
    }

    @Test("text columns bound from bytes are stored as a String argument would store them, and the statement reruns clean")
    func textColumnsFromBytes() throws {
        let store = try freshStore()
        let project = try store.registerProject(name: "p", repoPath: "/r/p", openspecPath: "openspec")
        var v = values("changes/a")
        v.proposalContent = ColumnText("# Title é\n")
        v.tasksContent = ColumnText(utf8: Array("- [ ] 1.1 a\u{0}after".utf8))
        v.designContent = ColumnText("")
        let id = try store.write { w in try w.insertSpec(projectId: project.id, v, at: Date()) }
        func columns() throws -> [DatabaseValue] {
            try store.pool.read { db in
                let row = try #require(try Row.fetchOne(db, sql: """
                    SELECT proposalContent, tasksContent, designContent, typeof(designContent) FROM openspecSpecs WHERE id = ?
                    """, arguments: [id]))
                return (0..<4).map { row[$0] as DatabaseValue }
            }
        }
        // Up to a NUL byte, as a String argument binds (a C string); an empty text is "" (not NULL).
        #expect(try columns() == ["# Title é\n".databaseValue, "- [ ] 1.1 a".databaseValue, "".databaseValue, "text".databaseValue])
        v.tasksContent = ColumnText("- [x] 1.1 a\n")
        v.designContent = nil
        try store.write { w in try w.updateSpec(id: id, v, at: Date()) }
        #expect(try columns() == ["# Title é\n".databaseValue, "- [x] 1.1 a\n".databaseValue, .null, "null".databaseValue])
        // The cached statement, run again, binds only what it is given.
        v.proposalContent = nil
        try store.write { w in try w.updateSpec(id: id, v, at: Date()) }
        #expect(try columns()[0] == .null)
    }
}
