import Foundation
import OpenSpecStore
import OpenSpecSyncTestSupport
import Testing
@testable import OpenSpecSync

/// The enums of modes, history actions, main-spec states and triggers keep
/// the spellings the database and the JSON have always had.
@Suite("Vocabularies: database and JSON spellings")
struct VocabularyTests {
    @Test("history actions, main-spec states, modes and triggers are spelt as stored")
    func spellings() {
        #expect(HistoryAction.allCases.map(\.rawValue) == [
            "started", "run", "unchanged", "failed", "created", "updated", "archived", "unarchived", "removed",
            "restored", "written", "pending", "conflict", "rollback",
        ])
        #expect(MainSpecStatus.allCases.map(\.rawValue) == ["present", "removed"])
        #expect([ReconcileMode.full, .incremental].map(\.rawValue) == ["full", "incremental"])
        #expect(HistoryRecord.startedAction == "started")
        #expect(SyncTrigger.gitHooks.map(\.rawValue) == ["post-commit", "post-merge", "post-checkout", "post-rewrite"])
        #expect(HookInstaller.hookNames == ["post-commit", "post-merge", "post-checkout", "post-rewrite"])
    }

    @Test("a run's summary JSON and its history rows carry the same words as before")
    func summaryAndHistory() throws {
        let h = try Harness()
        try h.writeChange("changes/add-login")
        try h.repo.write("openspec/specs/auth/spec.md", "# auth\n\n## Purpose\nWho may log in.\n")
        let first = try h.reconcile()
        let json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(first)) as? [String: Any]
        #expect(json?["mode"] as? String == "full")
        #expect(json?["fullReason"] as? String == "first sync of this project")
        #expect((json?["changes"] as? [[String: Any]])?.map { $0["action"] as? String } == ["created"])
        #expect(try h.history().map(\.action).sorted() == ["created", "run"])
        #expect(try h.history().allSatisfy { $0.historyAction != nil })

        try h.repo.remove("openspec/specs/auth/spec.md")
        try h.repo.remove("openspec/changes/add-login")
        let second = try h.reconcile()
        #expect(second.mode == .incremental && second.changes.map(\.action) == [.removed])
        #expect(try h.engine.store.mainSpecs(projectId: h.project.id).map(\.status) == [.removed])
        let states = try h.engine.store.write { try $0.mainSpecStates(projectId: h.project.id) }
        #expect(states["auth"]?.status == .removed)
    }

    @Test("a main-spec state the database should not hold is an error naming it, not a crash")
    func unknownMainSpecState() throws {
        let h = try Harness()
        try h.repo.write("openspec/specs/auth/spec.md", "# auth\n\n## Purpose\nWho may log in.\n")
        try h.reconcile()
        #expect(try runProcess("/usr/bin/sqlite3", [h.dbPath, "UPDATE mainSpecs SET status = 'gone'"]).status == 0)
        let error = #expect(throws: (any Error).self) {
            try h.engine.store.write { try $0.mainSpecStates(projectId: h.project.id) }
        }
        #expect("\(error.map { "\($0)" } ?? "")".contains("mainSpecs.status of auth is \"gone\""))
    }
}
