import Foundation

/// The outcomes of edits carried by another caller's group commit, kept for
/// the callers of this process that wait for them: a caller says which
/// write it waits for before it waits for the project lock, the holder posts
/// the outcomes of every edit its commit carried, and the caller takes its
/// own once it has the lock, instead of attempting the write again.
final class WriteOutcomeBoard: @unchecked Sendable {
    // Guards `waiting` and `posted`.
    private let lock = NSLock()
    /// The writes a caller of this process waits for.
    private var waiting: Set<Int64> = []
    /// Their outcomes, once an attempt carried them.
    private var posted: [Int64: WriteOutcome] = [:]

    /// A caller of this process will wait for write `id`.
    func expect(_ id: Int64) {
        lock.lock(); defer { lock.unlock() }
        waiting.insert(id)
    }

    /// The outcomes of one attempt; only those of awaited writes are kept.
    func post(_ outcomes: EditOutcomes) {
        lock.lock(); defer { lock.unlock() }
        for (id, outcome) in outcomes where waiting.contains(id) { posted[id] = outcome }
    }

    /// The outcome of write `id` if another caller's attempt carried it.
    func outcome(of id: Int64) -> WriteOutcome? {
        lock.lock(); defer { lock.unlock() }
        return posted[id]
    }

    /// The caller of write `id` is done with it.
    func forget(_ id: Int64) {
        lock.lock(); defer { lock.unlock() }
        waiting.remove(id)
        posted[id] = nil
    }
}
