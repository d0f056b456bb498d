import Foundation
import OpenSpecStore

/// One page of `specs.list`: the rows, how many the whole list holds, and
/// where the next page starts (null on the last page).
public struct ChangePage: Encodable, Sendable {
    public var items: [ChangeListing]
    public var total: Int
    public var nextCursor: String?

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(items, forKey: .items)
        try container.encode(total, forKey: .total)
        try container.encode(nextCursor, forKey: .nextCursor)  // null, not absent, on the last page
    }
    enum CodingKeys: String, CodingKey { case items, total, nextCursor }
}

/// The cursor of `specs.list` as the client sees it: the last row's sort key,
/// base64url-encoded so it passes as one opaque string.
public enum ChangeCursor {
    public static func string(_ key: SpecListKey) -> String {
        Data("\(key.statusRank)\n\(key.id)\n\(key.path)".utf8).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// nil when the text is not a cursor this server made.
    public static func key(_ text: String) -> SpecListKey? {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        guard let data = Data(base64Encoded: base64), let decoded = String(data: data, encoding: .utf8) else { return nil }
        let parts = decoded.split(separator: "\n", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, let rank = Int(parts[0]), (0...2).contains(rank) else { return nil }
        return SpecListKey(statusRank: rank, path: String(parts[2]), id: String(parts[1]))
    }
}

extension SyncEngine {
    /// A page of the change list in the order of `list` (status, then path,
    /// then id). Without a search the page and the total are SQL (a keyset
    /// page and a count); a search matches ignoring case as Swift does, so
    /// it filters the rows here and pages them by the same key.
    public func changePage(projectId: String?, statuses: Set<SpecStatus>?, search: String?,
                           after cursor: SpecListKey?, limit: Int) throws -> ChangePage {
        let rows: [SpecSummary]
        let total: Int
        if let search {
            let matching = try store.specSummaries(projectId: projectId, statuses: statuses)
                .filter { $0.changeId.lowercased().contains(search) || $0.title.lowercased().contains(search) }
                .sorted { Self.precedes(SpecListKey($0), SpecListKey($1)) }
            total = matching.count
            let after = cursor.map { key in matching.filter { Self.precedes(key, SpecListKey($0)) } } ?? matching
            rows = Array(after.prefix(limit + 1))
        } else {
            total = try store.specCount(projectId: projectId, statuses: statuses)
            rows = try store.specPage(projectId: projectId, statuses: statuses, after: cursor, limit: limit + 1)
        }
        let page = Array(rows.prefix(limit))
        let names = try projectNames()
        return ChangePage(items: page.map { listing($0, project: names[$0.projectId]) }, total: total,
                          nextCursor: rows.count > limit ? page.last.map { ChangeCursor.string(SpecListKey($0)) } : nil)
    }

    /// The order SQL gives the keyset page: by status rank, then path and id
    /// byte by byte (SQLite's BINARY collation), not by Swift's string order.
    static func precedes(_ a: SpecListKey, _ b: SpecListKey) -> Bool {
        if a.statusRank != b.statusRank { return a.statusRank < b.statusRank }
        if !a.path.utf8.elementsEqual(b.path.utf8) { return a.path.utf8.lexicographicallyPrecedes(b.path.utf8) }
        return a.id.utf8.lexicographicallyPrecedes(b.id.utf8)
    }
}
