import Foundation

/// A parsed JSON value: procedure inputs arrive as untyped JSON and are
/// checked field by field, so a wrong type is a BAD_REQUEST that names the
/// field, never a crash or a decoder's stack of coding keys.
enum JSONValue: Sendable, Equatable, Codable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    init(from decoder: Decoder) throws {
        // Objects and strings first: they are what inputs are made of, and
        // each wrong guess costs a thrown error.
        if let keyed = try? decoder.container(keyedBy: AnyKey.self) {
            var object: [String: JSONValue] = [:]
            for key in keyed.allKeys { object[key.stringValue] = try keyed.decode(JSONValue.self, forKey: key) }
            self = .object(object)
            return
        }
        if var unkeyed = try? decoder.unkeyedContainer() {
            var array: [JSONValue] = []
            while !unkeyed.isAtEnd { array.append(try unkeyed.decode(JSONValue.self)) }
            self = .array(array)
            return
        }
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null }
        else if let value = try? container.decode(String.self) { self = .string(value) }
        else if let value = try? container.decode(Bool.self) { self = .bool(value) }
        else { self = .number(try container.decode(Double.self)) }
    }

    func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case let .bool(value): try container.encode(value)
        case let .number(value):
            if value.rounded() == value, abs(value) < 1e15 { try container.encode(Int64(value)) } else { try container.encode(value) }
        case let .string(value): try container.encode(value)
        case let .array(value): try container.encode(value)
        case let .object(value): try container.encode(value)
        }
    }

    /// Parses `bytes`; nil for an empty input (tRPC: no input at all).
    static func parse(_ bytes: some Collection<UInt8>) throws -> JSONValue? {
        if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) { return nil }
        return try JSONDecoder().decode(JSONValue.self, from: Data(bytes))
    }

    /// A short name of the value's type, for error messages.
    var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "a boolean"
        case .number: return "a number"
        case .string: return "a string"
        case .array: return "an array"
        case .object: return "an object"
        }
    }
}

private struct AnyKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

/// The input of one call, read field by field with messages that name the
/// procedure and the field.
struct Input {
    let procedure: String
    private let fields: [String: JSONValue]

    /// `allowed` are the fields the procedure knows; any other is refused,
    /// so a misspelt field is an error rather than silently ignored.
    init(_ value: JSONValue?, procedure: String, allowed: Set<String>) throws {
        self.procedure = procedure
        switch value {
        case nil, .null?:
            fields = [:]
        case let .object(object)?:
            let unknown = Set(object.keys).subtracting(allowed)
            if let first = unknown.sorted().first {
                let known = allowed.isEmpty ? "it takes no input" : "it takes " + allowed.sorted().joined(separator: ", ")
                throw TRPCError(.badRequest, "\(procedure): unknown input field \"\(RequestHandler.clip(first, max: 60))\"; \(known)")
            }
            fields = object
        case let other?:
            throw TRPCError(.badRequest, "\(procedure): the input must be a JSON object, not \(other.typeName)")
        }
    }

    private func present(_ key: String) -> JSONValue? {
        guard let value = fields[key], value != .null else { return nil }
        return value
    }

    private func wrongType(_ key: String, _ expected: String, _ value: JSONValue) -> TRPCError {
        TRPCError(.badRequest, "\(procedure): \(key) must be \(expected), not \(value.typeName)")
    }

    func has(_ key: String) -> Bool { fields[key] != nil }

    /// A string field; `identifier` fields (ids, names) refuse control characters and are at most 512 bytes.
    func string(_ key: String, maxBytes: Int = 512) throws -> String? {
        guard let value = present(key) else { return nil }
        guard case let .string(text) = value else { throw wrongType(key, "a string", value) }
        if text.isEmpty { throw TRPCError(.badRequest, "\(procedure): \(key) is empty; give a value or leave it out") }
        if text.utf8.count > maxBytes {
            throw TRPCError(.badRequest, "\(procedure): \(key) is longer than \(maxBytes) bytes")
        }
        return text
    }

    /// An id or name: a string without control characters (NUL included).
    func identifier(_ key: String) throws -> String? {
        guard let text = try string(key) else { return nil }
        if text.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
            throw TRPCError(.badRequest, "\(procedure): \(key) contains a control character; ids and names are plain text")
        }
        return text
    }

    func requiredIdentifier(_ key: String) throws -> String {
        guard let value = try identifier(key) else {
            throw TRPCError(.badRequest, "\(procedure): \(key) is required")
        }
        return value
    }

    /// Text content of any size the body limit allows (empty allowed).
    func content(_ key: String) throws -> String {
        guard let value = fields[key] else { throw TRPCError(.badRequest, "\(procedure): \(key) is required") }
        guard case let .string(text) = value else { throw wrongType(key, "a string", value) }
        return text
    }

    func integer(_ key: String, in range: ClosedRange<Int64>) throws -> Int64? {
        guard let value = present(key) else { return nil }
        var number: Int64?
        switch value {
        case let .number(double) where double.rounded() == double && abs(double) < 9e15: number = Int64(double)
        // Cursors and event ids may come as strings (SSE ids always are).
        case let .string(text): number = Int64(text)
        default: break
        }
        guard let number, range.contains(number) else {
            throw TRPCError(.badRequest, "\(procedure): \(key) must be a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return number
    }

    func bool(_ key: String) throws -> Bool? {
        guard let value = present(key) else { return nil }
        guard case let .bool(flag) = value else { throw wrongType(key, "true or false", value) }
        return flag
    }

    func requiredBool(_ key: String) throws -> Bool {
        guard let value = try bool(key) else { throw TRPCError(.badRequest, "\(procedure): \(key) is required (true or false)") }
        return value
    }

    /// One of a fixed set of words.
    func choice(_ key: String, _ choices: [String]) throws -> String? {
        guard let value = present(key) else { return nil }
        guard case let .string(text) = value, choices.contains(text) else {
            throw TRPCError(.badRequest, "\(procedure): \(key) must be one of " + choices.map { "\"\($0)\"" }.joined(separator: ", "))
        }
        return text
    }

    /// A raw field, for the few inputs that take more than one JSON type.
    func raw(_ key: String) -> JSONValue? { present(key) }
}
