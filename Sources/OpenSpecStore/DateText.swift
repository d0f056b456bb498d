import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Dates as GRDB stores them ("yyyy-MM-dd HH:mm:ss.SSS", UTC), formatted by
/// hand: Foundation's DateFormatter showed up in profiles of a full import.
enum DateText {
    static func string(_ date: Date?) -> String? {
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
}
