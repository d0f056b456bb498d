import Foundation
import OpenSpecSyncTestSupport
import Testing
@testable import OpenSpecSync

@Suite("log SPEC")
struct SpecLogTests {
    @Test("commits touching a change, newest first, sync commits marked, history kept across the archive")
    func logFollowsTheChange() throws {
        let h = try Harness()
        try h.writeChange("changes/add-login", tasks: "- [ ] 1.1 Do it\n- [ ] 1.2 Then this\n")
        try h.writeChange("changes/other")
        try h.repo.commitAll("add two changes")
        try h.reconcile()
        let spec = try #require(try h.spec("changes/add-login"))

        let outcome = try h.engine.toggleTask(spec: spec, task: "1.1", done: true)
        guard case .written = outcome else { Issue.record("expected a written edit, got \(outcome)"); return }
        try h.repo.write("openspec/changes/other/tasks.md", "- [x] unrelated\n")
        try h.repo.commitAll("touch only the other change")
        try h.repo.write("openspec/changes/add-login/proposal.md", "# Change: Login, reworded\n")
        try h.repo.commitAll("reword add-login")

        let log = try h.engine.log(spec: try #require(try h.spec("changes/add-login"))).commits
        #expect(log.map(\.summary) == ["reword add-login", "openspec-sync: update add-login/tasks.md", "add two changes"])
        #expect(log.map(\.syncCommit) == [false, true, false])
        #expect(log[1].author == "openspec-sync")

        try h.gitArchive("add-login", on: "2026-04-01")
        try h.repo.commitAll("archive add-login")
        try h.reconcile()
        let archived = try #require(try h.spec("changes/archive/2026-04-01-add-login"))
        #expect(try h.engine.log(spec: archived).commits.map(\.summary) == [
            "archive add-login", "reword add-login", "openspec-sync: update add-login/tasks.md", "add two changes",
        ])
        #expect(try h.engine.log(spec: archived, limit: 2).commits.count == 2)
        #expect(try h.engine.log(spec: archived).shallow == false)
    }
}
