import Foundation
import OpenSpecStore
import Testing

extension StoreConformance {
    /// A change and its files written in transactions read back as written;
    /// a seed file's text lives in the change row, wherever it is read from.
    func specsAndFiles(_ store: any SyncStore) throws {
        let (project, ids) = try Self.project(store, [Self.values("changes/add-x", title: "Add X", proposal: "# Add X\n")])
        let id = try #require(ids["changes/add-x"])
        let spec = try #require(try store.spec(id: id))
        #expect(spec.projectId == project.id && spec.changeId == "add-x" && spec.title == "Add X" && spec.status == .active)
        #expect(spec.proposalContent == "# Add X\n" && spec.tasksContent == nil && spec.designContent == nil)
        #expect(Self.same(spec.firstSeenAt, Self.t0) && Self.same(spec.lastSyncedAt, Self.t0) && spec.syncError == nil)

        let binary = FileValues(path: "notes.bin", blobId: "b2", size: 3, isUTF8: false, content: Data([0, 255, 10]), syncError: nil)
        let files = [Self.file("proposal.md", "b1", nil), binary, Self.file("specs/x/spec.md", "b3", "## x\n")]
        try store.write { try $0.replaceFiles(specId: id, files: files, previous: [:]) }
        #expect(try store.specFiles(specId: id, withContent: false).map(\.path) == ["notes.bin", "proposal.md", "specs/x/spec.md"])
        #expect(try store.specFiles(specId: id, withContent: false).allSatisfy { $0.content == nil })
        let full = try store.specFiles(specId: id, withContent: true)
        #expect(full.map(\.content) == [Data([0, 255, 10]), Data("# Add X\n".utf8), Data("## x\n".utf8)])
        #expect(full[0].isUTF8 == false && full[0].size == 3 && full[0].blobId == "b2")
        #expect(try store.specFile(specId: id, path: "proposal.md")?.content == Data("# Add X\n".utf8))
        #expect(try store.fileContent(specId: id, path: "notes.bin") == Data([0, 255, 10]))
        #expect(try store.fileContent(specId: id, path: "missing.md") == nil && store.specFile(specId: id, path: "missing.md") == nil)
        let blobs: [String: String] = ["proposal.md": "b1", "notes.bin": "b2", "specs/x/spec.md": "b3"]
        try store.write { (w: any StoreTransaction) throws in
            #expect(try w.fileBlobIds(specId: id) == blobs)
            #expect(try w.allFileBlobIds(projectId: project.id) == [id: blobs])
            #expect(try w.fileContent(specId: id, path: "proposal.md") == Data("# Add X\n".utf8))
            #expect(try w.specFileBlobId(specId: id, path: "notes.bin") == "b2" && w.specFileBlobId(specId: id, path: "x") == nil)
        }

        // Archived: a changed file rewritten, a vanished one deleted; the row keeps its id and first sighting.
        var archived = Self.values("changes/archive/2026-01-02-add-x", .archived, title: "Added X", tasks: (1, 2), proposal: "# Added X\n")
        archived.archivedOn = "2026-01-02"
        archived.changeId = "add-x"
        let later = Self.t0.addingTimeInterval(60)
        try store.write { w in
            try w.updateSpec(id: id, archived, at: later)
            try w.replaceFiles(specId: id, files: [Self.file("proposal.md", "b4", nil), Self.file("specs/x/spec.md", "b3", "## x\n")],
                               previous: try w.fileBlobIds(specId: id))
        }
        let moved = try #require(try store.spec(id: id))
        #expect(moved.path == archived.path && moved.status == .archived && moved.archivedOn == "2026-01-02" && moved.title == "Added X")
        #expect(moved.completedTasks == 1 && moved.totalTasks == 2 && moved.taskStatus == "in-progress")
        #expect(Self.same(moved.firstSeenAt, Self.t0) && Self.same(moved.lastSyncedAt, later))
        #expect(try store.specFiles(specId: id, withContent: true).map(\.path) == ["proposal.md", "specs/x/spec.md"])
        #expect(try store.fileContent(specId: id, path: "proposal.md") == Data("# Added X\n".utf8))

        let verified = later.addingTimeInterval(60)
        try store.write { w in
            try w.markVerified(specId: id, at: verified)
            try w.setSpecSyncError(specId: id, "cannot read design.md")
        }
        #expect(Self.same(try store.spec(id: id)?.lastSyncedAt, verified))
        #expect(try store.spec(id: id)?.syncError == "cannot read design.md")
        try store.write { w in
            try w.setSpecSyncError(specId: id, nil)
            try w.markRemoved(specId: id, at: verified)
        }
        #expect(try store.spec(id: id)?.syncError == nil && store.spec(id: id)?.status == .removed)
        #expect(try store.spec(id: "nobody") == nil)
    }

    /// The ways a change is found: by project and path, change id, row id,
    /// `changes/<key>`; its place and schema columns.
    func specLookups(_ store: any SyncStore) throws {
        var withSchema = Self.values("changes/add-x", tasks: (2, 3))
        withSchema.schemaName = "spec-driven"
        withSchema.issuesJSON = #"[{"level":"WARNING","path":"tasks.md","message":"m","line":1}]"#
        var archived = Self.values("changes/archive/2026-01-01-add-x", .archived)
        archived.changeId = "add-x"
        let (app, ids) = try Self.project(store, [withSchema, archived])
        let (lib, libIds) = try Self.project(store, name: "lib", [Self.values("changes/add-x")])
        let id = try #require(ids["changes/add-x"]), old = try #require(ids["changes/archive/2026-01-01-add-x"])
        #expect(try store.specsMatching("add-x", projectId: app.id).map(\.id) == [id, old], "by status, then path")
        #expect(try store.specsMatching("add-x", projectId: nil).count == 3)
        #expect(try store.specsMatching(id, projectId: nil).map(\.id) == [id])
        #expect(try store.specsMatching("archive/2026-01-01-add-x", projectId: app.id).map(\.id) == [old])
        #expect(try store.specsMatching(id, projectId: lib.id).isEmpty)
        #expect(try store.specsMatching("nothing", projectId: nil).isEmpty)
        #expect(try store.specPlace(id: id) == SpecPlace(id: id, projectId: app.id, path: "changes/add-x", changeId: "add-x", status: .active))
        #expect(try store.specPlace(id: "nobody") == nil)
        #expect(try store.schemaName(specId: id) == "spec-driven" && store.schemaName(specId: old) == nil)
        try store.write { (w: any StoreTransaction) throws in
            #expect(try w.spec(projectId: app.id, path: "changes/add-x")?.id == id)
            #expect(try w.spec(projectId: lib.id, path: "changes/add-x")?.id == libIds["changes/add-x"])
            #expect(try w.spec(projectId: app.id, path: "changes/none") == nil)
            #expect(try w.specs(projectId: app.id, changeId: "add-x").map(\.id) == [id, old])
            #expect(try w.specs(projectId: lib.id, changeId: "none").isEmpty)
            #expect(try w.allSpecs(projectId: app.id).map(\.path) == ["changes/add-x", "changes/archive/2026-01-01-add-x"])
            #expect(try w.schemaDependentColumns(specId: id) == SchemaDependentColumns(
                completedTasks: 2, totalTasks: 3, taskStatus: "in-progress", schemaName: "spec-driven", issues: withSchema.issuesJSON))
            #expect(try w.schemaDependentColumns(specId: "nobody") == nil)
        }
    }

    /// Main specs: upserted by capability, marked removed, listed without
    /// content and read one by one with it.
    func mainSpecs(_ store: any SyncStore) throws {
        let project = try store.registerProject(name: "app", repoPath: "/r/app", openspecPath: "openspec")
        func main(_ capability: String, _ blob: String, _ text: String) -> MainSpecValues {
            MainSpecValues(capability: capability, path: "specs/\(capability)/spec.md", title: capability.uppercased(),
                           purpose: "why", requirementCount: 2, blobId: blob, size: text.utf8.count, isUTF8: true,
                           content: Data(text.utf8), issuesJSON: "[]", syncError: nil)
        }
        try store.write { w in
            try w.upsertMainSpec(projectId: project.id, main("sessions", "m1", "# Sessions\n"), at: Self.t0)
            try w.upsertMainSpec(projectId: project.id, main("auth/login", "m2", "# Login\n"), at: Self.t0)
        }
        let listed = try store.mainSpecs(projectId: project.id)
        #expect(listed.map(\.capability) == ["auth/login", "sessions"] && listed.allSatisfy { $0.content == nil })
        #expect(listed[0].title == "AUTH/LOGIN" && listed[0].requirementCount == 2 && listed[0].status == .present)
        #expect(try store.mainSpec(projectId: project.id, capability: "sessions")?.content == Data("# Sessions\n".utf8))
        #expect(try store.mainSpec(projectId: project.id, capability: "none") == nil)
        #expect(try store.projectCounts(projectId: project.id).mainSpecs == 2)
        let loginId = listed[0].id
        try store.write { w in
            try w.markMainSpecRemoved(projectId: project.id, capability: "auth/login", at: Self.t0)
            try w.upsertMainSpec(projectId: project.id, main("sessions", "m3", "# Sessions 2\n"), at: Self.t0)
        }
        let states = try store.write { try $0.mainSpecStates(projectId: project.id) }
        #expect(states["auth/login"]?.status == .removed && states["auth/login"]?.id == loginId)
        #expect(states["sessions"]?.blobId == "m3" && states["sessions"]?.status == .present && states.count == 2)
        #expect(try store.projectCounts(projectId: project.id).mainSpecs == 1)
        try store.write { try $0.upsertMainSpec(projectId: project.id, main("auth/login", "m4", "# Login\n"), at: Self.t0) }
        #expect(try store.mainSpec(projectId: project.id, capability: "auth/login")?.status == .present)
        #expect(try store.mainSpec(projectId: project.id, capability: "auth/login")?.id == loginId, "an upsert keeps the row")
    }
}
