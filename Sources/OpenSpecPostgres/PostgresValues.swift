import Foundation
import OpenSpecStore
import PostgresNIO

/// A statement's argument. Dates are kept as the SQLite store keeps them
/// (`DateText`: UTC to the millisecond, text that sorts as time does), so a
/// record reads back the same from either store.
enum PGValue {
    case text(String?)
    case int(Int?)
    case bool(Bool?)
    case bytes(Data?)

    static func date(_ date: Date?) -> PGValue { .text(DateText.string(date)) }

    /// A text column's bytes up to the first NUL (as the SQLite store binds
    /// them: PostgreSQL's text cannot hold a NUL).
    static func columnText(_ text: ColumnText?) -> PGValue {
        guard let bytes = text?.utf8 else { return .text(nil) }
        let end = bytes.firstIndex(of: 0) ?? bytes.endIndex
        return .text(String(decoding: bytes[..<end], as: UTF8.self))
    }

    static func bindings(_ values: [PGValue]) -> PostgresBindings {
        var bindings = PostgresBindings(capacity: values.count)
        for value in values {
            switch value {
            case let .text(text): bindings.append(text)
            case let .int(number): bindings.append(number.map(Int64.init))
            case let .bool(flag): bindings.append(flag)
            case let .bytes(data): bindings.append(data.map { ByteBuffer(bytes: $0) })
            }
        }
        return bindings
    }
}

/// One row of a result, read by column name (PostgreSQL folds unquoted
/// names to lower case).
struct PGRow {
    let row: PostgresRandomAccessRow

    init(_ row: PostgresRandomAccessRow) { self.row = row }

    func decode<T: PostgresDecodable>(_ column: String, as type: T.Type = T.self) throws -> T {
        try row[column.lowercased()].decode(T.self)
    }

    func string(_ column: String) throws -> String { try decode(column) }
    func optionalString(_ column: String) throws -> String? { try decode(column) }
    func int(_ column: String) throws -> Int { try decode(column) }
    func optionalInt(_ column: String) throws -> Int? { try decode(column) }
    func int64(_ column: String) throws -> Int64 { try decode(column) }
    func bool(_ column: String) throws -> Bool { try decode(column) }
    func optionalBool(_ column: String) throws -> Bool? { try decode(column) }

    func data(_ column: String) throws -> Data? {
        try (decode(column) as ByteBuffer?).map { Data($0.readableBytesView) }
    }

    func optionalDate(_ column: String) throws -> Date? {
        try optionalString(column).flatMap(DateText.date)
    }

    func date(_ column: String) throws -> Date {
        let text = try string(column)
        guard let date = DateText.date(text) else { throw PostgresRecordError.notADate(column: column, text: text) }
        return date
    }
}

/// A stored value this version cannot read.
enum PostgresRecordError: Error, CustomStringConvertible {
    case notADate(column: String, text: String)
    case unknownValue(column: String, text: String)

    var description: String {
        switch self {
        case let .notADate(column, text): return "\(column) holds \"\(text)\", not a date"
        case let .unknownValue(column, text): return "\(column) holds \"\(text)\", not a value this version knows"
        }
    }
}

enum PostgresSQL {
    /// The statement with SQLite's `?` placeholders numbered as PostgreSQL's
    /// `$1, $2, ...`; a `?` inside a quoted string or name is left alone.
    static func numbered(_ sql: String) -> String {
        var out = ""
        out.reserveCapacity(sql.utf8.count + 16)
        var number = 0
        var quote: Character?
        for character in sql {
            if let open = quote {
                if character == open { quote = nil }
                out.append(character)
            } else if character == "'" || character == "\"" {
                quote = character
                out.append(character)
            } else if character == "?" {
                number += 1
                out += "$\(number)"
            } else {
                out.append(character)
            }
        }
        return out
    }

    /// `status IN (...)` for a set of statuses (the values are the enum's own).
    /// No statuses match nothing (PostgreSQL has no empty `IN ()`).
    static func statusIn(_ statuses: Set<SpecStatus>, column: String = "status") -> String {
        if statuses.isEmpty { return "FALSE" }
        return "\(column) IN (" + statuses.map { "'\($0.rawValue)'" }.sorted().joined(separator: ",") + ")"
    }
}
