import Foundation
import NIOCore

/// Rows in the text format of `COPY ... FROM STDIN`: values separated by a
/// tab, rows ended by a newline, `\N` for NULL, and a backslash before every
/// backslash, tab, newline and carriage return inside a value. Bytes go as
/// bytea's hex form (`\x...`, its backslash doubled).
enum PostgresCopyText {
    static func encode(_ rows: [[PGValue]]) -> ByteBuffer {
        var buffer = ByteBufferAllocator().buffer(capacity: rows.reduce(0) { $0 + estimate($1) })
        for row in rows {
            for (index, value) in row.enumerated() {
                if index > 0 { buffer.writeInteger(UInt8(ascii: "\t")) }
                append(value, to: &buffer)
            }
            buffer.writeInteger(UInt8(ascii: "\n"))
        }
        return buffer
    }

    private static func estimate(_ row: [PGValue]) -> Int {
        row.reduce(row.count) { total, value in
            switch value {
            case let .text(text?): return total + text.utf8.count + 8
            case let .bytes(data?): return total + 2 * data.count + 3
            default: return total + 20
            }
        }
    }

    private static func append(_ value: PGValue, to buffer: inout ByteBuffer) {
        switch value {
        case .text(.none), .int(.none), .bool(.none), .bytes(.none):
            buffer.writeStaticString("\\N")
        case let .text(text?):
            appendEscaped(text, to: &buffer)
        case let .int(number?):
            buffer.writeString(String(number))
        case let .bool(flag?):
            buffer.writeStaticString(flag ? "t" : "f")
        case let .bytes(data?):
            appendHex(data, to: &buffer)
        }
    }

    private static func appendEscaped(_ text: String, to buffer: inout ByteBuffer) {
        var text = text
        text.withUTF8 { bytes in
            var start = 0
            for (index, byte) in bytes.enumerated() {
                let escaped: UInt8
                switch byte {
                case UInt8(ascii: "\\"): escaped = UInt8(ascii: "\\")
                case UInt8(ascii: "\t"): escaped = UInt8(ascii: "t")
                case UInt8(ascii: "\n"): escaped = UInt8(ascii: "n")
                case UInt8(ascii: "\r"): escaped = UInt8(ascii: "r")
                default: continue
                }
                buffer.writeBytes(bytes[start..<index])
                buffer.writeInteger(UInt8(ascii: "\\"))
                buffer.writeInteger(escaped)
                start = index + 1
            }
            buffer.writeBytes(bytes[start...])
        }
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    private static func appendHex(_ data: Data, to buffer: inout ByteBuffer) {
        buffer.writeStaticString("\\\\x")
        let count = 2 * data.count
        _ = buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: count) { out in
            data.withUnsafeBytes { bytes in
                for (index, byte) in bytes.enumerated() {
                    out[2 * index] = hexDigits[Int(byte >> 4)]
                    out[2 * index + 1] = hexDigits[Int(byte & 0x0F)]
                }
            }
            return count
        }
    }
}
