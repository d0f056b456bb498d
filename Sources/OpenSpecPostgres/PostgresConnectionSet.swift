import Foundation
import OpenSpecStore
import PostgresNIO

/// The connections of one store: one for write transactions, and readers
/// beside it, so a read (from any thread, inside a write's body too) never
/// waits for the connection a write holds. Each connection is used by one
/// thread at a time; every wait is bounded.
final class PostgresConnectionSet: @unchecked Sendable {
    // @unchecked: `idleReaders` is guarded by `lock`; `writer` only by
    // holding `writerTurn` (a semaphore of one).
    let url: DatabaseURL
    let group: any EventLoopGroup
    let timeout: TimeInterval
    /// How many idle readers are kept open; more are opened while needed,
    /// up to `maxReaders` at once (a server's threads must not open a
    /// connection each and exhaust the server's).
    let keptReaders: Int
    let maxReaders: Int
    private let readerSlots: DispatchSemaphore
    private let lock = NSLock()
    private var idleReaders: [PostgresLink] = []
    private let writerTurn = DispatchSemaphore(value: 1)
    private var writer: PostgresLink?

    init(url: DatabaseURL, group: any EventLoopGroup, timeout: TimeInterval, keptReaders: Int) {
        self.url = url
        self.group = group
        self.timeout = timeout
        self.keptReaders = keptReaders
        maxReaders = keptReaders * 4
        readerSlots = DispatchSemaphore(value: keptReaders * 4)
    }

    /// `body` with the write connection, once no other thread of this process holds it.
    func withWriter<T>(_ body: (PostgresLink) throws -> T) throws -> T {
        guard writerTurn.wait(timeout: .now() + timeout) == .success else {
            throw PostgresFailure.timedOut(database: url.redacted, waitingFor: .writeTurn, seconds: Int(timeout))
        }
        defer { writerTurn.signal() }
        let link: PostgresLink
        if let current = writer, current.isUsable {
            link = current
        } else {
            link = try PostgresLink.open(url, group: group, timeout: timeout)
            writer = link
        }
        return try body(link)
    }

    /// `body` with a reader of its own (an idle one, or a new one).
    func withReader<T>(_ body: (PostgresLink) throws -> T) throws -> T {
        guard readerSlots.wait(timeout: .now() + timeout) == .success else {
            throw PostgresFailure.timedOut(database: url.redacted, waitingFor: .connection, seconds: Int(timeout))
        }
        defer { readerSlots.signal() }
        let idle = lock.withLock { idleReaders.popLast() }
        let link = try idle.flatMap { $0.isUsable ? $0 : nil } ?? PostgresLink.open(url, group: group, timeout: timeout)
        defer { putBack(link) }
        return try body(link)
    }

    private func putBack(_ link: PostgresLink) {
        guard link.isUsable else { return }
        let kept = lock.withLock {
            guard idleReaders.count < keptReaders else { return false }
            idleReaders.append(link)
            return true
        }
        if !kept { link.close() }
    }

    /// Closes every connection; a later call opens new ones.
    func closeAll() {
        let readers = lock.withLock {
            defer { idleReaders = [] }
            return idleReaders
        }
        readers.forEach { $0.close() }
        if writerTurn.wait(timeout: .now() + timeout) == .success {
            writer?.close()
            writer = nil
            writerTurn.signal()
        }
    }
}
