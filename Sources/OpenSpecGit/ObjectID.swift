/// A git object id (SHA-1), kept as 40 lowercase hex characters.
///
/// The hex form is what the database stores and what `git` prints, so it is
/// the canonical representation; the raw bytes are derived when libgit2 needs them.
public struct ObjectID: Hashable, Sendable, Codable, Comparable, CustomStringConvertible {
    /// 40 lowercase hex characters.
    public let hex: String

    /// Accepts exactly 40 hex characters (either case); nil otherwise.
    public init?(hex: String) {
        let utf8 = Array(hex.utf8)
        guard utf8.count == 40, utf8.allSatisfy({ Self.nibble($0) != nil }) else { return nil }
        self.hex = hex.lowercased()
    }

    init(rawBytes: [UInt8]) {
        let digits = Array("0123456789abcdef".utf8)
        var chars = [UInt8]()
        chars.reserveCapacity(rawBytes.count * 2)
        for byte in rawBytes {
            chars.append(digits[Int(byte >> 4)])
            chars.append(digits[Int(byte & 0x0f)])
        }
        hex = String(decoding: chars, as: UTF8.self)
    }

    /// The blob id of empty content, as `git hash-object /dev/null` prints it.
    public static let emptyBlob = ObjectID(hex: "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391")!

    /// The id of the empty tree.
    public static let emptyTree = ObjectID(hex: "4b825dc642cb6eb9a060e54bf8d69288fbee4904")!

    /// The abbreviated form `git log --oneline` shows (7 characters).
    public var short: String { String(hex.prefix(7)) }

    /// The 20 raw bytes.
    var rawBytes: [UInt8] {
        let utf8 = Array(hex.utf8)
        var bytes = [UInt8]()
        bytes.reserveCapacity(20)
        var index = 0
        while index + 1 < utf8.count {
            let high = Self.nibble(utf8[index]) ?? 0
            let low = Self.nibble(utf8[index + 1]) ?? 0
            bytes.append(high << 4 | low)
            index += 2
        }
        return bytes
    }

    private static func nibble(_ char: UInt8) -> UInt8? {
        switch char {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): char - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): char - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): char - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    public static func < (lhs: ObjectID, rhs: ObjectID) -> Bool { lhs.hex < rhs.hex }

    public var description: String { hex }

    /// Encoded as the bare hex string.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let id = ObjectID(hex: text) else {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "not a 40-character git object id: \(text)")
        }
        self = id
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(hex)
    }
}
