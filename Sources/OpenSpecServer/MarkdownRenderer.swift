import Ink

/// Markdown to HTML that is safe to put in the dashboard's page. Ink passes
/// raw HTML and link targets through as written, so: raw HTML is shown as
/// text (an Ink modifier), and Ink's output is then rebuilt tag by tag from
/// a short list of tags and attributes, with every link and image URL
/// checked (`HTMLSanitizer`). Whatever Ink does with odd input, only those
/// tags and safe URLs reach the page.
enum MarkdownRenderer {
    static func html(_ markdown: String) -> String {
        var parser = MarkdownParser()
        parser.addModifier(Modifier(target: .html) { input in escape(String(input.markdown)) })
        guard markdown.utf8.count <= maximumBytes else { return "<pre>" + escape(markdown) + "</pre>" }
        return HTMLSanitizer.clean(parser.html(from: prepared(markdown)))
    }

    /// Larger files are shown as plain text: Ink's time grows too fast with size for some inputs.
    static let maximumBytes = 256 << 10

    /// `<` as `&lt;` outside code, so Ink never sees a tag: it would take the
    /// rest of the file for an element that is never closed (`<img …>`).
    /// And `[` as `&#91;` unless it opens a link closed on the same line, not
    /// inside another, on a line of at most `maximumLinkLineLength` characters: Ink retries every `[` inside an unclosed one, which
    /// takes exponential time (a thousand `[` never finish) and, nested deep
    /// enough, overflows the stack. Code spans and fenced blocks are left
    /// alone, as Ink escapes them itself.
    static func prepared(_ markdown: String) -> String {
        guard markdown.contains("<") || markdown.contains("[") else { return markdown }
        var result = ""
        result.reserveCapacity(markdown.utf8.count + 64)
        var fence: Substring?
        var first = true
        for line in markdown.split(separator: "\n", omittingEmptySubsequences: false) {
            if !first { result += "\n" }
            first = false
            let trimmed = line.drop { $0 == " " }
            if let open = fence {
                result += line
                if trimmed.hasPrefix(open) { fence = nil }
                continue
            }
            if trimmed.hasPrefix("```") || trimmed.hasPrefix("~~~") {
                fence = trimmed.prefix(3)
                result += line
                continue
            }
            result += preparedLine(line)
        }
        return result
    }

    /// Longer lines keep no links: Ink's failed tries at a link each read to the end of the line.
    static let maximumLinkLineLength = 500

    private static func preparedLine(_ line: Substring) -> String {
        let characters = Array(line)
        // A `[` before the line's last `]` has one to close it.
        let lastClose = characters.count > maximumLinkLineLength ? -1 : (characters.lastIndex(of: "]") ?? -1)
        var result = ""
        var inCode = false
        var inLink = false
        for (index, character) in characters.enumerated() {
            switch character {
            case "`":
                inCode.toggle()
                result.append(character)
            case "<" where !inCode:
                result += "&lt;"
            case "[" where !inCode:
                if !inLink, index < lastClose {
                    inLink = true
                    result.append(character)
                } else {
                    result += "&#91;"
                }
            case "]" where !inCode:
                inLink = false
                result.append(character)
            default:
                result.append(character)
            }
        }
        return result
    }

    /// Text as HTML text or an attribute value: `&`, `<`, `>`, `"` and `'` escaped.
    static func escape(_ text: String) -> String {
        var result = ""
        result.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            case "'": result += "&#39;"
            default: result.append(character)
            }
        }
        return result
    }
}
