import Foundation
import OpenSpecStore
#if canImport(Glibc)
import Glibc
#endif

/// JSON written straight into bytes, for the replies a client polls
/// (`specs.get`, `projects.list`, `sync.getStatus`): JSONEncoder's boxing of
/// every value, key and date showed at the top of their profiles. The output
/// means what JSONEncoder's would (`encode` in Procedures.swift): same keys,
/// optional values left out when nil unless written as `null` on purpose,
/// ISO 8601 dates in whole seconds, slashes unescaped.
struct JSONWriter {
    private(set) var bytes: [UInt8] = []
    /// No value written yet in the innermost object or array: no comma before the next.
    private var fresh = true

    init(capacity: Int = 1024) { bytes.reserveCapacity(capacity) }

    var data: Data { Data(bytes) }

    // MARK: Containers

    mutating func object(_ body: (inout JSONWriter) throws -> Void) rethrows {
        bytes.append(UInt8(ascii: "{"))
        fresh = true
        try body(&self)
        bytes.append(UInt8(ascii: "}"))
        fresh = false
    }

    /// An array of `items`, each written by `element` (which writes one value).
    mutating func array<S: Sequence>(_ items: S, _ element: (inout JSONWriter, S.Element) throws -> Void) rethrows {
        bytes.append(UInt8(ascii: "["))
        fresh = true
        for item in items {
            separate()
            try element(&self, item)
            fresh = false
        }
        bytes.append(UInt8(ascii: "]"))
        fresh = false
    }

    /// `"key":`, after a comma unless it is the object's first.
    mutating func key(_ key: StaticString) {
        separate()
        bytes.append(UInt8(ascii: "\""))
        key.withUTF8Buffer { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: [UInt8(ascii: "\""), UInt8(ascii: ":")])
        fresh = true  // the value follows without a comma
    }

    private mutating func separate() {
        if !fresh { bytes.append(UInt8(ascii: ",")) }
        fresh = false
    }

    // MARK: Values

    mutating func null() { append("null") }

    mutating func string(_ value: String) { JSONArray.appendString(value, to: &bytes); fresh = false }

    mutating func int<I: BinaryInteger>(_ value: I) { bytes.append(contentsOf: String(value).utf8); fresh = false }

    mutating func bool(_ value: Bool) { append(value ? "true" : "false") }

    mutating func strings(_ values: [String]) { array(values) { $0.string($1) } }

    /// `"2026-01-02T03:04:05Z"`: UTC, whole seconds (the fraction dropped), as
    /// JSONEncoder's `.iso8601` writes it.
    mutating func date(_ date: Date) {
        var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        gmtime_r(&seconds, &parts)
        bytes.append(UInt8(ascii: "\""))
        digits(Int(parts.tm_year) + 1900, 4); bytes.append(UInt8(ascii: "-"))
        digits(Int(parts.tm_mon) + 1, 2); bytes.append(UInt8(ascii: "-"))
        digits(Int(parts.tm_mday), 2); bytes.append(UInt8(ascii: "T"))
        digits(Int(parts.tm_hour), 2); bytes.append(UInt8(ascii: ":"))
        digits(Int(parts.tm_min), 2); bytes.append(UInt8(ascii: ":"))
        digits(Int(parts.tm_sec), 2)
        bytes.append(contentsOf: [UInt8(ascii: "Z"), UInt8(ascii: "\"")])
        fresh = false
    }

    private mutating func digits(_ value: Int, _ width: Int) {
        var place = 1
        for _ in 1..<width { place *= 10 }
        var rest = value
        while place > 0 {
            bytes.append(UInt8(ascii: "0") + UInt8(rest / place % 10))
            rest %= place
            place /= 10
        }
    }

    private mutating func append(_ literal: StaticString) {
        literal.withUTF8Buffer { bytes.append(contentsOf: $0) }
        fresh = false
    }

    // MARK: Fields

    mutating func field(_ name: StaticString, _ value: String) { key(name); string(value) }
    mutating func field(_ name: StaticString, _ value: Int) { key(name); int(value) }
    mutating func field(_ name: StaticString, _ value: Int64) { key(name); int(value) }
    mutating func field(_ name: StaticString, _ value: Bool) { key(name); bool(value) }
    mutating func field(_ name: StaticString, _ value: Date) { key(name); date(value) }
    mutating func field(_ name: StaticString, _ value: [String]) { key(name); strings(value) }

    /// Left out when nil, as a synthesized `Encodable` leaves out a nil optional.
    mutating func field(_ name: StaticString, ifPresent value: String?) { if let value { field(name, value) } }
    mutating func field(_ name: StaticString, ifPresent value: Int?) { if let value { field(name, value) } }
    mutating func field(_ name: StaticString, ifPresent value: Date?) { if let value { field(name, value) } }

    /// `null` when nil: for the keys the API always sends.
    mutating func field(_ name: StaticString, orNull value: String?) {
        key(name)
        if let value { string(value) } else { null() }
    }
}
