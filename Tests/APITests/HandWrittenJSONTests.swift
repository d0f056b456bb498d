import Foundation
import OpenSpecStore
@testable import OpenSpecSync
import OpenSpecSyncTestSupport
import Testing
@testable import OpenSpecServer

/// The replies written by hand (`JSONWriter`) mean what JSONEncoder's did:
/// the writer's escaping and dates, and specs.get, projects.list and
/// sync.getStatus from a real server compared with the old encoding of the
/// same values.
@Suite("Hand-written JSON replies", .serialized)
struct HandWrittenJSONTests {
    /// Strings a reply may carry: every control character, quotes,
    /// backslashes, slashes, non-ASCII and astral characters.
    static let awkward: [String] = [
        "", "plain", "quote \" and backslash \\ and slash / </script>",
        String((0..<0x20).map { Character(Unicode.Scalar($0)!) }) + "\u{7f}",
        "é ü ß 日本語 👩‍💻 \u{2028}\u{2029}", "\\u0041 \\n", "a\u{0}b",
    ]

    @Test("strings are escaped into valid JSON that reads back as written, as JSONEncoder's does")
    func escaping() throws {
        var writer = JSONWriter()
        writer.object { json in
            json.field("list", Self.awkward)
            json.key("each"); json.array(Self.awkward) { json, text in
                json.object { json in
                    json.field("text", text)
                    json.field("absent", ifPresent: nil as String?)
                    json.field("null", orNull: nil)
                }
            }
        }
        let bytes = writer.bytes
        #expect(!bytes.contains { $0 < 0x20 }, "a raw control character in JSON text")
        let parsed = try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
        #expect(parsed["list"] as? [String] == Self.awkward)
        let each = try #require(parsed["each"] as? [[String: Any]])
        #expect(each.map { $0["text"] as? String } == Self.awkward)
        #expect(each.allSatisfy { $0["absent"] == nil && $0["null"] is NSNull })
        var list = JSONWriter()
        list.object { $0.field("list", Self.awkward) }
        #expect(try canonical(list.data) == canonical(try encode(["list": Self.awkward])))
        #expect(try JSONDecoder().decode([String: [String]].self, from: list.data) == ["list": Self.awkward])
    }

    @Test("dates are written as JSONEncoder's .iso8601 writes them, to the byte")
    func dates() throws {
        let seconds: [Double] = [0, 1, 59.999, 1_767_225_600, 1_767_225_600.25, 1_767_225_600.5, 1_767_225_600.999_9,
                                 951_782_400, 4_102_444_799.75, 1_234_567_890.123]
        for value in seconds {
            let date = Date(timeIntervalSince1970: value)
            var writer = JSONWriter()
            writer.date(date)
            #expect(String(decoding: writer.bytes, as: UTF8.self) == String(decoding: try encode(date), as: UTF8.self), "\(value)")
        }
    }

    @Test("numbers, booleans, nested containers and commas")
    func structure() throws {
        var writer = JSONWriter()
        writer.array([0, 1, 2]) { json, n in
            json.object { json in
                json.field("n", n)
                json.field("big", Int64.max)
                json.field("negative", -n)
                json.field("odd", n % 2 == 1)
                json.key("empty"); json.array([Int]()) { json, x in json.int(x) }
                json.key("nested"); json.array([[1, 2], []]) { json, inner in json.array(inner) { $0.int($1) } }
            }
        }
        #expect(String(decoding: writer.bytes, as: UTF8.self) == """
            [{"n":0,"big":9223372036854775807,"negative":0,"odd":false,"empty":[],"nested":[[1,2],[]]},\
            {"n":1,"big":9223372036854775807,"negative":-1,"odd":true,"empty":[],"nested":[[1,2],[]]},\
            {"n":2,"big":9223372036854775807,"negative":-2,"odd":false,"empty":[],"nested":[[1,2],[]]}]
            """)
    }

    @Test("specs.get, projects.list and sync.getStatus replies read back as the old encoding of the same values")
    func repliesMatchTheEncoder() async throws {
        let server = try LiveServer()
        let repo = try makeProject(server)
        // A change whose text needs every kind of escape, with a validation issue (no proposal).
        try repo.write("openspec/changes/odd-text/tasks.md", "## 1. Quotes \"and\" \\ slashes / \u{7}bell\tand tab\n- [ ] 1.1 é 日本 👩‍💻 </script>\n- [x] 1.2 done\n")
        try repo.write("openspec/changes/odd-text/design.md", "line\r\nwith \u{1} control\n")
        _ = try repo.commitAll("odd")
        #expect(try server.cli(["reconcile", "--repo", repo.path]).status == 0)
        let engine = try SyncEngine(databasePath: server.dbPath)

        try await server.inProcess { api in
            for key in ["add-login", "odd-text", "changes/archive/2026-01-12-add-rate-limit"] {
                let reply = try await api.query("specs.get", json(["specId": key]))
                #expect(reply.status == 200, "\(reply)")
                let spec = try engine.resolveSpec(key)
                let rows = try engine.store.specFiles(specId: spec.id, withContent: true)
                let old = try encode(SpecReply(detail: try engine.detail(of: spec, files: rows), files: rows.map { file in
                    SpecFileReply(path: file.path, version: file.blobId, blobId: file.blobId, size: file.size, isUTF8: file.isUTF8,
                                  content: file.content.flatMap { String(validating: [UInt8]($0), as: UTF8.self) })
                }))
                #expect(try canonical(data(of: reply)) == canonical(old), "specs.get \(key)")
            }

            let projects = try await api.query("projects.list")
            #expect(projects.status == 200, "\(projects)")
            #expect(try canonical(data(of: projects)) == canonical(try encode(engine.status())))

            for input in [nil, json(["specId": "odd-text"]), json(["projectId": "demo"]), json(["specId": "add-login", "projectId": "demo"])] {
                let reply = try await api.query("sync.getStatus", input)
                #expect(reply.status == 200, "\(reply)")
                let object = try #require(reply.data as? [String: Any])
                #expect(object.keys.contains("spec"), "spec is null, not absent")
                #expect(try canonical(data(of: reply)) == canonical(try encode(oldStatus(engine, input: input))), "\(input ?? "no input")")
            }
        }
    }

    /// sync.getStatus as the procedure made it before its reads shared a snapshot.
    private func oldStatus(_ engine: SyncEngine, input: String?) throws -> StatusReply {
        let fields = input.flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: String] } ?? [:]
        let scope = try fields["projectId"].map { try engine.project(named: $0).id }
        let spec = try fields["specId"].map { try engine.resolveSpec($0, projectId: scope) }
        let projectId = spec?.projectId ?? scope
        let projects = try engine.store.projects().filter { projectId == nil || $0.id == projectId }
        let views = try projects.map { p in
            let counts = try engine.store.writeCounts(projectId: p.id)
            return ProjectSyncStatus(projectId: p.id, project: p.name, lastSyncedAt: p.lastReconciledAt,
                                     lastCommit: p.lastReconciledCommit, syncError: p.lastError,
                                     pendingWrites: counts.pendingWrites, openConflicts: counts.openConflicts,
                                     pendingPaths: p.pendingPathList.count, lastRun: try engine.lastRun(projectId: p.id),
                                     skipped: try engine.skippedPaths(projectId: p.id))
        }
        var specStatus: SpecSyncStatus?
        if let spec {
            let counts = try engine.store.writeCounts(projectId: spec.projectId, specId: spec.id)
            let last = try engine.history(projectId: spec.projectId, specId: spec.id, limit: 1, before: nil).first
            specStatus = SpecSyncStatus(
                specId: spec.id, changeId: spec.changeId, path: spec.path,
                project: projects.first?.name ?? spec.projectId, status: spec.status.rawValue,
                lastSyncedAt: spec.lastSyncedAt, lastCommit: projects.first?.lastReconciledCommit,
                syncError: spec.syncError, pendingWrites: counts.pendingWrites,
                openConflicts: counts.openConflicts, lastHistory: last)
        }
        return StatusReply(projects: views, spec: specStatus)
    }

    @Test("every optional field of the status replies, present and absent, reads back as JSONEncoder's")
    func statusFields() throws {
        let when = Date(timeIntervalSince1970: 1_767_225_600.75)
        let item = HistoryItem(id: 7, project: "p", specId: "s", specPath: "changes/x", syncDirection: "fs_to_db", syncedAt: when,
                               success: false, action: "run", errorMessage: "bad \"x\"", filesChanged: Self.awkward,
                               triggeredBy: "manual", fromCommit: "a", toCommit: "b", durationMs: 12, runs: 3, firstSyncedAt: when)
        let bare = HistoryItem(id: 8, project: "p", specId: nil, specPath: nil, syncDirection: "db_to_fs", syncedAt: when,
                               success: true, action: "written", errorMessage: nil, filesChanged: [], triggeredBy: "api",
                               fromCommit: nil, toCommit: nil, durationMs: nil, runs: 1, firstSyncedAt: nil)
        let skipped = [SkippedPath(path: "changes/\\xff", reason: .nameNotUTF8)]
        let full = ProjectStatus(id: "i", name: "n", repoPath: "/r", openspecPath: "openspec", lastReconciledCommit: "c",
                                 lastReconciledAt: when, lastError: "e", pendingPaths: Self.awkward, active: 1, archived: 2, removed: 3,
                                 withErrors: 4, mainSpecs: 5, pendingWrites: 6, openConflicts: 7, lastRun: item, skipped: skipped,
                                 owner: OwnerStatus(host: "h\"1", leaseRenewedAt: when, leaseAgeMs: 412, leaseExpiresAt: when,
                                                    held: true, isThisHost: false),
                                 standbys: [HostStatus(host: "h2", repoPath: "/b/\u{1}r", seenAt: when)])
        let empty = ProjectStatus(id: "j", name: "m", repoPath: "/s", openspecPath: "o", lastReconciledCommit: nil,
                                  lastReconciledAt: nil, lastError: nil, pendingPaths: [], active: 0, archived: 0, removed: 0,
                                  withErrors: 0, mainSpecs: 0, pendingWrites: 0, openConflicts: 0, lastRun: nil, skipped: [],
                                  owner: OwnerStatus(host: nil, leaseRenewedAt: nil, leaseAgeMs: nil, leaseExpiresAt: nil,
                                                     held: false, isThisHost: false),
                                  standbys: [])
        let legacy = ProjectStatus(id: "k", name: "q", repoPath: "/t", openspecPath: "o", lastReconciledCommit: nil,
                                 lastReconciledAt: nil, lastError: nil, pendingPaths: [], active: 0, archived: 0, removed: 0,
                                 withErrors: 0, mainSpecs: 0, pendingWrites: 0, openConflicts: 0, lastRun: nil, skipped: [],
                                 owner: nil, standbys: nil)
        #expect(try canonical(StatusReplyJSON.write([full, empty, legacy])) == canonical(try encode([full, empty, legacy])))

        let projects = [ProjectSyncStatus(projectId: "i", project: "n", lastSyncedAt: when, lastCommit: "c", syncError: "e",
                                          pendingWrites: 1, openConflicts: 2, pendingPaths: 3, lastRun: item, skipped: skipped),
                        ProjectSyncStatus(projectId: "j", project: "m", lastSyncedAt: nil, lastCommit: nil, syncError: nil,
                                          pendingWrites: 0, openConflicts: 0, pendingPaths: 0, lastRun: nil, skipped: [])]
        let spec = SpecSyncStatus(specId: "s", changeId: "x", path: "changes/x", project: "n", status: "active", lastSyncedAt: when,
                                  lastCommit: "c", syncError: "e", pendingWrites: 1, openConflicts: 0, lastHistory: bare)
        let bareSpec = SpecSyncStatus(specId: "s", changeId: "x", path: "changes/x", project: "n", status: "removed", lastSyncedAt: nil,
                                      lastCommit: nil, syncError: nil, pendingWrites: 0, openConflicts: 0, lastHistory: nil)
        for reply in [StatusReply(projects: projects, spec: spec), StatusReply(projects: projects, spec: bareSpec),
                      StatusReply(projects: [], spec: nil)] {
            #expect(try canonical(StatusReplyJSON.write(reply)) == canonical(try encode(reply)))
        }
    }
}

/// `result.data` of a reply, as JSON text.
private func data(of reply: Reply) throws -> Data {
    try JSONSerialization.data(withJSONObject: try #require(reply.data), options: [.fragmentsAllowed])
}

/// JSON text parsed and written again with sorted keys: equal when the two mean the same.
private func canonical(_ data: Data) throws -> String {
    let value = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
    return String(decoding: try JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .fragmentsAllowed]), as: UTF8.self)
}
