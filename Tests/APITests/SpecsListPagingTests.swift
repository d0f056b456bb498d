import Foundation
import OpenSpecSyncTestSupport
import Testing

/// specs.list in pages: a limit, a total and a cursor that keeps its place
/// while changes are added before it.
@Suite("specs.list pages", .serialized)
struct SpecsListPagingTests {
    private func page(_ api: APIClient, _ input: [String: Any]) async throws -> (ids: [String], total: Int?, next: String?) {
        let reply = try await api.query("specs.list", json(input))
        #expect(reply.status == 200, "\(reply)")
        let data = try #require(reply.data as? [String: Any], "\(reply)")
        let items = try #require(data["items"] as? [[String: Any]])
        return (items.compactMap { $0["changeId"] as? String }, data["total"] as? Int, data["nextCursor"] as? String)
    }

    @Test("100 rows by default with the total; a cursor walks the rest in the same order, unmoved by a change added before it")
    func pagesByDefaultAndKeepsPlace() async throws {
        let server = try LiveServer()
        let repo = try TempRepo.withChanges(105)
        #expect(try server.cli(["init", "--repo", repo.path, "--name", "demo"]).status == 0)
        #expect(try server.cli(["reconcile", "--repo", repo.path]).status == 0)
        try await server.inProcess { api in
            let first = try await page(api, [:])
            #expect(first.ids.count == 100)
            #expect(first.total == 105)
            let everything = try await page(api, ["limit": 1000])
            #expect(everything.next == nil)
            #expect(everything.ids == everything.ids.sorted { "changes/\($0)" < "changes/\($1)" })

            // Pages of 40: a change whose path sorts first is added after page one.
            var seen: [String] = []
            var cursor: String?
            var pages = 0
            repeat {
                var input: [String: Any] = ["limit": 40]
                if let cursor { input["cursor"] = cursor }
                let next = try await page(api, input)
                seen += next.ids
                cursor = next.next
                pages += 1
                if pages == 1 {
                    try repo.write("openspec/changes/change-0/tasks.md", "- [ ] 1.1 first\n")
                    _ = try repo.commitAll("one more")
                    #expect(try server.cli(["reconcile", "--repo", repo.path]).status == 0)
                }
            } while cursor != nil
            #expect(pages == 3)
            #expect(seen == everything.ids)
            #expect(try await page(api, [:]).total == 106)

            // A search pages the same way.
            let searched = try await page(api, ["search": "CHANGE-1", "limit": 5])
            #expect(searched.ids == ["change-1", "change-10", "change-100", "change-101", "change-102"])
            #expect(searched.total == 17)
            let rest = try await page(api, ["search": "CHANGE-1", "limit": 100, "cursor": try #require(searched.next)])
            #expect(rest.ids.first == "change-103")
            #expect(rest.ids.count == 12)
            #expect(rest.next == nil)

            let bad = try await api.query("specs.list", json(["cursor": "not a cursor"]))
            #expect(bad.status == 400, "\(bad)")
            #expect(bad.errorCode == "BAD_REQUEST")
            let tooMany = try await api.query("specs.list", json(["limit": 1001]))
            #expect(tooMany.status == 400, "\(tooMany)")
        }
    }
}
