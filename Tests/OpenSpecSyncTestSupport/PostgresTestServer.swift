import Foundation

/// A private PostgreSQL server for the tests: `initdb` and `pg_ctl` in a
/// temporary folder, listening on a Unix socket in that folder only (no TCP
/// port), started once per test process and stopped when the process ends
/// (a watcher process stops it and removes the folder). As root, the
/// server's commands run as the `postgres` user: PostgreSQL refuses root.
/// Each test takes a database of its own (`newDatabaseURL`).
public enum PostgresTestServer {
    /// The folder of PostgreSQL's programs (Debian's layout), nil when it is not installed.
    public static let binFolder: String? = {
        let root = "/usr/lib/postgresql"
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? [])
            .compactMap(Int.init).sorted(by: >)
        return versions.map { "\(root)/\($0)/bin" }.first {
            FileManager.default.isExecutableFile(atPath: $0 + "/initdb") && FileManager.default.isExecutableFile(atPath: $0 + "/pg_ctl")
        }
    }()

    /// Whether the tests can run a server; `make deps` installs one.
    public static var isAvailable: Bool { binFolder != nil }
    public static let unavailableReason = "PostgreSQL's programs (initdb, pg_ctl) are not installed; `make deps` installs them"

    public struct Failure: Error, Sendable, CustomStringConvertible {
        public let description: String
    }

    /// The running server's folder (also its socket's), started on first use.
    private static let started: Result<String, Failure> = {
        do throws(Failure) { return .success(try start()) } catch { return .failure(error) }
    }()

    /// A URL of a new, empty database on the shared server (a Unix socket URL).
    public static func newDatabaseURL() throws -> String {
        let folder = try started.get()
        guard let bin = binFolder else { throw Failure(description: unavailableReason) }
        let name = "t_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        let result = try runProcess(bin + "/psql", ["-X", "-q", "-h", folder, "-U", "postgres", "-d", "postgres",
                                                    "-c", "CREATE DATABASE \(name)"])
        guard result.status == 0 else { throw Failure(description: "CREATE DATABASE failed: \(result.stderr)") }
        return "postgres://postgres@/\(name)?host=\(folder)"
    }

    /// Runs `statement` with psql in the database `url` names (one made by
    /// `newDatabaseURL`) and returns its rows, one a line, fields split by `|`.
    public static func sql(_ url: String, _ statement: String) throws -> String {
        let folder = try started.get()
        guard let bin = binFolder else { throw Failure(description: unavailableReason) }
        let path = url.split(separator: "?").first.map(String.init) ?? url
        let database = String(path.split(separator: "/").last ?? "")
        let result = try runProcess(bin + "/psql", ["-X", "-q", "-A", "-t", "-h", folder, "-U", "postgres", "-d", database,
                                                    "-c", statement])
        guard result.status == 0 else { throw Failure(description: "psql failed: \(result.stderr)") }
        return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    private static func start() throws(Failure) -> String {
        guard let bin = binFolder else { throw Failure(description: unavailableReason) }
        do {
            // Under /tmp, not TMPDIR: the socket's path must stay short, and
            // every folder above it open to the postgres user.
            var template = Array("/tmp/openspec-sync-pg-XXXXXX".utf8CString)
            guard let made = mkdtemp(&template) else { throw Failure(description: "cannot create a folder for the server") }
            let folder = String(cString: made)
            let asRoot = geteuid() == 0
            if asRoot { try checked(runProcess("/bin/chown", ["postgres:postgres", folder]), "chown") }
            func server(_ program: String, _ arguments: [String]) throws -> ProcessResult {
                asRoot ? try runProcess("/usr/sbin/runuser", ["-u", "postgres", "--", bin + "/" + program] + arguments)
                    : try runProcess(bin + "/" + program, arguments)
            }
            let data = folder + "/data"
            // Watched from the start: whatever fails below, the folder goes with this process.
            try watch(folder: folder, data: data, bin: bin, asRoot: asRoot)
            try checked(server("initdb", ["-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"]), "initdb")
            // fsync off: a test server's files are thrown away with the folder.
            let options = "-c listen_addresses='' -c unix_socket_directories='\(folder)' -c fsync=off -c max_connections=200"
            let start = (asRoot ? "/usr/sbin/runuser -u postgres -- " : "")
                + "'\(bin)/pg_ctl' -D '\(data)' -l '\(folder)/server.log' -w -t 60 -o \"\(options)\" start"
            try checked(runProcess("/bin/bash", ["-c", closingInheritedFiles + start]), "pg_ctl start")
            return folder
        } catch let failure as Failure {
            throw failure
        } catch {
            throw Failure(description: "cannot start the test PostgreSQL server: \(error)")
        }
    }

    private static func checked(_ result: ProcessResult, _ what: String) throws {
        guard result.status == 0 else { throw Failure(description: "\(what) exited \(result.status): \(result.stderr)\(result.stdout)") }
    }

    /// Starts a process that waits for this one to end, then stops the
    /// server at once and removes its folder.
    private static func watch(folder: String, data: String, bin: String, asRoot: Bool) throws {
        let stop = (asRoot ? "/usr/sbin/runuser -u postgres -- " : "") + "'\(bin)/pg_ctl' -D '\(data)' -m immediate stop"
        let script = """
            while kill -0 \(getpid()) 2>/dev/null; do sleep 1; done
            \(stop) >/dev/null 2>&1
            rm -rf '\(folder)'
            """
        // In the background of a shell that returns at once.
        let quoted = "'" + script.replacingOccurrences(of: "'", with: "'\\''") + "'"
        try checked(runProcess("/bin/bash", ["-c", closingInheritedFiles + "nohup /bin/sh -c \(quoted) >/dev/null 2>&1 </dev/null &"]),
                    "the watcher")
    }

    /// Bash words (dash takes one digit after `exec`) that close every file the shell inherited past stderr. A
    /// process that outlives its starter (the server, the watcher) must not
    /// hold the descriptor through which Foundation's `Process` learns that
    /// the starter ended: `waitUntilExit` would wait for the server.
    private static var closingInheritedFiles: String {
        "for fd in $(cd /proc/$$/fd && echo *); do if [ \"$fd\" -gt 2 ] && [ -e /proc/$$/fd/$fd ]; then eval \"exec $fd>&-\"; fi; done; "
    }
}
