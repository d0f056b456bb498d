import Foundation
import OpenSpecStore
import Testing

extension StoreConformance {
    /// Owner rows, hosts' clones, leases renewed and let go, a move to a new
    /// owner's clone, and projects without an owner row found by path.
    func owners(_ store: any SyncStore) throws {
        let app = try store.registerProject(name: "app", repoPath: "/a/app", openspecPath: "openspec")
        let now = try store.databaseNow()
        #expect(abs(now.timeIntervalSinceNow) < 60, "the database's clock is far from this one: \(now)")
        #expect(try store.write { try $0.legacyProject(repoPath: "/a/app")?.id } == app.id)
        let owner = ProjectOwnerRecord(projectId: app.id, projectKey: "example.com/acme/app#openspec", ownerHost: "host-a",
                                       leaseRenewedAt: now, leaseExpiresAt: now.addingTimeInterval(30), epoch: 1)
        try store.ownershipWrite { w in
            try w.saveProjectOwner(owner)
            try w.saveProjectHost(ProjectHostRecord(projectId: app.id, host: "host-a", repoPath: "/a/app", registeredAt: now, seenAt: now))
            try w.saveProjectHost(ProjectHostRecord(projectId: app.id, host: "host-b", repoPath: "/b/app", registeredAt: now, seenAt: now))
        }
        #expect(try store.write { try $0.legacyProject(repoPath: "/a/app") } == nil, "a project with an owner row is not a legacy one")
        let read = try #require(try store.projectOwner(projectId: app.id))
        #expect(read.projectKey == owner.projectKey && read.ownerHost == "host-a" && read.epoch == 1)
        #expect(Self.same(read.leaseExpiresAt, owner.leaseExpiresAt) && read.isHeld(by: "host-a", at: now) && !read.isFree(at: now))
        #expect(try store.write { try $0.projectOwner(key: "example.com/acme/app#openspec")?.projectId } == app.id)
        #expect(try store.projectOwners().map(\.projectId) == [app.id])
        #expect(try store.projectHosts(projectId: app.id).map(\.host) == ["host-a", "host-b"])
        #expect(try store.projectHosts(projectId: nil).count == 2 && store.projectHosts(projectId: "nobody").isEmpty)
        #expect(try store.projectHost(host: "host-b", repoPath: "/b/app")?.projectId == app.id)
        #expect(try store.projectHost(host: "host-a", repoPath: "/b/app") == nil)
        #expect(try store.write { try $0.projectHost(projectId: app.id, host: "host-b")?.repoPath } == "/b/app")

        // Renewed while it runs; host-b holds nothing; no reply's ETag moves for it.
        let counter = try store.changeCounter()
        let later = now.addingTimeInterval(5)
        #expect(try store.ownershipWrite { try $0.renewLeases(host: "host-a", until: later.addingTimeInterval(30), at: later) } == [app.id])
        #expect(try store.ownershipWrite { try $0.renewLeases(host: "host-b", until: later.addingTimeInterval(30), at: later) } == [])
        #expect(Self.same(try store.projectOwner(projectId: app.id)?.leaseExpiresAt, later.addingTimeInterval(30)))
        #expect(try store.projectHosts(projectId: app.id).allSatisfy { Self.same($0.seenAt, later) })
        #expect(try store.changeCounter() == counter, "a lease renewal moved the change counter")
        // Let go: it ends and the name stays; the same host (a daemon started again) renews it while nobody took it.
        try store.ownershipWrite { try $0.releaseLeases(host: "host-a") }
        let released = try #require(try store.projectOwner(projectId: app.id))
        #expect(try released.ownerHost == "host-a" && released.isFree(at: store.databaseNow().addingTimeInterval(0.01)))
        let after = try store.databaseNow().addingTimeInterval(1)
        #expect(try store.ownershipWrite { try $0.renewLeases(host: "host-a", until: after.addingTimeInterval(30), at: after) } == [app.id])
        #expect(try store.projectOwner(projectId: app.id)?.isHeld(by: "host-a", at: after) == true)

        // host-b takes it: its clone, with nothing remembered of the other one.
        try store.write { w in
            try w.finishReconcile(projectId: app.id, commit: "c1", pendingPaths: ["x"], at: Self.t0, error: nil)
            try w.saveStatCacheRows(projectId: app.id, rows: [-1: [1], 0: [2]])
        }
        try store.ownershipWrite { w in
            var taken = released
            taken.ownerHost = "host-b"
            taken.epoch += 1
            try w.saveProjectOwner(taken)
            try w.moveProject(projectId: app.id, repoPath: "/b/app")
        }
        let moved = try #require(try store.project(id: app.id))
        #expect(moved.repoPath == "/b/app" && moved.lastReconciledCommit == nil && moved.pendingPathList.isEmpty && moved.reconciledOnce)
        #expect(try store.write { try $0.statCacheRows(projectId: app.id) }.isEmpty)
        #expect(try store.projectOwner(projectId: app.id)?.epoch == 2)

        // A project row per host may share a path on different hosts' disks: new projects through the transaction.
        let other = try store.write { try $0.insertProject(name: "other", repoPath: "/c/other", openspecPath: "openspec", at: now) }
        #expect(throws: StoreError.self) { try store.write { _ = try $0.insertProject(name: "other", repoPath: "/d", openspecPath: "o", at: now) } }
        let renamed = try store.write { try $0.updateProject(other, name: "other2", openspecPath: "openspec") }
        #expect(try renamed.name == "other2" && store.project(id: other.id)?.name == "other2")
        #expect(throws: StoreError.self) { try store.write { _ = try $0.updateProject(renamed, name: "app", openspecPath: "openspec") } }
    }

    /// Queued edits are claimed once by the live owner of their project, again by a new owner, never by a standby.
    func queuedWriteClaims(_ store: any SyncStore) throws {
        let app = try store.registerProject(name: "app", repoPath: "/a/app", openspecPath: "openspec")
        let lib = try store.registerProject(name: "lib", repoPath: "/a/lib", openspecPath: "openspec")
        let now = try store.databaseNow()
        var ids: [String: String] = [:]
        try store.write { w in
            for project in [app, lib] {
                let spec = try w.insertSpec(projectId: project.id, Self.values("changes/x"), at: now)
                ids[project.id] = spec
                _ = try w.insertPendingWrite(projectId: project.id, specId: spec, path: "tasks.md", operation: .replace,
                                             content: Data("x".utf8), baseBlobId: nil, at: now)
            }
        }
        func lease(_ project: ProjectRecord, _ host: String, expires: Date, epoch: Int64) throws {
            try store.ownershipWrite { w in
                try w.saveProjectOwner(ProjectOwnerRecord(projectId: project.id, projectKey: project.name, ownerHost: host,
                                                          leaseRenewedAt: now, leaseExpiresAt: expires, epoch: epoch))
            }
        }
        try lease(app, "host-a", expires: now.addingTimeInterval(30), epoch: 1)
        try lease(lib, "host-b", expires: now.addingTimeInterval(-1), epoch: 1)
        #expect(try store.ownershipWrite { try $0.claimQueuedWrites(host: "host-a", at: now, limit: 10) } == [app.id])
        #expect(try store.ownershipWrite { try $0.claimQueuedWrites(host: "host-a", at: now, limit: 10) } == [], "claimed twice")
        #expect(try store.ownershipWrite { try $0.claimQueuedWrites(host: "host-b", at: now, limit: 10) } == [],
                "a lapsed lease claims nothing")
        try lease(app, "host-c", expires: now.addingTimeInterval(30), epoch: 2)
        #expect(try store.ownershipWrite { try $0.claimQueuedWrites(host: "host-c", at: now, limit: 10) } == [app.id],
                "a new owner claims what the old one left")
        // A written edit is not claimed again.
        let pending = try store.pendingWrites(specId: try #require(ids[lib.id]), path: "tasks.md")
        try store.write { try $0.setWriteStatus(id: pending[0].id, .written, error: nil) }
        try lease(lib, "host-b", expires: now.addingTimeInterval(30), epoch: 1)
        #expect(try store.ownershipWrite { try $0.claimQueuedWrites(host: "host-b", at: now, limit: 10) } == [])
    }
}
