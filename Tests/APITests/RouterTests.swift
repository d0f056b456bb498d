import Foundation
import HTTPTypes
@testable import OpenSpecServer
import OpenSpecSyncTestSupport
import Testing

/// The router and the procedure table, in-process.
@Suite("API router and procedure table")
struct RouterTests {
    @Test("the procedure table holds exactly the procedures docs/api.md documents, each of its kind")
    func tableMatchesTheContract() throws {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        let doc = try String(contentsOf: url.appendingPathComponent("docs/api.md"), encoding: .utf8)
        var documented: [String: String] = [:]
        for line in doc.split(separator: "\n") where line.hasPrefix("### `") {
            let parts = line.dropFirst(5).split(separator: "`")
            guard parts.count == 2 else { continue }
            documented[String(parts[0])] = parts[1].trimmingCharacters(in: CharacterSet(charactersIn: " ()"))
        }
        #expect(documented.count >= 13)
        #expect(Procedures.table.mapValues(\.kind.rawValue) == documented)
        #expect(Procedures.table.allSatisfy { $0.key == $0.value.name })
    }

    @Test("outside the procedures: HEAD is 204, another method 405, a path that is neither the API nor the dashboard 404, all in tRPC's shape")
    func routesAndFallbacks() async throws {
        let server = try LiveServer()
        _ = try makeProject(server)
        try await server.inProcess { api in
            #expect(try await api.request("/trpc/projects.list", method: .head).status == 204)
            for method in [HTTPRequest.Method.put, .delete, .patch, .options] {
                let refused = try await api.request("/trpc/projects.list", method: method)
                #expect(refused.status == 405 && refused.errorCode == "METHOD_NOT_SUPPORTED", "\(method): \(refused)")
                #expect((refused.error["data"] as? [String: Any])?["path"] as? String == "projects.list")
            }
            // `/` is the dashboard's page; other paths outside the API are not found.
            let page = try await api.request("/", method: .get)
            #expect(page.status == 200, "/: \(page)")
            for path in ["/trpc", "/trpc/", "/elsewhere/projects.list", "/app.jsx"] {
                let missing = try await api.request(path, method: .get)
                #expect(missing.status == 404 && missing.errorCode == "NOT_FOUND", "\(path): \(missing)")
            }
            let nested = try await api.query("a/b")
            #expect(nested.status == 404 && (nested.error["data"] as? [String: Any])?["path"] as? String == "a/b", "\(nested)")
            let projects = try await api.query("projects.list")
            #expect(projects.status == 200 && (projects.data as? [[String: Any]])?.first?["name"] as? String == "demo", "\(projects)")
        }
    }
}
