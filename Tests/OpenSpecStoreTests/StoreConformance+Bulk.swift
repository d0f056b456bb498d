import Foundation
import OpenSpecStore
import Testing

extension StoreConformance {
    /// A first import's rows (`bulkWrite`) read back byte for byte whatever
    /// they hold (tabs, line ends, backslashes, `\N`, `\.`, NUL in bytes);
    /// a change stored before gets its file replaced as `write` would.
    func bulkImport(_ store: any SyncStore) throws {
        let (project, ids) = try Self.project(store, [Self.values("changes/old")])
        let old = try #require(ids["changes/old"])
        try store.write { try $0.replaceFiles(specId: old, files: [Self.file("a.md", "o1", "old\n")], previous: [:]) }
        let awkward = "tab\there \\N back\\slash\r\nline\n\\.\n\u{FC}n\u{EF} \u{1F600}"
        let binary = Data([0, 255, 9, 10, 13, 92, 78, 0x80])
        let (id, historyId) = try store.bulkWrite { w in
            let id = try w.insertSpec(projectId: project.id, Self.values("changes/new", title: awkward, proposal: awkward), at: Self.t0)
            let files = [Self.file("tasks.md", "n1", awkward),
                         FileValues(path: "b.bin", blobId: "n2", size: binary.count, isUTF8: false, content: binary, syncError: nil),
                         Self.file("proposal.md", "n3", nil)]
            try w.replaceFiles(specId: id, files: files, previous: [:])
            try w.replaceFiles(specId: old, files: [Self.file("a.md", "o2", "new\n")], previous: ["a.md": "o1"])
            return (id, try w.insertHistory(Self.history(project.id, specId: id, action: .created, error: awkward)))
        }
        let spec = try #require(try store.spec(id: id))
        #expect(spec.title == awkward && spec.proposalContent == awkward && spec.tasksContent == nil)
        #expect(try store.fileContent(specId: id, path: "tasks.md") == Data(awkward.utf8))
        #expect(try store.fileContent(specId: id, path: "b.bin") == binary)
        #expect(try store.specFile(specId: id, path: "proposal.md")?.content == Data(awkward.utf8))
        let stored = try #require(try store.specFile(specId: id, path: "b.bin"))
        #expect(!stored.isUTF8 && stored.size == 8 && stored.blobId == "n2")
        #expect(try store.fileContent(specId: old, path: "a.md") == Data("new\n".utf8))
        let logged = try #require(try store.history(limit: 1).first)
        #expect(logged.id == historyId && logged.specId == id && logged.errorMessage == awkward)
    }
}
