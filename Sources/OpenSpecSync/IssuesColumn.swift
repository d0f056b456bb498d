import Foundation
import OpenSpecFormat

/// Reads the `issues` column back (what `ColumnJSON.issues` writes) by
/// hand: `specs.get` reads it on every call, and JSONDecoder's decode of it
/// showed in that reply's profile. Anything else it finds there (another
/// shape, an escape it does not read) goes to JSONDecoder.
enum IssuesColumn {
    static func decode(_ text: String) -> [ValidationIssue] {
        if let issues = decodeWritten(text) { return issues }
        return (try? JSONDecoder().decode([ValidationIssue].self, from: Data(text.utf8))) ?? []
    }

    /// `[{"level":…,"path":…,"message":…,"line":…|null},…]`; nil for anything else.
    static func decodeWritten(_ text: String) -> [ValidationIssue]? {
        var text = text
        return text.withUTF8 { bytes -> [ValidationIssue]? in
            var reader = Reader(bytes: bytes)
            var issues: [ValidationIssue] = []
            guard reader.take("[") else { return nil }
            if reader.take("]") { return reader.atEnd ? [] : nil }
            repeat {
                guard reader.take("{"), reader.take("\"level\":"), let levelText = reader.string(),
                      let level = IssueLevel(rawValue: levelText),
                      reader.take(",\"path\":"), let path = reader.string(),
                      reader.take(",\"message\":"), let message = reader.string(),
                      reader.take(",\"line\":") else { return nil }
                let line: Int?
                if reader.take("null") { line = nil } else { guard let number = reader.integer() else { return nil }; line = number }
                guard reader.take("}") else { return nil }
                issues.append(ValidationIssue(level: level, path: path, message: message, line: line))
            } while reader.take(",")
            return reader.take("]") && reader.atEnd ? issues : nil
        }
    }

    private struct Reader {
        let bytes: UnsafeBufferPointer<UInt8>
        var at = 0

        var atEnd: Bool { at == bytes.count }

        mutating func take(_ literal: StaticString) -> Bool {
            let count = literal.utf8CodeUnitCount
            guard at + count <= bytes.count else { return false }
            let matches = literal.withUTF8Buffer { expected in
                (0..<count).allSatisfy { bytes[at + $0] == expected[$0] }
            }
            if matches { at += count }
            return matches
        }

        /// A JSON string with the escapes `JSONArray.appendString` writes
        /// (\" \\ \n \r \t \u00XX); nil at any other escape.
        mutating func string() -> String? {
            guard at < bytes.count, bytes[at] == UInt8(ascii: "\"") else { return nil }
            at += 1
            var out: [UInt8] = []
            var start = at
            while at < bytes.count {
                let byte = bytes[at]
                if byte == UInt8(ascii: "\"") {
                    out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<at]))
                    at += 1
                    return String(decoding: out, as: UTF8.self)
                }
                if byte < 0x20 { return nil }
                if byte == UInt8(ascii: "\\") {
                    out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<at]))
                    guard at + 1 < bytes.count else { return nil }
                    switch bytes[at + 1] {
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(bytes[at + 1]); at += 2
                    case UInt8(ascii: "n"): out.append(0x0A); at += 2
                    case UInt8(ascii: "r"): out.append(0x0D); at += 2
                    case UInt8(ascii: "t"): out.append(0x09); at += 2
                    case UInt8(ascii: "u"):
                        // Only \u00XX (a control character); anything wider goes to JSONDecoder.
                        guard at + 5 < bytes.count, bytes[at + 2] == UInt8(ascii: "0"), bytes[at + 3] == UInt8(ascii: "0"),
                              let high = Self.hex(bytes[at + 4]), let low = Self.hex(bytes[at + 5]), high < 8 else { return nil }
                        out.append(high << 4 | low)
                        at += 6
                    default: return nil
                    }
                    start = at
                    continue
                }
                at += 1
            }
            return nil
        }

        mutating func integer() -> Int? {
            var value = 0
            let negative = take("-")
            let first = at
            while at < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[at]), at - first < 18 {
                value = value * 10 + Int(bytes[at] - UInt8(ascii: "0"))
                at += 1
            }
            return at > first ? (negative ? -value : value) : nil
        }

        static func hex(_ byte: UInt8) -> UInt8? {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
            default: return nil
            }
        }
    }
}
