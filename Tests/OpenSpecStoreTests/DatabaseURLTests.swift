import Foundation
import OpenSpecStore
import Testing

@Suite("Database URLs")
struct DatabaseURLTests {
    @Test("postgres:// and postgresql:// with every part, percent-decoded")
    func fullURL() throws {
        let url = try DatabaseURL("postgresql://sync%20user:p%40ss%3Aw%2Frd@db.example.org:6543/open%2Fspec?sslmode=require&application_name=sync&connect_timeout=5")
        #expect(url.user == "sync user" && url.password == "p@ss:w/rd" && url.database == "open/spec")
        #expect(url.endpoint == .tcp(host: "db.example.org", port: 6543) && url.socketPath == nil)
        #expect(url.sslMode == .require && url.applicationName == "sync" && url.connectTimeout == 5)
        let short = try DatabaseURL("POSTGRES://me@localhost/app")
        #expect(short.user == "me" && short.password == nil && short.database == "app")
        #expect(short.endpoint == .tcp(host: "localhost", port: 5432) && short.sslMode == nil)
        let bare = try DatabaseURL("postgres://db.internal")
        #expect(bare.user == nil && bare.database == nil && bare.endpoint == .tcp(host: "db.internal", port: 5432))
    }

    @Test("an IPv6 host in brackets, with and without a port")
    func ipv6() throws {
        #expect(try DatabaseURL("postgres://u@[::1]:5433/d").endpoint == .tcp(host: "::1", port: 5433))
        #expect(try DatabaseURL("postgres://[fe80::1]/d").endpoint == .tcp(host: "fe80::1", port: 5432))
        #expect(try DatabaseURL("postgres://[::1]:5433/d").description == "postgres://[::1]:5433/d")
    }

    @Test("a Unix socket: no host, host= in the query, or an encoded folder as the host")
    func sockets() throws {
        let local = try DatabaseURL("postgres:///sync")
        #expect(local.endpoint == .socket(folder: "/var/run/postgresql", port: 5432) && local.database == "sync")
        #expect(local.socketPath == "/var/run/postgresql/.s.PGSQL.5432")
        let query = try DatabaseURL("postgresql://me:pw@/sync?host=/tmp/pg&port=5433")
        #expect(query.endpoint == .socket(folder: "/tmp/pg", port: 5433) && query.user == "me" && query.password == "pw")
        #expect(query.socketPath == "/tmp/pg/.s.PGSQL.5433")
        let encoded = try DatabaseURL("postgres://me@%2Fvar%2Frun%2Fpostgresql/sync")
        #expect(encoded.endpoint == .socket(folder: "/var/run/postgresql", port: 5432))
        #expect(try DatabaseURL("postgres://me@remote/sync?host=other.example").endpoint == .tcp(host: "other.example", port: 5432),
                "host= in the query wins, as in libpq")
    }

    @Test("the description puts *** where the password was, and reads back as the same URL without it")
    func redacted() throws {
        let url = try DatabaseURL("postgres://ann:s3cr3t@db:5432/sync?sslmode=verify-full")
        #expect(url.description == "postgres://ann:***@db:5432/sync?sslmode=verify-full")
        #expect("\(url)" == url.redacted && !"\(url)".contains("s3cr3t"))
        let socket = try DatabaseURL("postgres://ann:s3cr3t@/sync?host=/run/pg%20x&port=6000&password=other")
        #expect(socket.password == "other")
        #expect(socket.description == "postgres://ann:***@/sync?host=/run/pg%20x&port=6000")
        var again = try DatabaseURL(socket.description.replacingOccurrences(of: ":***", with: ""))
        again.password = "other"
        #expect(again == socket)
        #expect(try DatabaseURL("postgres://ann@db/sync").description == "postgres://ann@db:5432/sync")
        #expect(try DatabaseURL("postgres://:pw@db/sync").description == "postgres://:***@db:5432/sync")
        for text in ["postgresql://a%20b:p%40ss%2F%25@[::1]:6000/d%2Fb?sslmode=disable&connect_timeout=3",
                     "postgres://u:p@/d?host=/run/pg&port=6000", "postgres://:only-a-password@h/d"] {
            let url = try DatabaseURL(text)
            #expect(try DatabaseURL(url.string(revealingPassword: true)) == url, "what a child process is handed reads back the same")
        }
    }

    @Test("what is wrong is named, and no error repeats the password or any other part")
    func errors() {
        let secret = "Pa55-w0rd"
        let cases: [(String, DatabaseURLError)] = [
            ("mysql://u:\(secret)@h/d", .notPostgres),
            ("u:\(secret)@h/d", .notPostgres),
            ("postgres://u:\(secret)/d", .badPort),                       // no @: the password reads as a port
            ("postgres://u:\(secret)@h:99999/d", .badPort),
            ("postgres://u:\(secret)@h:54x2/d", .badPort),
            ("postgres://u:\(secret)%zz@h/d", .badPercentEncoding(.password)),
            ("postgres://u%ff:\(secret)@h/d", .badPercentEncoding(.user)),
            ("postgres://u:\(secret)@[::1/d", .unclosedBracket),
            ("postgres://u:\(secret)@h1,h2/d", .severalHosts),
            ("postgres://u:\(secret)@h/d?sslmode=\(secret)", .badSSLMode),
            ("postgres://u:\(secret)@h/d?\(secret)=1", .unknownParameter(nil)),
            ("postgres://u:\(secret)@h/d?options=-c", .unknownParameter("options")),
            ("postgres://u:\(secret)@h/d?\(secret)", .parameterWithoutValue),
            ("postgres://u:\(secret)@h/d?connect_timeout=\(secret)", .badConnectTimeout),
            ("postgres://u:\(secret)@h/d?host=", .emptyHost),
        ]
        for (text, expected) in cases {
            #expect(throws: expected, "\(expected)") { _ = try DatabaseURL(text) }
            do {
                _ = try DatabaseURL(text)
            } catch {
                #expect(!error.description.contains(secret) && !"\(error)".contains(secret))
                #expect(!error.description.contains("0rd"))
            }
        }
    }

    @Test("what counts as meant for a database URL")
    func looksLikeURL() {
        #expect(DatabaseURL.looksLikeURL("postgres://x") && DatabaseURL.looksLikeURL("PostgreSQL://x"))
        #expect(!DatabaseURL.looksLikeURL("/var/lib/sync.sqlite") && !DatabaseURL.looksLikeURL("postgres:/x"))
    }
}
