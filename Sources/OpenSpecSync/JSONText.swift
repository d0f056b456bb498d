import OpenSpecFormat

/// Small hand-written JSON for the columns written once per change on a full
/// import (tasks, issues): Foundation's encoder, or building Strings scalar
/// by scalar, costs more than the parse itself. Works on UTF-8 bytes.
struct JSONText {
    private(set) var bytes: [UInt8] = []

    init() { bytes.reserveCapacity(256) }

    var text: String { String(decoding: bytes, as: UTF8.self) }

    mutating func raw(_ literal: StaticString) {
        literal.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    mutating func int(_ value: Int) {
        bytes.append(contentsOf: String(value).utf8)
    }

    mutating func string(_ value: String?) {
        guard var text = value else { raw("null"); return }
        bytes.append(UInt8(ascii: "\""))
        text.withUTF8 { utf8 in
            var start = 0
            for (index, byte) in utf8.enumerated() where byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start..<index]))
                switch byte {
                case UInt8(ascii: "\""): raw("\\\"")
                case UInt8(ascii: "\\"): raw("\\\\")
                case UInt8(ascii: "\n"): raw("\\n")
                case UInt8(ascii: "\r"): raw("\\r")
                case UInt8(ascii: "\t"): raw("\\t")
                default:
                    let hex: [UInt8] = Array("0123456789abcdef".utf8)
                    raw("\\u00")
                    bytes.append(hex[Int(byte >> 4)])
                    bytes.append(hex[Int(byte & 0xF)])
                }
                start = index + 1
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start...]))
        }
        bytes.append(UInt8(ascii: "\""))
    }

    mutating func int(_ value: Int?) {
        if let value { int(value) } else { raw("null") }
    }
}

/// The JSON columns of a spec row.
enum ColumnJSON {

    static func issues(_ issues: [ValidationIssue]) -> String {
        guard !issues.isEmpty else { return "[]" }
        var json = JSONText()
        json.raw("[")
        for (index, issue) in issues.enumerated() {
            if index > 0 { json.raw(",") }
            json.raw("{\"level\":"); json.string(issue.level.rawValue)
            json.raw(",\"path\":"); json.string(issue.path)
            json.raw(",\"message\":"); json.string(issue.message)
            json.raw(",\"line\":"); json.int(issue.line)
            json.raw("}")
        }
        json.raw("]")
        return json.text
    }
}
