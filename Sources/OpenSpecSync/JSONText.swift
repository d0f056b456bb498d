import OpenSpecFormat
import OpenSpecStore

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
        if let value { JSONArray.appendString(value, to: &bytes) } else { raw("null") }
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
