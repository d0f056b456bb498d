import Foundation

/// A JSON array of strings, for `filesChanged` and `pendingPaths`: written
/// for every history row, so it avoids JSONEncoder's per-call cost, and
/// copies runs of plain bytes rather than appending scalar by scalar.
package enum JSONArray {
    package static func encode(_ strings: [String]) -> String {
        var out: [UInt8] = [UInt8(ascii: "[")]
        out.reserveCapacity(strings.reduce(2) { $0 + $1.utf8.count + 3 })
        for (index, string) in strings.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            appendString(string, to: &out)
        }
        out.append(UInt8(ascii: "]"))
        return String(decoding: out, as: UTF8.self)
    }

    /// `value` as a quoted JSON string, escaped, appended to `out`.
    package static func appendString(_ value: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        var text = value
        text.withUTF8 { utf8 in
            var start = 0
            for (position, byte) in utf8.enumerated() where byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
                out.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start..<position]))
                out.append(UInt8(ascii: "\\"))
                switch byte {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"): out.append(byte)
                case UInt8(ascii: "\n"): out.append(UInt8(ascii: "n"))
                case UInt8(ascii: "\r"): out.append(UInt8(ascii: "r"))
                case UInt8(ascii: "\t"): out.append(UInt8(ascii: "t"))
                default:
                    let hex = Array("0123456789abcdef".utf8)
                    out += Array("u00".utf8) + [hex[Int(byte >> 4)], hex[Int(byte & 0xF)]]
                }
                start = position + 1
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start...]))
        }
        out.append(UInt8(ascii: "\""))
    }

    /// The strings of a JSON array of strings, read without Foundation when
    /// none holds an escape (nearly always: paths); JSONDecoder otherwise.
    /// Nil when `text` is not such an array.
    package static func decode(_ text: String) -> [String]? {
        if let plain = decodePlain(text) { return plain }
        return try? JSONDecoder().decode([String].self, from: Data(text.utf8))
    }

    /// `["a","b"]` with no backslash inside a string, whitespace between
    /// the tokens allowed; nil for anything else (then `decode` asks Foundation).
    package static func decodePlain(_ text: String) -> [String]? {
        var text = text
        return text.withUTF8 { bytes -> [String]? in
            var strings: [String] = []
            var at = 0
            func skipSpace() {
                while at < bytes.count, bytes[at] == 0x20 || bytes[at] == 0x0A || bytes[at] == 0x0D || bytes[at] == 0x09 { at += 1 }
            }
            skipSpace()
            guard at < bytes.count, bytes[at] == UInt8(ascii: "[") else { return nil }
            at += 1
            skipSpace()
            if at < bytes.count, bytes[at] == UInt8(ascii: "]") {
                at += 1
                skipSpace()
                return at == bytes.count ? [] : nil
            }
            while true {
                guard at < bytes.count, bytes[at] == UInt8(ascii: "\"") else { return nil }
                let start = at + 1
                at = start
                while at < bytes.count, bytes[at] != UInt8(ascii: "\""), bytes[at] != UInt8(ascii: "\\"), bytes[at] >= 0x20 { at += 1 }
                guard at < bytes.count, bytes[at] == UInt8(ascii: "\"") else { return nil }
                strings.append(String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<at]), as: UTF8.self))
                at += 1
                skipSpace()
                guard at < bytes.count else { return nil }
                if bytes[at] == UInt8(ascii: "]") { break }
                guard bytes[at] == UInt8(ascii: ",") else { return nil }
                at += 1
                skipSpace()
            }
            at += 1
            skipSpace()
            return at == bytes.count ? strings : nil
        }
    }
}
