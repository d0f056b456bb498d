import Foundation

/// The built `openspec-sync` executable, as the tests run it
/// (`OPENSPEC_SYNC_BIN` names another).
public let openSpecSyncBinary: String = {
    if let path = ProcessInfo.processInfo.environment["OPENSPEC_SYNC_BIN"] { return path }
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { url.deleteLastPathComponent() }
    return url.path + "/.build/debug/openspec-sync"
}()

/// A started daemon or server: a program left running, its output in
/// files, stopped (and killed if it will not stop) when asked or released.
public final class BackgroundProcess: @unchecked Sendable {
    public let process = Process()
    public let outputPath: String
    public let errorPath: String

    /// Starts `executable`; stdout and stderr go to `<logs>/<name>.out` and `.err`.
    public init(_ executable: String, _ arguments: [String], environment: [String: String]? = nil,
                logs: String, name: String = "process") throws {
        outputPath = logs + "/\(name).out"
        errorPath = logs + "/\(name).err"
        _ = FileManager.default.createFile(atPath: outputPath, contents: nil)
        _ = FileManager.default.createFile(atPath: errorPath, contents: nil)
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment { process.environment = environment }
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: outputPath))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errorPath))
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }

    public var output: String { (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? "" }
    public var errors: String { (try? String(contentsOfFile: errorPath, encoding: .utf8)) ?? "" }
    public var isRunning: Bool { process.isRunning }

    /// The first match of `pattern` (a regular expression) in stdout, once it
    /// is there; nil when the program exits or `timeout` passes first.
    public func awaitOutput(matching pattern: String, timeout: Double = 30) -> String? {
        var found: String?
        _ = eventually(timeout: timeout, every: .milliseconds(20)) {
            let text = output
            if let range = text.range(of: pattern, options: .regularExpression) { found = String(text[range]) }
            return found != nil || !process.isRunning
        }
        return found
    }

    /// Sends `signal` and waits for the exit; SIGKILL after `timeout` seconds.
    public func stop(signal: Int32 = SIGTERM, timeout: Double = 10) {
        guard process.isRunning else { return }
        kill(process.processIdentifier, signal)
        if !eventually(timeout: timeout, every: .milliseconds(20), { !process.isRunning }) {
            kill(process.processIdentifier, SIGKILL)
        }
        process.waitUntilExit()
    }
}

/// One value (or the lines of several) from a database, with sqlite3.
public func sqlite(_ database: String, _ statement: String) throws -> String {
    let result = try runProcess("/usr/bin/sqlite3", [database, statement])
    guard result.status == 0 else { throw ProcessFailure(command: "sqlite3 \(database) \(statement)", result: result) }
    return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
}

/// Non-empty output lines.
public func lines(_ text: String) -> [String] {
    text.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
}
