import Foundation
import OpenSpecSyncTestSupport
import Testing

/// The built executable, as the tests run it.
let binary: String = {
    if let path = ProcessInfo.processInfo.environment["OPENSPEC_SYNC_BIN"] { return path }
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { url.deleteLastPathComponent() }
    return url.path + "/.build/debug/openspec-sync"
}()

struct ServerDidNotStart: Error, CustomStringConvertible {
    var output: String
    var errors: String
    var description: String { "the server did not start\nstdout: \(output)\nstderr: \(errors)" }
}

/// A reply as curl saw it.
struct Reply: CustomStringConvertible {
    var status: Int
    var body: String
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

    let folder: String
    let dbPath: String
    var process: Process?
    var port = 0
    var output: String { (try? String(contentsOfFile: folder + "/server.out", encoding: .utf8)) ?? "" }

    init() throws {
        folder = try makeTemporaryDirectory(prefix: "api")
        dbPath = folder + "/sync.sqlite"
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(atPath: folder)
    }

    var environment: [String: String] {
        var env = gitTestEnvironment()
        env["OPENSPEC_SYNC_DB"] = dbPath
        env["OPENSPEC_SYNC_TOKEN"] = nil
        return env
    }

    /// Runs the CLI against this database.
    @discardableResult
    func cli(_ arguments: [String]) throws -> ProcessResult {
        try runProcess(binary, arguments, environment: environment)
    }

    /// Starts the server; `token` nil means no OPENSPEC_SYNC_TOKEN (a token file is made).
    func start(_ arguments: [String] = ["serve"], token: String? = LiveServer.token) throws {
        var env = environment
        env["OPENSPEC_SYNC_TOKEN"] = token
        let out = folder + "/server.out"
        FileManager.default.createFile(atPath: out, contents: nil)
        FileManager.default.createFile(atPath: folder + "/server.err", contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments + ["--port", "0"]
        process.environment = env
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: out))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: folder + "/server.err"))
        process.standardInput = FileHandle.nullDevice
        try process.run()
        self.process = process
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            if let range = output.range(of: #"http://127\.0\.0\.1:(\d+)/trpc/"#, options: .regularExpression) {
                let match = output[range]
                port = Int(match.split(separator: ":").last!.split(separator: "/").first!)!
                return
            }
            if !process.isRunning { break }
            usleep(20_000)
        }
        let errors = (try? String(contentsOfFile: folder + "/server.err", encoding: .utf8)) ?? ""
        throw ServerDidNotStart(output: output, errors: errors)
    }

    func stop() {
        guard let process, process.isRunning else { return }
        process.terminate()
        let deadline = Date().addingTimeInterval(10)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
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
        try runProcess("/usr/bin/sqlite3", [dbPath, statement]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
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

/// Polls until `condition` holds or `seconds` pass.
func eventually(_ seconds: Double, _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if try condition() { return true }
        usleep(50_000)
    }
    return try condition()
}
