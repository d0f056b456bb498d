import Foundation
import Logging
import OpenSpecServer
import OpenSpecStore
import OpenSpecSync
import OpenSpecSyncTestSupport
import Testing

/// A server on a host without a clone of a project: its edits wait for the
/// project's owner without holding the server's write threads.
@Suite("Edits that wait for another host")
struct OwnerWaitTests {
    @Test("edits waiting for an owner that is down do not hold back an edit of a project this host writes itself")
    func waitingEditsHoldNoWriteThread() async throws {
        let folder = try TempFolder(prefix: "owner-wait")
        let database = folder.file("sync.sqlite")
        let elsewhere = try TempRepo(), here = try TempRepo()
        for repo in [elsewhere, here] {
            try repo.write("openspec/changes/add-login/proposal.md", "# Change: Add login\n\n## Why\nUsers.\n")
            _ = try repo.commitAll("openspec")
        }
        let store = try SQLiteStore(path: database, concurrentReads: true)
        // host-a registers one project and stops; this server's host owns the other.
        let hostA = SyncEngine(store: store, lockBase: folder.file("locks-host-a"), host: "host-a")
        let alpha = try hostA.register(repo: elsewhere.path, name: "alpha", openspecDir: nil)
        _ = try hostA.reconcileExclusively(alpha, options: ReconcileOptions(), mode: .wait)
        let timeout: TimeInterval = 3
        let server = SyncEngine(store: store, lockBase: database, host: "server", ownerTimeout: timeout)
        let beta = try server.register(repo: here.path, name: "beta", openspecDir: nil)
        _ = try server.reconcileExclusively(beta, options: ReconcileOptions(), mode: .wait)
        let version = { (project: String) throws -> String in
            let spec = try server.resolveSpec("add-login", inProjectNamed: project)
            return try #require(try store.specFile(specId: spec.id, path: "proposal.md")?.blobId)
        }
        let (alphaVersion, betaVersion) = (try version("alpha"), try version("beta"))
        @Sendable func update(_ project: String, _ base: String, _ text: String) -> String {
            #"{"specId":"add-login","projectId":"\#(project)","file":"proposal.md","content":"\#(text)","baseVersion":"\#(base)"}"#
        }

        var options = ServerOptions()
        options.port = 0
        var logger = Logger(label: "openspec-sync-test")
        logger.logLevel = .critical
        let api = try APIServer(engine: server, token: try APIToken(secret: LiveServer.token, source: .environment),
                                options: options, logger: logger)
        let waiting = 24  // more than the server's write threads
        try await api.makeApplication().test(.router) { client in
            let calls = APIClient(client: client)
            try await withThrowingTaskGroup(of: Reply.self) { group in
                let started = ContinuousClock.now
                for n in 0..<waiting {
                    let body = update("alpha", alphaVersion, "# Change: Add login\\n\\nEdit \(n).\\n")
                    group.addTask { try await calls.mutate("specs.update", body) }
                }
                try await Task.sleep(for: .milliseconds(500))
                let own = try await calls.mutate("specs.update", update("beta", betaVersion, "# Change: Add login\\n\\nWritten here.\\n"))
                let ownTook = ContinuousClock.now - started
                #expect((own.data as? [String: Any])?["outcome"] as? String == "written", "\(own)")
                #expect(ownTook < .seconds(timeout - 1), "the edit this host writes waited \(ownTook) behind edits waiting for host-a")
                for try await reply in group {
                    let data = reply.data as? [String: Any]
                    #expect(data?["outcome"] as? String == "pending", "\(reply)")
                    #expect((data?["reason"] as? String)?.contains("waiting for host host-a, which owns alpha") == true, "\(reply)")
                }
            }
        }
        #expect(try here.readText("openspec/changes/add-login/proposal.md") == "# Change: Add login\n\nWritten here.\n")
        #expect(try elsewhere.readText("openspec/changes/add-login/proposal.md") == "# Change: Add login\n\n## Why\nUsers.\n")
        let spec = try server.resolveSpec("add-login", inProjectNamed: "alpha")
        #expect(try store.pendingWrites(specId: spec.id, path: "proposal.md").count == waiting, "an edit was lost")
    }
}
