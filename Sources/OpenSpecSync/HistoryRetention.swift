import Foundation
import OpenSpecStore

/// How long the sync history is kept: rows older than `days` go, but each
/// change keeps its newest `keep` rows, and so do each project's run rows.
public struct HistoryRetention: Sendable, Equatable {
    public var days: Int
    public var keep: Int

    public static let defaultDays = 90
    public static let defaultKeep = 1000
    /// How often the daemon prunes, after once at start.
    public static let interval: TimeInterval = 3600

    public init(days: Int = defaultDays, keep: Int = defaultKeep) {
        self.days = days; self.keep = keep
    }
}

extension SyncEngine {
    /// Deletes the history rows `retention` lets go, as of `now`. Returns how many went.
    @discardableResult
    public func pruneHistory(_ retention: HistoryRetention, now: Date = Date()) throws -> Int {
        let cutoff = now.addingTimeInterval(-Double(retention.days) * 86_400)
        return try store.write { try $0.pruneHistory(before: cutoff, keep: retention.keep) }
    }
}
