import Foundation

/// Reading and writing the words of the hook scripts as sh reads them.
enum ShellText {
    /// One sh word that is exactly `text`, whatever characters it holds.
    static func quoted(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "'", with: #"'\''"#) + "'"
    }

    /// Replaces each placeholder in one pass, so a filled-in value is never searched again.
    static func fillingPlaceholders(of template: String, with values: [String: String]) -> String {
        var result = ""
        var rest = template[...]
        while let (key, range) = values.keys.compactMap({ key in rest.range(of: key).map { (key, $0) } })
            .min(by: { $0.1.lowerBound < $1.1.lowerBound })
        {
            result += rest[..<range.lowerBound]
            result += values[key]!
            rest = rest[range.upperBound...]
        }
        return result + rest
    }

    /// The value of the first line `name=<word>` in a script, with sh quoting
    /// undone (single quotes, double quotes, backslashes); nil when absent.
    static func assignment(_ name: String, in script: String) -> String? {
        let prefix = name + "="
        var start: String.Index?
        var lineStart = script.startIndex
        while lineStart < script.endIndex {
            if script[lineStart...].hasPrefix(prefix) {
                start = script.index(lineStart, offsetBy: prefix.count)
                break
            }
            guard let newline = script[lineStart...].firstIndex(of: "\n") else { break }
            lineStart = script.index(after: newline)
        }
        guard let start else { return nil }
        var value = ""
        var index = start
        var quote: Character?
        while index < script.endIndex {
            let character = script[index]
            index = script.index(after: index)
            switch (quote, character) {
            case (nil, " "), (nil, "\t"), (nil, "\n"), (nil, ";"):
                return value
            case (nil, "'"), (nil, "\""):
                quote = character
            case ("'", "'"), ("\"", "\""):
                quote = nil
            case (nil, "\\"), ("\"", "\\"):
                if index < script.endIndex {
                    let next = script[index]
                    if quote == nil || "$`\"\\\n".contains(next) {
                        if next != "\n" { value.append(next) }
                        index = script.index(after: index)
                    } else {
                        value.append(character)
                    }
                }
            default:
                value.append(character)
            }
        }
        return value
    }
}
