import Foundation
import OpenSpecSyncTestSupport
import Testing

/// `--database-url` and `OPENSPEC_SYNC_DATABASE_URL` as a user meets them:
/// the choice of database, its mistakes, and a password never printed.
@Suite("Database URL on the command line")
struct DatabaseURLCLITests {
    static let password = "Pa55-w0rd"
    /// Nothing listens on port 1: the PostgreSQL store fails to connect, and says where.
    static let url = "postgres://sync:\(password)@127.0.0.1:1/openspec"
    static let shown = "postgres://sync:***@127.0.0.1:1/openspec"

    private func expectNoPassword(_ result: ProcessResult, _ context: String) {
        #expect(!result.stderr.contains(Self.password) && !result.stdout.contains(Self.password), "\(context): \(result.stderr)")
    }

    @Test("every command takes --database-url, on the quick path too, and names the database with the password hidden")
    func everyCommand() throws {
        let cli = try CLI()
        let commands = [["status"], ["init"], ["reconcile"], ["reconcile", "--all"], ["history"], ["list"], ["conflicts"]]
        for command in commands {
            let result = try cli.run(command + ["--database-url", Self.url])
            #expect(result.status == 1, "\(command): \(result.stderr)")
            #expect(result.stderr.contains("cannot connect to the PostgreSQL database \(Self.shown)"), "\(command): \(result.stderr)")
            expectNoPassword(result, "\(command)")
        }
        let help = try cli.run(["status", "--help"], environment: ["COLUMNS": "200"])
        #expect(help.stdout.contains("--database-url <url>") && help.stdout.contains("OPENSPEC_SYNC_DATABASE_URL"), "\(help.stdout)")
    }

    @Test("a file and a URL together are a usage error that says which to drop")
    func fileAndURL() throws {
        let cli = try CLI()
        for arguments in [["reconcile", "--db", cli.dbPath, "--database-url", Self.url],
                          ["reconcile", "--db=\(cli.dbPath)", "--database-url=\(Self.url)"]] {
            let both = try cli.run(arguments)
            #expect(both.status == 64, "\(arguments): \(both.stderr)")
            #expect(both.stderr.contains("drop --database-url to use the file, or --db to use the database URL"), "\(both.stderr)")
            expectNoPassword(both, "\(arguments)")
        }
        // The test's database comes through OPENSPEC_SYNC_DB: the URL's variable beside it is as much a conflict.
        let variables = try cli.run(["status"], environment: ["OPENSPEC_SYNC_DATABASE_URL": Self.url])
        #expect(variables.status == 64 && variables.stderr.contains("drop OPENSPEC_SYNC_DATABASE_URL"), "\(variables.stderr)")
        expectNoPassword(variables, "variables")
        // A flag wins over both variables.
        let flag = try cli.run(["status", "--db", cli.dbPath, "--json"], environment: ["OPENSPEC_SYNC_DATABASE_URL": Self.url])
        #expect(flag.status == 0, "\(flag.stderr)")
    }

    @Test("a URL given to --db, or one that does not parse, is named without repeating it")
    func mistakes() throws {
        let cli = try CLI()
        let asFile = try cli.run(["status", "--db", Self.url])
        #expect(asFile.status == 64 && asFile.stderr.contains("give a database URL with --database-url"), "\(asFile.stderr)")
        expectNoPassword(asFile, "--db URL")
        let bad = try cli.run(["status", "--database-url", "postgres://sync:\(Self.password)/openspec"])
        #expect(bad.status == 64 && bad.stderr.contains("--database-url: the port of the database URL"), "\(bad.stderr)")
        expectNoPassword(bad, "bad URL")
        let hooks = try cli.run(["hooks", "install", "--database-url", Self.url])
        #expect(hooks.status == 64 && hooks.stderr.contains("git hooks sync into a SQLite file"), "\(hooks.stderr)")
        expectNoPassword(hooks, "hooks install")
    }
}
