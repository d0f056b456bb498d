import Foundation

/// Row ids: UUID version 7 (RFC 9562), lowercase. The first 48 bits are
/// the time in milliseconds and the next 12 count up within the process,
/// so ids made one after another sort in order and an import appends to
/// the indexes that hold them instead of inserting all over them; the
/// last 62 bits are random. (Foundation's `UUID()` also opened and read
/// /dev/urandom for every id.)
package enum RowID {
    private final class Clock: @unchecked Sendable {
        let lock = NSLock()
        var last: UInt64 = 0  // milliseconds << 12 | counter
    }
    private static let clock = Clock()

    package static func make() -> String {
        let millis = UInt64(max(0, Date().timeIntervalSince1970 * 1000))
        let stamp = clock.lock.withLock {
            clock.last = max(millis << 12, clock.last + 1)
            return clock.last
        }
        var random = SystemRandomNumberGenerator()
        let low = random.next() as UInt64
        var bytes = [UInt8](repeating: 0, count: 16)
        let time = stamp >> 12
        for index in 0..<6 { bytes[index] = UInt8(truncatingIfNeeded: time >> (40 - 8 * UInt64(index))) }
        bytes[6] = 0x70 | UInt8(truncatingIfNeeded: (stamp >> 8) & 0x0f)  // version 7, counter
        bytes[7] = UInt8(truncatingIfNeeded: stamp)
        bytes[8] = 0x80 | UInt8(truncatingIfNeeded: low & 0x3f)          // variant 10
        for index in 9..<16 { bytes[index] = UInt8(truncatingIfNeeded: low >> (8 * UInt64(index - 8))) }
        let digits = Array("0123456789abcdef".utf8)
        var text = [UInt8]()
        text.reserveCapacity(36)
        for (index, byte) in bytes.enumerated() {
            if index == 4 || index == 6 || index == 8 || index == 10 { text.append(UInt8(ascii: "-")) }
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}
