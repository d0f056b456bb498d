import Foundation
import OpenSpecStore
import Testing

extension StoreConformance {
    /// Every read of a snapshot answers what the same read of the store
    /// answers, and a snapshot may be taken again after a write.
    func snapshotReads(_ store: any SyncStore) throws {
        let (project, ids) = try Self.project(store, [
            Self.values("changes/add-x", title: "Add \"X\" \\ \u{1}é", tasks: (1, 2), proposal: "# Add X\n", syncError: "bad"),
            Self.values("changes/archive/2026-01-02-add-y", .archived, proposal: "# Y\n"),
        ])
        let id = try #require(ids["changes/add-x"])
        try store.write { w in
            try w.replaceFiles(specId: id, files: [Self.file("proposal.md", "b1", nil), Self.file("specs/x/spec.md", "b2", "## x\n")],
                               previous: [:])
            _ = try w.insertRunSummary(Self.history(project.id, files: ["changes/add-x/proposal.md", "a \"b\""]), startMark: nil)
            _ = try w.insertHistory(Self.history(project.id, specId: id, action: .updated, files: ["proposal.md"]))
            _ = try w.insertPendingWrite(projectId: project.id, specId: id, path: "tasks.md", operation: .replace, content: Data("x".utf8),
                                         baseBlobId: nil, task: nil, done: nil, at: Self.t0)
            try w.setSkippedPaths(projectId: project.id, #"{"changes":[{"path":"changes/\\xff","reason":"name-not-utf8"}]}"#)
        }
        for round in 0..<2 {
            let separate = try Self.everyRead(store, projectId: project.id, specId: id)
            let together = try store.snapshot { try Self.everyRead($0, projectId: project.id, specId: id) }
            #expect(together == separate)
            #expect(together.count == 28)
            // The second round reads after another write.
            if round == 0 { try store.write { try $0.markVerified(specId: id, at: Self.t0.addingTimeInterval(60)) } }
        }
        #expect(try store.lastRun(projectId: project.id)?.filesChangedList == ["changes/add-x/proposal.md", "a \"b\""])
    }

    /// Every read of `StoreReads` on this data, each answer written out.
    static func everyRead(_ reads: any StoreReads, projectId: String, specId id: String) throws -> [String] {
        var answers: [String] = []
        func note(_ answer: Any?) { answers.append(String(describing: answer)) }
        note(try reads.projects())
        note(try reads.project(id: projectId))
        note(try reads.project(named: "app"))
        note(try reads.project(named: "nope"))
        note(try reads.projectCounts(projectId: projectId))
        note(try reads.skippedPaths(projectId: projectId))
        note(try reads.spec(id: id))
        for key in ["add-x", "add-y", "changes/add-x", id, "missing"] {
            note(try reads.specsMatching(key, projectId: nil))
            note(try reads.specsMatching(key, projectId: projectId))
        }
        for withContent in [false, true] {
            note(try reads.specFiles(specId: id, withContent: withContent).map { [$0.path, $0.blobId, "\($0.content.map { [UInt8]($0) } ?? [])"] })
        }
        for path in ["proposal.md", "specs/x/spec.md", "missing.md"] {
            note(try reads.fileContent(specId: id, path: path).map { [UInt8]($0) })
        }
        note(try reads.history(projectId: projectId, specId: nil, limit: 10, before: nil, includeStarted: true))
        note(try reads.history(specId: id, limit: 1))
        note(try reads.lastRun(projectId: projectId))
        let counts = try reads.writeCounts(projectId: projectId)
        note([counts.pendingWrites, counts.openConflicts])
        let ofSpec = try reads.writeCounts(projectId: projectId, specId: id)
        note([ofSpec.pendingWrites, ofSpec.openConflicts])
        note(try reads.changeCounter())
        return answers
    }
}
