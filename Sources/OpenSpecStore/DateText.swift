import Foundation
import GRDB
#if canImport(Glibc)
import Glibc
#endif

/// Dates as GRDB stores them ("yyyy-MM-dd HH:mm:ss.SSS", UTC), formatted by
/// hand: Foundation's DateFormatter showed up in profiles of a full import.
package enum DateText {
    package static func string(_ date: Date?) -> String? {
        guard let date else { return nil }
        let interval = date.timeIntervalSince1970
        var seconds = time_t(interval.rounded(.down))
        var millis = Int(((interval - Double(seconds)) * 1000).rounded())
        if millis >= 1000 { millis -= 1000; seconds += 1 }
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func pad(_ value: Int32, _ width: Int) -> String {
            let text = String(value)
            return text.count >= width ? text : String(repeating: "0", count: width - text.count) + text
        }
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2)) "
            + "\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2)).\(pad(Int32(millis), 3))"
    }

    /// Parses what `string` writes (and GRDB's own forms: "T" or " ", seconds
    /// and milliseconds optional), as UTC with `timegm`. GRDB's default decoding
    /// goes through Foundation's Calendar, whose first use loads ICU's time
    /// zone data: tens of milliseconds in every short-lived process.
    package static func date(_ text: String) -> Date? {
        var digits: [Int] = []
        var current = 0, count = 0, fraction = 0.0, scale = 1.0, inFraction = false
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                if inFraction {
                    scale /= 10
                    fraction += Double(byte - UInt8(ascii: "0")) * scale
                } else {
                    current = current * 10 + Int(byte - UInt8(ascii: "0"))
                    count += 1
                }
            case UInt8(ascii: "-"), UInt8(ascii: ":"), UInt8(ascii: " "), UInt8(ascii: "T"):
                guard count > 0, !inFraction else { return nil }
                digits.append(current)
                current = 0; count = 0
            case UInt8(ascii: "."):
                guard count > 0, digits.count == 5 else { return nil }
                digits.append(current)
                current = 0; count = 0
                inFraction = true
            case UInt8(ascii: "Z"):
                continue
            default:
                return nil
            }
        }
        if count > 0 { digits.append(current) }
        guard digits.count >= 3, digits.count <= 6 || (inFraction && digits.count == 6) else { return nil }
        while digits.count < 6 { digits.append(0) }
        var parts = tm()
        parts.tm_year = Int32(digits[0] - 1900)
        parts.tm_mon = Int32(digits[1] - 1)
        parts.tm_mday = Int32(digits[2])
        parts.tm_hour = Int32(digits[3])
        parts.tm_min = Int32(digits[4])
        parts.tm_sec = Int32(digits[5])
        let seconds = timegm(&parts)
        return Date(timeIntervalSince1970: Double(seconds) + fraction)
    }
}

/// Every record reads and writes its dates with `DateText`, never through Foundation's Calendar.
public protocol DateTextColumns {}

extension FetchableRecord where Self: DateTextColumns {
    public static func databaseDateDecodingStrategy(for column: String) -> DatabaseDateDecodingStrategy {
        .custom { value in String.fromDatabaseValue(value).flatMap(DateText.date) }
    }
}

extension EncodableRecord where Self: DateTextColumns {
    public static func databaseDateEncodingStrategy(for column: String) -> DatabaseDateEncodingStrategy {
        .custom { date in DateText.string(date) }
    }
}
