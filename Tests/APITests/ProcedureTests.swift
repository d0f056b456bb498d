import Foundation
import OpenSpecSyncTestSupport
import Testing

/// Every procedure of the server's application, built in-process on a real
/// repository and database; `run --serve` once against the real binary.
@Suite("API procedures", .serialized)
struct ProcedureTests {
    @Test("queries: projects, specs, one spec with its files, status, history pages, log, conflicts")
    func queries() async throws {
        let server = try LiveServer()
        let repo = try makeProject(server)
        try await server.inProcess { api in

            let projects = try await api.query("projects.list")
            #expect(projects.status == 200, "\(projects)")
            let project = try #require((projects.data as? [[String: Any]])?.first)
            #expect(project["name"] as? String == "demo")
            #expect(project["active"] as? Int == 2)
            #expect(project["archived"] as? Int == 1)
            let projectId = try #require(project["id"] as? String)

            // specs.list: active by default, status and search filters, by project id or name.
            let activePage = try #require(try await api.query("specs.list").data as? [String: Any])
            #expect(activePage["total"] as? Int == 2)
            #expect(activePage["nextCursor"] is NSNull)
            let active = try #require(activePage["items"] as? [[String: Any]])
            #expect(active.map { $0["changeId"] as? String } == ["add-login", "add-search"])
            let all = try #require((try await api.query("specs.list", json(["status": "all", "projectId": projectId])).data as? [String: Any])?["items"] as? [[String: Any]])
            #expect(all.count == 3)
            let archived = try #require((try await api.query("specs.list", json(["status": "archived", "projectId": "demo"])).data as? [String: Any])?["items"] as? [[String: Any]])
            #expect(archived.map { $0["path"] as? String } == ["changes/archive/2026-01-12-add-rate-limit"])
            let searched = try #require((try await api.query("specs.list", json(["search": "SEARCH"])).data as? [String: Any])?["items"] as? [[String: Any]])
            #expect(searched.map { $0["changeId"] as? String } == ["add-search"])

            // specs.get: the row, tasks, and each file with its content and version.
            let got = try await api.query("specs.get", json(["specId": "add-login"]))
            #expect(got.status == 200, "\(got)")
            let detail = try #require(got.data as? [String: Any])
            #expect(detail["title"] as? String == "Add login")
            #expect(detail["completedTasks"] as? Int == 1)
            #expect((detail["tasks"] as? [[String: Any]])?.count == 2)
            let files = try #require(detail["files"] as? [[String: Any]])
            let tasks = try #require(files.first { $0["path"] as? String == "tasks.md" })
            #expect(tasks["content"] as? String == "## 1. Work\n- [x] 1.1 Form\n- [ ] 1.2 Session\n")
            let blob = try repo.git("rev-parse", "HEAD:openspec/changes/add-login/tasks.md")
            #expect(tasks["version"] as? String == blob)
            let specId = try #require(detail["id"] as? String)
            // The row id works as well as the change id.
            #expect((try await api.query("specs.get", json(["specId": specId])).data as? [String: Any])?["changeId"] as? String == "add-login")

            // sync.getStatus for every project, for one, and for one change.
            let status = try #require(try await api.query("sync.getStatus").data as? [String: Any])
            let row = try #require((status["projects"] as? [[String: Any]])?.first)
            #expect(row["lastCommit"] as? String == (try repo.git("rev-parse", "HEAD")))
            #expect(row["lastSyncedAt"] is String)
            #expect(row["pendingWrites"] as? Int == 0)
            #expect(row["openConflicts"] as? Int == 0)
            #expect((row["skipped"] as? [Any])?.isEmpty == true)
            #expect(row.keys.contains("syncError") || row["syncError"] == nil)
            #expect(status["spec"] is NSNull)
            let specStatus = try #require((try await api.query("sync.getStatus", json(["specId": "add-login"])).data as? [String: Any])?["spec"] as? [String: Any])
            #expect(specStatus["specId"] as? String == specId)
            #expect(specStatus["lastCommit"] as? String == (try repo.git("rev-parse", "HEAD")))
            #expect(specStatus["pendingWrites"] as? Int == 0)

            // sync.getSyncHistory: pages by cursor, stable when rows arrive between pages.
            // Runs that change nothing share one row, so each of these changes something.
            for i in 0..<3 {
                try repo.write("openspec/changes/add-search/design.md", "# Design \(i)\n")
                _ = try repo.commitAll("design \(i)")
                #expect(try server.cli(["reconcile", "--repo", repo.path]).status == 0)
            }
            let first = try #require(try await api.query("sync.getSyncHistory", json(["projectId": projectId, "limit": 3])).data as? [String: Any])
            let firstItems = try #require(first["items"] as? [[String: Any]])
            #expect(firstItems.count == 3)
            let cursor = try #require(first["nextCursor"] as? Int)
            #expect(try server.cli(["reconcile", "--repo", repo.path]).status == 0)  // a new row between pages
            let second = try #require(try await api.query("sync.getSyncHistory", json(["projectId": projectId, "limit": 3, "cursor": cursor])).data as? [String: Any])
            let secondIds = (second["items"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? Int }
            let firstIds = firstItems.compactMap { $0["id"] as? Int }
            #expect(secondIds.count == 3)
            #expect(secondIds.allSatisfy { $0 < cursor }, "the second page continues below the cursor: \(secondIds)")
            #expect(Set(firstIds).isDisjoint(with: secondIds))
            let expected = try server.sql("SELECT id FROM syncHistory WHERE id < \(cursor) AND action <> 'started' ORDER BY id DESC LIMIT 3")
            #expect(secondIds.map(String.init).joined(separator: "\n") == expected)
            let specHistory = try #require(try await api.query("sync.getSyncHistory", json(["specId": "add-login"])).data as? [String: Any])
            #expect((specHistory["items"] as? [[String: Any]])?.map { $0["action"] as? String } == ["created"])
            #expect(specHistory["nextCursor"] is NSNull)

            // specs.log: the commits that touched the change.
            let reply = try #require(try await api.query("specs.log", json(["specId": "add-login"])).data as? [String: Any])
            #expect(reply["shallow"] as? Bool == false)
            let log = try #require(reply["commits"] as? [[String: Any]])
            #expect(log.map { $0["summary"] as? String } == ["demo"])
            #expect(log.first?["syncCommit"] as? Bool == false)

            let conflicts = try await api.query("conflicts.list")
            #expect(conflicts.status == 200)
            #expect((conflicts.data as? [Any])?.isEmpty == true)
        }
    }

    @Test("specs.update writes and commits; a stale baseVersion is a CONFLICT and writes nothing")
    func update() async throws {
        let server = try LiveServer()
        let repo = try makeProject(server)
        try await server.inProcess { api in
            let version = try repo.git("rev-parse", "HEAD:openspec/changes/add-login/proposal.md")
            let text = "# Change: Add login\n\n## Why\nUsers need accounts.\n"

            let written = try await api.mutate("specs.update", json(["specId": "add-login", "file": "proposal.md", "content": text, "baseVersion": version]))
            #expect(written.status == 200, "\(written)")
            let reply = try #require(written.data as? [String: Any])
            #expect(reply["outcome"] as? String == "written")
            let commit = try #require(reply["commit"] as? String)
            #expect(try repo.git("rev-parse", "HEAD") == commit)
            #expect(try repo.readText("openspec/changes/add-login/proposal.md") == text)
            #expect(try repo.git("status", "--porcelain") == "")
            let newVersion = try repo.git("rev-parse", "HEAD:openspec/changes/add-login/proposal.md")
            let files = try #require((try await api.query("specs.get", json(["specId": "add-login"])).data as? [String: Any])?["files"] as? [[String: Any]])
            #expect(files.first { $0["path"] as? String == "proposal.md" }?["version"] as? String == newVersion)

            // The old version again: refused, nothing written, nothing queued.
            let head = try repo.git("rev-parse", "HEAD")
            let stale = try await api.mutate("specs.update", json(["specId": "add-login", "file": "proposal.md", "content": "lost?\n", "baseVersion": version]))
            #expect(stale.status == 409, "\(stale)")
            #expect(stale.errorCode == "CONFLICT")
            #expect(stale.error["code"] as? Int == -32009)
            #expect(try repo.readText("openspec/changes/add-login/proposal.md") == text)
            #expect(try repo.git("rev-parse", "HEAD") == head)
            #expect(try server.sql("SELECT COUNT(*) FROM pendingWrites WHERE content = CAST('lost?' || char(10) AS BLOB)") == "0")

            // A new file: baseVersion null.
            let created = try await api.mutate("specs.update", json(["specId": "add-login", "file": "specs/auth/spec.md", "content": "## ADDED Requirements\n", "baseVersion": NSNull()]))
            #expect(created.status == 200, "\(created)")
            #expect(try repo.readText("openspec/changes/add-login/specs/auth/spec.md") == "## ADDED Requirements\n")
            // …and null again once it exists is stale.
            let again = try await api.mutate("specs.update", json(["specId": "add-login", "file": "specs/auth/spec.md", "content": "x\n", "baseVersion": NSNull()]))
            #expect(again.status == 409, "\(again)")

            // A file changed on disk since the last sync: the file wins, the edit is kept as a conflict.
            try repo.write("openspec/changes/add-search/proposal.md", "# Change: Add search\n\nChanged by hand.\n")
            let searchVersion = try #require((try await api.query("specs.get", json(["specId": "add-search"])).data as? [String: Any]).flatMap {
                ($0["files"] as? [[String: Any]])?.first { $0["path"] as? String == "proposal.md" }?["version"] as? String })
            let conflict = try await api.mutate("specs.update", json(["specId": "add-search", "file": "proposal.md", "content": "# Change: Add search\n\nFrom the UI.\n", "baseVersion": searchVersion]))
            #expect(conflict.status == 409, "\(conflict)")
            let conflictId = try #require((conflict.error["data"] as? [String: Any])?["conflictId"] as? Int)
            #expect(try repo.readText("openspec/changes/add-search/proposal.md") == "# Change: Add search\n\nChanged by hand.\n")
            let listed = try #require(try await api.query("conflicts.list").data as? [[String: Any]])
            #expect(listed.map { $0["id"] as? Int } == [conflictId])
            #expect(listed.first?["keptContent"] as? String == "# Change: Add search\n\nFrom the UI.\n")
            #expect(((try await api.query("sync.getStatus", json(["specId": "add-search"])).data as? [String: Any])?["spec"] as? [String: Any])?["openConflicts"] as? Int == 1)

            // sync.resolveConflict reapply: the kept edit is written over the file.
            try repo.commitAll("hand edit")
            let resolved = try await api.mutate("sync.resolveConflict", json(["specId": "add-search", "resolution": "reapply"]))
            #expect(resolved.status == 200, "\(resolved)")
            #expect((resolved.data as? [String: Any])?["outcome"] as? String == "written")
            #expect(try repo.readText("openspec/changes/add-search/proposal.md") == "# Change: Add search\n\nFrom the UI.\n")
            #expect((try await api.query("conflicts.list").data as? [Any])?.isEmpty == true)
            let none = try await api.mutate("sync.resolveConflict", json(["specId": "add-search", "resolution": "filesystem"]))
            #expect(none.status == 404, "\(none)")
        }
    }

    @Test("toggleTask, forceSync, a pending write, and resolveConflict keeping the file")
    func otherMutations() async throws {
        let server = try LiveServer()
        let repo = try makeProject(server)
        try await server.inProcess { api in

            let toggled = try await api.mutate("specs.toggleTask", json(["specId": "add-login", "task": "1.2", "done": true]))
            #expect(toggled.status == 200, "\(toggled)")
            #expect((toggled.data as? [String: Any])?["outcome"] as? String == "written")
            #expect(try repo.readText("openspec/changes/add-login/tasks.md") == "## 1. Work\n- [x] 1.1 Form\n- [x] 1.2 Session\n")
            let unknownTask = try await api.mutate("specs.toggleTask", json(["specId": "add-login", "task": "9.9", "done": true]))
            #expect(unknownTask.status == 404, "\(unknownTask)")

            // An edit made outside, committed without hooks: forceSync brings it in.
            try repo.write("openspec/changes/add-search/tasks.md", "- [x] 1.1 Index\n")
            try repo.commitAll("outside")
            let forced = try await api.mutate("sync.forceSync", json(["projectId": "demo"]))
            #expect(forced.status == 200, "\(forced)")
            let summaries = try #require((forced.data as? [String: Any])?["summaries"] as? [[String: Any]])
            #expect(summaries.first?["updated"] as? Int == 1)
            #expect(summaries.first?["toCommit"] as? String == (try repo.git("rev-parse", "HEAD")))
            #expect((try await api.query("specs.get", json(["specId": "add-search"])).data as? [String: Any])?["taskStatus"] as? String == "complete")
            // A spec alone, and everything.
            #expect(try await api.mutate("sync.forceSync", json(["specId": "add-search"])).status == 200)
            #expect(try await api.mutate("sync.forceSync", nil).status == 200)

            // index.lock held: the edit is kept and waits; the reply says why.
            try repo.write(".git/index.lock", "")
            let pending = try await api.mutate("specs.toggleTask", json(["specId": "add-search", "task": "#1", "done": false]))
            #expect(pending.status == 200, "\(pending)")
            let pendingReply = try #require(pending.data as? [String: Any])
            #expect(pendingReply["outcome"] as? String == "pending")
            #expect((pendingReply["reason"] as? String)?.contains("index.lock") == true)
            #expect(!(pendingReply["reason"] as? String ?? "").contains(repo.path))
            #expect(((try await api.query("sync.getStatus").data as? [String: Any])?["projects"] as? [[String: Any]])?.first?["pendingWrites"] as? Int == 1)
            try repo.remove(".git/index.lock")
            try await Task.sleep(for: .seconds(3))  // the first retry is due two seconds after the attempt
            let retried = try await api.mutate("sync.forceSync", json(["projectId": "demo"]))
            #expect(retried.status == 200)
            #expect(try repo.readText("openspec/changes/add-search/tasks.md") == "- [ ] 1.1 Index\n")

            // A conflict closed keeping the file.
            try repo.write("openspec/changes/add-login/design.md", "by hand\n")
            let conflict = try await api.mutate("specs.update", json(["specId": "add-login", "file": "design.md", "content": "from the UI\n", "baseVersion": NSNull()]))
            #expect(conflict.status == 409, "\(conflict)")
            let conflictId = try #require((conflict.error["data"] as? [String: Any])?["conflictId"] as? Int)
            let kept = try await api.mutate("sync.resolveConflict", json(["specId": "add-login", "resolution": "filesystem", "conflictId": conflictId]))
            #expect(kept.status == 200, "\(kept)")
            #expect((kept.data as? [String: Any])?["outcome"] as? String == "resolved")
            #expect(try repo.readText("openspec/changes/add-login/design.md") == "by hand\n")
            let resolvedList = try #require(try await api.query("conflicts.list", json(["includeResolved": true])).data as? [[String: Any]])
            #expect(resolvedList.first?["resolution"] as? String == "filesystem")
        }
    }

    @Test("specs.toggleTask twice while index.lock is held: both wait, and both ticks reach the file")
    func waitingTogglesCompose() async throws {
        let server = try LiveServer()
        let repo = try makeProject(server)
        try await server.inProcess { api in
            try repo.write(".git/index.lock", "")
            for task in ["1.1", "1.2"] {
                let reply = try await api.mutate("specs.toggleTask", json(["specId": "add-login", "task": task, "done": task == "1.2"]))
                #expect(reply.status == 200, "\(reply)")
                #expect((reply.data as? [String: Any])?["outcome"] as? String == "pending")
            }
            try repo.remove(".git/index.lock")
            try await Task.sleep(for: .seconds(3))  // the first retry is due two seconds after the attempt
            let retried = try await api.mutate("sync.forceSync", json(["projectId": "demo"]))
            #expect(retried.status == 200, "\(retried)")
            #expect(try repo.readText("openspec/changes/add-login/tasks.md") == "## 1. Work\n- [ ] 1.1 Form\n- [x] 1.2 Session\n")
            #expect((try await api.query("conflicts.list").data as? [Any])?.isEmpty == true)
            // Already so: unchanged, nothing committed.
            let head = try repo.git("rev-parse", "HEAD")
            let again = try await api.mutate("specs.toggleTask", json(["specId": "add-login", "task": "1.2", "done": true]))
            #expect((again.data as? [String: Any])?["outcome"] as? String == "unchanged", "\(again)")
            #expect(try repo.git("rev-parse", "HEAD") == head)
        }
    }

    @Test("specs.rollback restores a commit's files as a new commit; conflicts, refusals and bad input are errors")
    func rollback() async throws {
        let server = try LiveServer()
        let repo = try makeProject(server)
        let tasks = "openspec/changes/add-login/tasks.md"
        let v1 = try repo.git("rev-parse", "HEAD")
        let before = try repo.read(tasks)
        try repo.write(tasks, "## 1. Work\n- [x] 1.1 Form\n- [x] 1.2 Session\n- [ ] 1.3 More\n")
        try repo.write("openspec/changes/add-login/design.md", "## Context\nLater.\n")
        let v2 = try repo.commitAll("v2")
        try await server.inProcess { api in

            let bad = try await api.mutate("specs.rollback", json(["specId": "add-login", "to": "--output=/tmp/x"]))
            #expect(bad.status == 400, "\(bad)")
            #expect(try await api.mutate("specs.rollback", json(["specId": "add-login"])).status == 400)
            #expect(try await api.mutate("specs.rollback", json(["specId": "no-such-change", "to": "HEAD"])).errorCode == "NOT_FOUND")
            let unknown = try await api.mutate("specs.rollback", json(["specId": "add-login", "to": "no-such-branch"]))
            #expect(unknown.status == 404 && unknown.errorCode == "NOT_FOUND", "\(unknown)")
            // No token, no rollback.
            #expect(try await api.mutate("specs.rollback", json(["specId": "add-login", "to": v1]), token: nil).status == 401)

            // index.lock held: refused, nothing changed.
            #expect(FileManager.default.createFile(atPath: repo.path + "/.git/index.lock", contents: Data()))
            let locked = try await api.mutate("specs.rollback", json(["specId": "add-login", "to": v1]))
            #expect(locked.status == 412 && locked.errorCode == "PRECONDITION_FAILED", "\(locked)")
            #expect(try repo.git("rev-parse", "HEAD") == v2)
            try FileManager.default.removeItem(atPath: repo.path + "/.git/index.lock")

            let done = try await api.mutate("specs.rollback", json(["specId": "add-login", "to": String(v1.prefix(10))]))
            #expect(done.status == 200, "\(done)")
            let result = try #require(done.data as? [String: Any])
            #expect(result["outcome"] as? String == "written")
            #expect(result["target"] as? String == v1)
            #expect(result["restored"] as? [String] == ["tasks.md"])
            #expect(result["deleted"] as? [String] == ["design.md"])
            #expect(try repo.git("rev-parse", "HEAD") == result["commit"] as? String)
            #expect(try repo.git("rev-parse", "HEAD~1") == v2)
            #expect(try repo.read(tasks) == before)
            #expect(try repo.git("status", "--porcelain") == "")
            let detail = try #require(try await api.query("specs.get", json(["specId": "add-login"])).data as? [String: Any])
            #expect(detail["totalTasks"] as? Int == 2)
            let log = try #require(try await api.query("specs.log", json(["specId": "add-login"])).data as? [String: Any])
            #expect((log["commits"] as? [[String: Any]])?.first?["commit"] as? String == result["commit"] as? String)

            // An uncommitted edit wins: 409 naming the kept versions, nothing written.
            try repo.write(tasks, "mine, not committed\n")
            let head = try repo.git("rev-parse", "HEAD")
            let conflict = try await api.mutate("specs.rollback", json(["specId": "add-login", "to": v2]))
            #expect(conflict.status == 409 && conflict.errorCode == "CONFLICT", "\(conflict)")
            let data = try #require(conflict.error["data"] as? [String: Any])
            #expect(data["conflictPaths"] as? [String] == ["tasks.md"])
            #expect((data["conflictIds"] as? [Int])?.count == 1)
            #expect(try repo.git("rev-parse", "HEAD") == head)
            #expect(try repo.readText(tasks) == "mine, not committed\n")
        }
    }

    @Test("run --serve serves the API beside the daemon")
    func daemonServes() throws {
        let server = try LiveServer()
        _ = try makeProject(server)
        try server.start(["run", "--serve", "--interval", "60"])
        let projects = try server.query("projects.list")
        #expect(projects.status == 200, "\(projects)")
        #expect((projects.data as? [[String: Any]])?.first?["name"] as? String == "demo")
        server.stop()
        #expect(server.process?.terminationStatus == 0)
    }
}

@Suite("API: paths left out on purpose")
struct SkippedPathTests {
    @Test("sync.getStatus lists a change folder whose name is not UTF-8 under skipped, its bytes written \\xNN")
    func skippedInStatus() async throws {
        let server = try LiveServer()
        let repo = try TempRepo()
        try repo.write("openspec/changes/add-login/tasks.md", "- [ ] 1.1 Form\n")
        // "café" in Latin-1: the folder's name is not valid UTF-8.
        let folder = repo.path + "/openspec/changes/caf\u{00E9}"
        var bytes = Array(folder.utf8.dropLast(2))
        bytes.append(0xE9)
        bytes.append(0)
        #expect(bytes.withUnsafeBufferPointer { mkdir(UnsafeRawPointer($0.baseAddress!).assumingMemoryBound(to: CChar.self), 0o755) } == 0)
        let registered = try server.cli(["init", "--repo", repo.path, "--name", "demo"])
        #expect(registered.status == 0, "\(registered.stderr)")
        _ = try server.cli(["reconcile", "--repo", repo.path])
        try await server.inProcess { api in

            let status = try #require(try await api.query("sync.getStatus").data as? [String: Any])
            let row = try #require((status["projects"] as? [[String: Any]])?.first)
            let skipped = try #require(row["skipped"] as? [[String: Any]])
            #expect(skipped.count == 1)
            #expect(skipped.first?["path"] as? String == "changes/caf\\xE9")
            #expect(skipped.first?["reason"] as? String == "name-not-utf8")
        }
    }
}
