import Foundation
import OpenSpecPostgres
import OpenSpecStore
import OpenSpecSyncTestSupport
import Testing

/// The store contract (`StoreConformance`) on the PostgreSQL store, against
/// a private server (`PostgresTestServer`), a new database each check.
@Suite("Store conformance: PostgreSQL", .enabled(if: PostgresTestServer.isAvailable, Comment(rawValue: PostgresTestServer.unavailableReason)))
struct StoreConformancePostgresTests {
    static func makeStore(concurrentReads: Bool = false) throws -> PostgresStore {
        try PostgresStore(url: DatabaseURL(PostgresTestServer.newDatabaseURL()), concurrentReads: concurrentReads, timeout: 30)
    }

    @Test("every check of the store contract", arguments: StoreConformance.Check.allCases)
    func conforms(_ check: StoreConformance.Check) throws {
        try StoreConformance { try Self.makeStore() }.run(check)
    }

    @Test("the same checks on a server's store (more readers kept open)", arguments: StoreConformance.Check.allCases)
    func conformsWithConcurrentReads(_ check: StoreConformance.Check) throws {
        try StoreConformance { try Self.makeStore(concurrentReads: true) }.run(check)
    }
}
