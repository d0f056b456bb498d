import Foundation
import OpenSpecSyncTestSupport
import Testing

/// How a start-up attempt ended: its exit status, or the signal that killed
/// it, or that it was still running when the test gave up on it.
struct StartupOutcome: CustomStringConvertible {
    var status: Int32
    var killedBySignal: Bool
    var timedOut: Bool
    var stderr: String

    var description: String {
        "status \(status)\(killedBySignal ? " (signal)" : "")\(timedOut ? " (timed out)" : ""): \(stderr)"
    }
}

/// Runs the binary with `environment`, killed after `timeout` seconds.
/// `readOnly` paths (files or folders) are bind-mounted read-only for the
/// run: permission bits do not stop root, a read-only mount does. As
/// another user, taking the write bits away is enough.
func startBinary(_ arguments: [String], environment: [String: String], readOnly: [String] = [],
                 timeout: Double = 8) throws -> StartupOutcome {
    let scratch = try makeTemporaryDirectory(prefix: "startup")
    defer { try? FileManager.default.removeItem(atPath: scratch) }
    let errURL = URL(fileURLWithPath: scratch + "/err")
    _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
    let errHandle = try FileHandle(forWritingTo: errURL)
    var env = gitTestEnvironment(extra: environment)
    env["OPENSPEC_SYNC_TOKEN"] = environment["OPENSPEC_SYNC_TOKEN"] ?? ""

    let process = Process()
    let root = getuid() == 0
    if readOnly.isEmpty || !root {
        process.executableURL = URL(fileURLWithPath: CLI.binary)
        process.arguments = arguments
    } else {
        // A private mount namespace: the read-only mounts vanish with the process.
        let mounts = readOnly.indices.map { "mount --bind -o ro \"$\($0 + 1)\" \"$\($0 + 1)\"" }.joined(separator: " && ")
        process.executableURL = URL(fileURLWithPath: "/usr/bin/unshare")
        process.arguments = ["-m", "--propagation", "private", "sh", "-c",
                             "\(mounts) && shift \(readOnly.count) && exec \"$@\"", "sh"] + readOnly + [CLI.binary] + arguments
    }
    if !root { for path in readOnly { chmod(path, 0o555) } }
    defer { if !root { for path in readOnly { chmod(path, 0o755) } } }
    process.environment = env
    process.standardInput = FileHandle.nullDevice
    process.standardOutput = FileHandle.nullDevice
    process.standardError = errHandle
    try process.run()
    let deadline = Date().addingTimeInterval(timeout)
    while process.isRunning && Date() < deadline { usleep(20_000) }
    let timedOut = process.isRunning
    if timedOut {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
    try errHandle.close()
    return StartupOutcome(status: process.terminationStatus,
                          killedBySignal: !timedOut && process.terminationReason == .uncaughtSignal,
                          timedOut: timedOut,
                          stderr: (try? String(contentsOf: errURL, encoding: .utf8)) ?? "")
}

/// Every way the start-up state can be wrong ends the same way: exit 1, in
/// a few seconds, with a message that names the path and says what to do.
/// Never a signal, never a hang.
@Suite("Start-up state")
struct StartupStateTests {
    /// The commands that open the database, each as a user starts it.
    static let databaseCommands: [[String]] = [
        ["status"], ["list"], ["init", "--repo", "/nonexistent-repo-for-startup"],
        ["serve", "--port", "0"], ["run", "--serve", "--port", "0", "--interval", "3600"],
    ]
    static let serverCommands: [[String]] = [["serve", "--port", "0"], ["run", "--serve", "--port", "0", "--interval", "3600"]]

    private func expectRefused(_ outcome: StartupOutcome, _ command: [String], naming path: String, saying words: [String],
                               sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(!outcome.killedBySignal, "\(command): \(outcome)", sourceLocation: sourceLocation)
        #expect(!outcome.timedOut, "\(command): \(outcome)", sourceLocation: sourceLocation)
        #expect(outcome.status == 1, "\(command): \(outcome)", sourceLocation: sourceLocation)
        #expect(outcome.stderr.contains(path), "\(command): \(outcome)", sourceLocation: sourceLocation)
        for word in words {
            #expect(outcome.stderr.contains(word), "\(command): \(outcome)", sourceLocation: sourceLocation)
        }
    }

    /// A folder with a working database in it (made by `status`).
    private func databaseFolder() throws -> (folder: String, db: String) {
        let folder = try makeTemporaryDirectory(prefix: "startup-db")
        let db = folder + "/sync.sqlite"
        let made = try startBinary(["status"], environment: ["OPENSPEC_SYNC_DB": db])
        #expect(made.status == 0, "\(made)")
        return (folder, db)
    }

    // MARK: The token file

    @Test("a token path that is a folder, a dangling or looping link, or a FIFO: exit 1 with the path, no crash or hang",
          arguments: ["folder", "dangling link", "link loop", "fifo"])
    func unusableTokenFile(kind: String) throws {
        let (folder, db) = try databaseFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let token = folder + "/api-token"
        switch kind {
        case "folder": try FileManager.default.createDirectory(atPath: token, withIntermediateDirectories: false)
        case "dangling link": try FileManager.default.createSymbolicLink(atPath: token, withDestinationPath: folder + "/nowhere/token")
        case "link loop": try FileManager.default.createSymbolicLink(atPath: token, withDestinationPath: token)
        default: #expect(mkfifo(token, 0o600) == 0)
        }
        for command in Self.serverCommands {
            let outcome = try startBinary(command, environment: ["OPENSPEC_SYNC_DB": db])
            expectRefused(outcome, command, naming: token, saying: ["OPENSPEC_SYNC_TOKEN"])
        }
    }

    @Test("a token from OPENSPEC_SYNC_TOKEN needs no token file, whatever is at its path")
    func environmentTokenIgnoresTheFile() throws {
        let (folder, db) = try databaseFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try FileManager.default.createDirectory(atPath: folder + "/api-token", withIntermediateDirectories: false)
        // Still serving when the test stops it: started, with nothing to say about the file.
        let outcome = try startBinary(["serve", "--port", "0"], environment: [
            "OPENSPEC_SYNC_DB": db, "OPENSPEC_SYNC_TOKEN": String(repeating: "s", count: 32)], timeout: 3)
        #expect(outcome.timedOut, "\(outcome)")
        #expect(!outcome.stderr.contains("error"), "\(outcome)")
    }

    @Test("a port already in use stops serve and run --serve with the address and what to do")
    func portInUse() throws {
        let (folder, db) = try databaseFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let taken = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(taken) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(taken, $0, length) == 0 && getsockname(taken, $0, &length) == 0 }
        }
        #expect(bound && listen(taken, 1) == 0)
        let port = Int(UInt16(bigEndian: address.sin_port))
        for command in [["serve"], ["run", "--serve", "--interval", "3600"]] {
            let outcome = try startBinary(command + ["--port", "\(port)"], environment: ["OPENSPEC_SYNC_DB": db])
            expectRefused(outcome, command, naming: "127.0.0.1:\(port)", saying: ["cannot listen", "--port"])
        }
    }

    @Test("--host [::1], written as in a URL, listens on ::1")
    func bracketedIPv6Host() throws {
        let (folder, db) = try databaseFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let outcome = try startBinary(["serve", "--host", "[::1]", "--port", "0"], environment: ["OPENSPEC_SYNC_DB": db], timeout: 3)
        #expect(outcome.timedOut, "still serving when stopped: \(outcome)")
        #expect(outcome.stderr.contains("listening on ::1:"), "\(outcome)")
    }

    // MARK: The database

    @Test("a database path that is a folder is refused by every command")
    func databaseIsAFolder() throws {
        let folder = try makeTemporaryDirectory(prefix: "startup-db")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let db = folder + "/sync.sqlite"
        try FileManager.default.createDirectory(atPath: db, withIntermediateDirectories: false)
        for command in Self.databaseCommands {
            let outcome = try startBinary(command, environment: ["OPENSPEC_SYNC_DB": db])
            expectRefused(outcome, command, naming: db, saying: ["is a folder", "--db"])
        }
    }

    @Test("a file that is not a SQLite database is refused by every command, with how to rebuild")
    func notADatabase() throws {
        let folder = try makeTemporaryDirectory(prefix: "startup-db")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let db = folder + "/sync.sqlite"
        try Data(repeating: 0x41, count: 8192).write(to: URL(fileURLWithPath: db))
        for command in Self.databaseCommands {
            let outcome = try startBinary(command, environment: ["OPENSPEC_SYNC_DB": db])
            expectRefused(outcome, command, naming: db, saying: ["is damaged", "move it aside"])
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: db)) == Data(repeating: 0x41, count: 8192), "the file is left as it was")
    }

    @Test("a database written by a newer openspec-sync is refused, not used")
    func newerSchema() throws {
        let (folder, db) = try databaseFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let insert = try runProcess("/usr/bin/sqlite3", [db, "INSERT INTO grdb_migrations VALUES ('v999-from-the-future')"])
        #expect(insert.status == 0, "\(insert.stderr)")
        for command in Self.databaseCommands {
            let outcome = try startBinary(command, environment: ["OPENSPEC_SYNC_DB": db])
            expectRefused(outcome, command, naming: db, saying: ["written by a newer openspec-sync", "v999-from-the-future"])
        }
    }

    @Test("a read-only database file is refused at start with what to do; nothing is written")
    func readOnlyDatabaseFile() throws {
        let (folder, db) = try databaseFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let before = try FileManager.default.contentsOfDirectory(atPath: folder).sorted()
        for command in Self.databaseCommands {
            let outcome = try startBinary(command, environment: ["OPENSPEC_SYNC_DB": db], readOnly: [db])
            expectRefused(outcome, command, naming: db, saying: ["read-only", "writable"])
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).sorted() == before)
    }

    @Test("a read-only data folder is refused at start, with or without a database in it")
    func readOnlyDataFolder() throws {
        let (folder, db) = try databaseFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let empty = try makeTemporaryDirectory(prefix: "startup-empty")
        defer { try? FileManager.default.removeItem(atPath: empty) }
        for command in Self.databaseCommands {
            let outcome = try startBinary(command, environment: ["OPENSPEC_SYNC_DB": db], readOnly: [folder])
            expectRefused(outcome, command, naming: folder, saying: ["read-only", "writable"])
            let fresh = try startBinary(command, environment: ["OPENSPEC_SYNC_DB": empty + "/sync.sqlite"], readOnly: [empty])
            expectRefused(fresh, command, naming: empty, saying: ["read-only", "writable"])
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: empty).isEmpty, "no half-made database")
    }

    @Test("a data folder that cannot be made is named, with what to do")
    func uncreatableDataFolder() throws {
        let file = try makeTemporaryDirectory(prefix: "startup-file") + "/plain-file"
        defer { try? FileManager.default.removeItem(atPath: (file as NSString).deletingLastPathComponent) }
        try Data("x".utf8).write(to: URL(fileURLWithPath: file))
        // Under a file, and under /proc, where nobody (root included) makes folders.
        for folder in [file + "/data", "/proc/openspec-sync-startup-\(getpid())/data"] {
            for command in Self.databaseCommands {
                let outcome = try startBinary(command, environment: ["OPENSPEC_SYNC_DB": folder + "/sync.sqlite"])
                expectRefused(outcome, command, naming: folder, saying: ["cannot create the folder", "--db"])
            }
        }
    }

    @Test("OPENSPEC_SYNC_DB in a folder that does not exist yet: the folder is made and the command works")
    func missingDataFolderIsMade() throws {
        let base = try makeTemporaryDirectory(prefix: "startup-missing")
        defer { try? FileManager.default.removeItem(atPath: base) }
        let db = base + "/not/yet/there/sync.sqlite"
        let outcome = try startBinary(["status"], environment: ["OPENSPEC_SYNC_DB": db])
        #expect(outcome.status == 0, "\(outcome)")
        #expect(FileManager.default.fileExists(atPath: db))
    }

    // MARK: The daemon's settings

    @Test("an interval or batch that is not a number in range is refused (exit 64), from a flag or the environment",
          arguments: [(["--interval", "1e308"], [String: String]()), (["--interval", "nan"], [:]), (["--interval", "-1"], [:]),
                      ([], ["OPENSPEC_SYNC_INTERVAL": "nan"]), ([], ["OPENSPEC_SYNC_INTERVAL": "-5"]),
                      ([], ["OPENSPEC_SYNC_INTERVAL": "soon"]), ([], ["OPENSPEC_SYNC_INTERVAL": "1e308"]),
                      ([], ["OPENSPEC_SYNC_BATCH": "-5"]), ([], ["OPENSPEC_SYNC_BATCH": "many"])])
    func badScanSettings(flags: [String], environment: [String: String]) throws {
        let folder = try makeTemporaryDirectory(prefix: "startup-db")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var env = environment
        env["OPENSPEC_SYNC_DB"] = folder + "/sync.sqlite"
        let outcome = try startBinary(["run"] + flags, environment: env)
        #expect(!outcome.killedBySignal && !outcome.timedOut, "\(outcome)")
        #expect(outcome.status == 64, "\(outcome)")
        let name = flags.first ?? environment.keys.first ?? ""
        #expect(outcome.stderr.contains(name), "\(outcome)")
    }
}
