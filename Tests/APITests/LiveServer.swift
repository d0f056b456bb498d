import Foundation
import OpenSpecSyncTestSupport
import Testing

struct ServerDidNotStart: Error, CustomStringConvertible {
    var output: String
    var errors: String
    var description: String { "the server did not start\nstdout: \(output)\nstderr: \(errors)" }
}

/// A reply as curl saw it.
struct Reply: CustomStringConvertible {
    var status: Int
    var body: String
    /// Response headers by lowercased name (in-process calls only).
    var headers: [String: String] = [:]
    var json: Any? { try? JSONSerialization.jsonObject(with: Data(body.utf8), options: [.fragmentsAllowed]) }
    var object: [String: Any] { json as? [String: Any] ?? [:] }
    /// `result.data` of a single call.
    var data: Any? { (object["result"] as? [String: Any])?["data"] }
    var error: [String: Any] { object["error"] as? [String: Any] ?? [:] }
    /// `error.data.code`: BAD_REQUEST, NOT_FOUND, …
    var errorCode: String? { (error["data"] as? [String: Any])?["code"] as? String }
    var description: String { "HTTP \(status): \(body.prefix(600))" }
}

/// A database, a registered repository and the real `openspec-sync serve`
/// on a free loopback port, called with curl as any client would.
final class LiveServer: @unchecked Sendable {
    static let token = "test-token-0123456789abcdef"

    private let temp: TempFolder
    let dbPath: String
    /// The running server, once started.
    private(set) var running: BackgroundProcess?
    var process: Process? { running?.process }
    var port = 0
    var folder: String { temp.path }
    var output: String { running?.output ?? "" }

    /// What the server and the CLI run with besides git's test settings:
    /// nil, a SQLite file of its own; else these variables (a database URL, a host name).
    private let database: [String: String]?

    init(database: [String: String]? = nil) throws {
        temp = try TempFolder(prefix: "api")
        dbPath = temp.file("sync.sqlite")
        self.database = database
    }

    deinit {
        stop()
    }

    var environment: [String: String] {
        var env = gitTestEnvironment(extra: database ?? ["OPENSPEC_SYNC_DB": dbPath])
        env["OPENSPEC_SYNC_TOKEN"] = nil
        return env
    }

    /// Runs the CLI against this database.
    @discardableResult
    func cli(_ arguments: [String]) throws -> ProcessResult {
        try runProcess(openSpecSyncBinary, arguments, environment: environment)
    }

    /// Starts the server; `token` nil means no OPENSPEC_SYNC_TOKEN (a token file is made).
    func start(_ arguments: [String] = ["serve"], token: String? = LiveServer.token) throws {
        var env = environment
        env["OPENSPEC_SYNC_TOKEN"] = token
        let server = try BackgroundProcess(openSpecSyncBinary, arguments + ["--port", "0"], environment: env, logs: folder, name: "server")
        running = server
        guard let address = server.awaitOutput(matching: #"http://127\.0\.0\.1:(\d+)/trpc/"#),
              let found = Int(address.split(separator: ":").last!.split(separator: "/").first!) else {
            throw ServerDidNotStart(output: server.output, errors: server.errors)
        }
        port = found
    }

    func stop() {
        running?.stop()
    }

    var base: String { "http://127.0.0.1:\(port)/trpc/" }

    /// `curl` with the status code on the last line.
    func curl(_ arguments: [String]) throws -> Reply {
        let result = try runProcess("/usr/bin/curl", ["-s", "-g", "--max-time", "60", "-w", "\n%{http_code}"] + arguments)
        var lines = result.stdout.components(separatedBy: "\n")
        let status = Int(lines.popLast() ?? "") ?? -1
        return Reply(status: status, body: lines.joined(separator: "\n"))
    }

    /// A query: GET with the input URL-encoded in `?input=`.
    func query(_ procedure: String, _ input: String? = nil, headers: [String] = []) throws -> Reply {
        var arguments = ["-G", base + procedure]
        if let input { arguments += ["--data-urlencode", "input=" + input] }
        for header in headers { arguments += ["-H", header] }
        return try curl(arguments)
    }

    /// A mutation: POST with a JSON body, with the token unless told otherwise.
    func mutate(_ procedure: String, _ body: String?, token: String? = LiveServer.token, headers: [String] = []) throws -> Reply {
        var arguments = ["-X", "POST", base + procedure, "-H", "Content-Type: application/json"]
        if let body { arguments += ["--data-binary", body] }
        if let token { arguments += ["-H", "Authorization: Bearer \(token)"] }
        for header in headers { arguments += ["-H", header] }
        return try curl(arguments)
    }

    /// One value from the database, with sqlite3.
    func sql(_ statement: String) throws -> String {
        try sqlite(dbPath, statement)
    }
}

/// A small project: two active changes, one archived, a main spec; registered and synced.
func makeProject(_ server: LiveServer, name: String = "demo") throws -> TempRepo {
    let repo = try TempRepo()
    try repo.write("openspec/changes/add-login/proposal.md", "# Change: Add login\n\n## Why\nUsers.\n")
    try repo.write("openspec/changes/add-login/tasks.md", "## 1. Work\n- [x] 1.1 Form\n- [ ] 1.2 Session\n")
    try repo.write("openspec/changes/add-search/proposal.md", "# Change: Add search\n\n## Why\nFinding.\n")
    try repo.write("openspec/changes/add-search/tasks.md", "- [ ] 1.1 Index\n")
    try repo.write("openspec/changes/archive/2026-01-12-add-rate-limit/tasks.md", "- [ ] unfinished\n")
    try repo.write("openspec/specs/auth/spec.md", "## Purpose\nAuth.\n\n## Requirements\n### Requirement: A\nIt SHALL.\n")
    try repo.commitAll("demo")
    let registered = try server.cli(["init", "--repo", repo.path, "--name", name])
    #expect(registered.status == 0, "\(registered.stderr)")
    let synced = try server.cli(["reconcile", "--repo", repo.path])
    #expect(synced.status == 0, "\(synced.stderr)")
    return repo
}

/// JSON text of a value, for inputs.
func json(_ value: Any) -> String {
    String(decoding: try! JSONSerialization.data(withJSONObject: value, options: [.fragmentsAllowed]), as: UTF8.self)
}
