import Foundation

/// The outcome of a finished child process.
public struct ProcessResult: Sendable {
    public let status: Int32
    public let stdout: String
    public let stderr: String
    public var stdoutData: Data { Data(stdout.utf8) }
}

public struct ProcessFailure: Error, CustomStringConvertible {
    public let command: String
    public let result: ProcessResult
    public var description: String {
        "`\(command)` exited \(result.status)\nstdout: \(result.stdout)\nstderr: \(result.stderr)"
    }
}

/// Runs a program to completion. Output goes through temporary files, so a
/// chatty child can never deadlock on a full pipe.
@discardableResult
public func runProcess(
    _ executable: String, _ arguments: [String], in directory: String? = nil,
    environment: [String: String]? = nil, input: Data? = nil
) throws -> ProcessResult {
    let scratch = try makeTemporaryDirectory(prefix: "proc")
    defer { try? FileManager.default.removeItem(atPath: scratch) }
    let outURL = URL(fileURLWithPath: scratch + "/out")
    let errURL = URL(fileURLWithPath: scratch + "/err")
    _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
    _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable.hasPrefix("/") ? executable : "/usr/bin/env")
    process.arguments = executable.hasPrefix("/") ? arguments : [executable] + arguments
    if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
    if let environment { process.environment = environment }
    let outHandle = try FileHandle(forWritingTo: outURL)
    let errHandle = try FileHandle(forWritingTo: errURL)
    process.standardOutput = outHandle
    process.standardError = errHandle
    if let input {
        let inURL = URL(fileURLWithPath: scratch + "/in")
        try input.write(to: inURL)
        process.standardInput = try FileHandle(forReadingFrom: inURL)
    } else {
        process.standardInput = FileHandle.nullDevice
    }
    try process.run()
    process.waitUntilExit()
    try outHandle.close()
    try errHandle.close()
    let out = (try? String(contentsOf: outURL, encoding: .utf8)) ?? ""
    let err = (try? String(contentsOf: errURL, encoding: .utf8)) ?? ""
    return ProcessResult(status: process.terminationStatus, stdout: out, stderr: err)
}

/// A fresh, empty directory under the system temporary directory.
public func makeTemporaryDirectory(prefix: String) throws -> String {
    let base = ProcessInfo.processInfo.environment["TMPDIR"] ?? "/tmp"
    var template = Array("\(base)/openspec-sync-\(prefix)-XXXXXX".utf8CString)
    guard let result = mkdtemp(&template) else {
        throw CocoaError(.fileWriteUnknown)
    }
    return String(cString: result)
}

/// The environment every test `git` runs with: fixed identity, no user or
/// system configuration, so tests behave the same on every machine.
public func gitTestEnvironment(extra: [String: String] = [:]) -> [String: String] {
    var env = ProcessInfo.processInfo.environment
    env["GIT_AUTHOR_NAME"] = "Test Author"
    env["GIT_AUTHOR_EMAIL"] = "author@example.invalid"
    env["GIT_COMMITTER_NAME"] = "Test Author"
    env["GIT_COMMITTER_EMAIL"] = "author@example.invalid"
    env["GIT_CONFIG_GLOBAL"] = "/dev/null"
    env["GIT_CONFIG_NOSYSTEM"] = "1"
    env["GIT_TERMINAL_PROMPT"] = "0"
    for (key, value) in extra { env[key] = value }
    return env
}

/// A real git repository in a temporary folder, removed when released
/// (set `KEEP_TEST_REPOS=1` to keep it for a look).
public final class TempRepo: @unchecked Sendable {
    public let path: String

    public init(initialBranch: String = "main") throws {
        path = try makeTemporaryDirectory(prefix: "repo")
        try git("init", "-q", "-b", initialBranch)
    }

    /// A clone of the repository at `origin` (its `origin` remote), as another host would have.
    public init(cloning origin: String) throws {
        path = try makeTemporaryDirectory(prefix: "clone")
        let result = try runProcess("/usr/bin/git", ["clone", "-q", origin, path], environment: gitTestEnvironment())
        guard result.status == 0 else { throw ProcessFailure(command: "git clone \(origin)", result: result) }
    }

    deinit {
        if ProcessInfo.processInfo.environment["KEEP_TEST_REPOS"] == nil {
            try? FileManager.default.removeItem(atPath: path)
        }
    }

    /// A repository with `count` changes (`change-1`, …), each a proposal
    /// and two open tasks, committed.
    public static func withChanges(_ count: Int, message: String = "initial") throws -> TempRepo {
        let repo = try TempRepo()
        for i in stride(from: 1, through: count, by: 1) {
            try repo.write("openspec/changes/change-\(i)/tasks.md", "- [ ] 1.1 first\n- [ ] 1.2 second\n")
            try repo.write("openspec/changes/change-\(i)/proposal.md", "# Change: Change \(i)\n\n## Why\nReasons.\n")
        }
        try repo.commitAll(message)
        return repo
    }

    public func url(_ relativePath: String) -> URL {
        URL(fileURLWithPath: path + "/" + relativePath)
    }

    public func write(_ relativePath: String, _ text: String) throws {
        try write(relativePath, bytes: Array(text.utf8))
    }

    public func write(_ relativePath: String, bytes: [UInt8]) throws {
        let fileURL = url(relativePath)
        try FileManager.default.createDirectory(
            at: fileURL.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(bytes).write(to: fileURL)
    }

    public func read(_ relativePath: String) throws -> [UInt8] {
        Array(try Data(contentsOf: url(relativePath)))
    }

    public func readText(_ relativePath: String) throws -> String {
        String(decoding: try read(relativePath), as: UTF8.self)
    }

    public func exists(_ relativePath: String) -> Bool {
        FileManager.default.fileExists(atPath: path + "/" + relativePath)
    }

    public func remove(_ relativePath: String) throws {
        try FileManager.default.removeItem(atPath: path + "/" + relativePath)
    }

    /// Runs `git` in the repository; throws with its output when it fails.
    @discardableResult
    public func git(_ arguments: String..., environment: [String: String] = [:]) throws -> String {
        try git(arguments, environment: environment)
    }

    @discardableResult
    public func git(_ arguments: [String], environment: [String: String] = [:]) throws -> String {
        let result = try gitResult(arguments, environment: environment)
        guard result.status == 0 else {
            throw ProcessFailure(command: "git " + arguments.joined(separator: " "), result: result)
        }
        return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Runs `git` and returns whatever happened, failure included.
    public func gitResult(_ arguments: [String], environment: [String: String] = [:]) throws -> ProcessResult {
        try runProcess("/usr/bin/git", arguments, in: path, environment: gitTestEnvironment(extra: environment))
    }

    /// Stages everything and commits; returns the new commit id.
    @discardableResult
    public func commitAll(_ message: String) throws -> String {
        try git("add", "-A")
        try git("commit", "-q", "--allow-empty", "-m", message)
        return try git("rev-parse", "HEAD")
    }

    /// Stages everything and commits, authored and committed at
    /// `1_700_000_000 + seconds` (so commits have a fixed order); returns the id.
    @discardableResult
    public func commitAll(_ message: String, atSecond seconds: Int) throws -> String {
        let date = "@\(1_700_000_000 + seconds) +0000"
        try git("add", "-A")
        try git(["commit", "-q", "--allow-empty", "-m", message],
                environment: ["GIT_COMMITTER_DATE": date, "GIT_AUTHOR_DATE": date])
        return try git("rev-parse", "HEAD")
    }
}

/// How a process started by `runKilling` ended.
public struct KilledRun: Sendable {
    /// It exited by itself (not killed).
    public let exited: Bool
    public let status: Int32
    public let killed: Bool
    public var completed: Bool { exited && status == 0 }
}

/// Starts a program and SIGKILLs it after `microseconds` if it is still
/// running: one step of a crash loop (kill at step N, N = 1, 2, …).
public func runKilling(_ executable: String, _ arguments: [String], environment: [String: String]? = nil,
                       after microseconds: useconds_t) throws -> KilledRun {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    if let environment { process.environment = environment }
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    usleep(microseconds)
    var killed = false
    if process.isRunning {
        kill(process.processIdentifier, SIGKILL)
        killed = true
    }
    process.waitUntilExit()
    return KilledRun(exited: process.terminationReason == .exit, status: process.terminationStatus, killed: killed)
}
