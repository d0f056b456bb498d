import ArgumentParser
import Foundation
import OpenSpecPostgres
import OpenSpecSync

@main
struct OpenSpecSyncCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "openspec-sync",
        abstract: "Keep an OpenSpec folder and a SQLite database in step, inside git.",
        discussion: """
            The files under openspec/ are the source of truth; the database follows them. \
            Register a repository with `init`, bring the database up to date with \
            `reconcile`, and read it with `list`, `show`, `status` and `history`. \
            Keep it up to date by itself with `hooks install` (sync after git commands) \
            and `run` (a scan loop, and optionally a file watcher). Change files through the \
            database with `edit` and `task`; see kept conflicts with `conflicts` and `resolve`. \
            Serve the HTTP API for a web UI with `serve` (or `run --serve`).

            Exit codes:
              0  success
              1  failure
              3  the run finished but some files could not be synced (see `status`)
              4  the named project, change, task or conflict does not exist
              5  an edit is saved but waits to be written (mid-merge, index.lock, ...)
              6  conflict: the file changed on disk, the file won and the edit is kept
              64 bad arguments
            """,
        version: OpenSpecSyncVersion.current,
        subcommands: [Init.self, Reconcile.self, List.self, Show.self, Status.self, History.self,
                      Edit.self, TaskCommand.self, Conflicts.self, Resolve.self, Log.self, Rollback.self,
                      RunDaemon.self, Serve.self, Hooks.self, Hook.self]
    )

    static func main() async {
        let argv = CommandLine.arguments
        // Database URLs open a PostgresStore (only stored here: nothing connects until one is given).
        StoreOpener.registerPostgres { url, concurrentReads in try PostgresStore(url: url, concurrentReads: concurrentReads) }
        if Hook.runIfScripted(argv) || Reconcile.runIfPlain(argv) || Init.runIfPlain(argv) { return }
        await main(nil)
    }
}

/// Arguments written the way scripts write them: long options in separate
/// words, each at most once, values that do not look like options, and
/// (`terminator`) everything after a `--`. The two commands that run on every
/// commit, and `init`, read these without ArgumentParser, whose model of a command costs
/// a few milliseconds; nil for anything else (help, `--opt=value`, an
/// unknown or repeated option, a mistake to report), which goes through
/// ArgumentParser as usual.
struct PlainArguments {
    var values: [String: String] = [:]
    var flags: Set<String> = []
    var rest: [String] = []

    init?(_ words: ArraySlice<String>, values valueNames: Set<String>, flags flagNames: Set<String> = [], terminator: Bool = false) {
        var index = words.startIndex
        while index < words.endIndex {
            let word = words[index]
            if terminator && word == "--" {
                rest = Array(words[(index + 1)...])
                return
            } else if valueNames.contains(word) {
                guard index + 1 < words.endIndex, values[word] == nil, !words[index + 1].hasPrefix("-") else { return nil }
                values[word] = words[index + 1]
                index += 2
            } else if flagNames.contains(word), !flags.contains(word) {
                flags.insert(word)
                index += 1
            } else {
                return nil
            }
        }
        if terminator { return nil }  // the scripts always pass `--`
    }
}

/// Runs a command read by `PlainArguments`, exiting as ArgumentParser would:
/// with the command's exit code, or 1 after printing an unexpected error.
func runPlain(_ execute: () throws -> Void) {
    do {
        try execute()
    } catch let code as ExitCode {
        Foundation.exit(code.rawValue)
    } catch {
        printError(errorText(error))
        Foundation.exit(1)
    }
}

/// Options every command shares.
struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "The SQLite database file (default: $OPENSPEC_SYNC_DB, else openspec-sync/openspec-sync.sqlite "
            + "in $XDG_DATA_HOME or ~/.local/share).",
        valueName: "path"))
    var db: String?

    @Option(name: .customLong("database-url"), help: ArgumentHelp(
        "A PostgreSQL database instead of the file: postgres://user:password@host:port/database, "
            + "or postgres:///database?host=/var/run/postgresql for a local socket "
            + "(default: $OPENSPEC_SYNC_DATABASE_URL). Shown everywhere with the password as ***.",
        valueName: "url"))
    var databaseURL: String?

    /// This command's settings: the environment, read here and nowhere else, and the database flags.
    func settings() throws -> Settings { try Self.settings(db: db, databaseURL: databaseURL) }

    /// Settings that cannot be used are a usage error (exit 64), in words that name the flag or variable.
    static func settings(db: String?, databaseURL: String?) throws -> Settings {
        let settings: Settings
        do {
            settings = try Settings(environment: ProcessInfo.processInfo.environment, databaseFlag: db, databaseURLFlag: databaseURL)
        } catch {
            throw ValidationError(error.description)
        }
        Trace.enabled = settings.trace
        return settings
    }

    func engine() throws -> SyncEngine { try Self.engine(try settings()) }

    static func engine(_ settings: Settings) throws -> SyncEngine {
        Trace.mark("start")
        return try SyncEngine(settings: settings)
    }
}

/// Runs `body`, turning library errors into a message and an exit code.
func perform(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let error as ExitCode {
        throw error
    } catch let error as ValidationError {
        printError(error.message)
        throw ExitCode(64)
    } catch let error as SyncError {
        let wording = CLIErrorWording(error)
        printError(wording.text)
        throw ExitCode(wording.exit.rawValue)
    } catch {
        printError("\(error)")
        throw ExitCode(1)
    }
}

func printError(_ message: String) {
    FileHandle.standardError.write(Data("openspec-sync: error: \(message)\n".utf8))
}

func printJSON<T: Encodable>(_ value: T) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    encoder.dateEncodingStrategy = .iso8601
    FileHandle.standardOutput.write(try encoder.encode(value))
    FileHandle.standardOutput.write(Data("\n".utf8))
}
