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
        return HTMLSanitizer.clean(parser.html(from: escapingTags(markdown)))
    }

    /// `<` as `&lt;` outside code, so Ink never sees a tag: it would take the
    /// rest of the file for an element that is never closed (`<img …>`).
    /// Code spans and fenced blocks are left alone, as Ink escapes them itself.
    static func escapingTags(_ markdown: String) -> String {
        guard markdown.contains("<") else { return markdown }
        var result = ""
        result.reserveCapacity(markdown.utf8.count + 64)
        var fence: Substring?
        for line in markdown.split(separator: "\n", omittingEmptySubsequences: false) {
            if !result.isEmpty || line.startIndex != markdown.startIndex { result += "\n" }
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
            var inCode = false
            for character in line {
                if character == "`" { inCode.toggle() }
                result += character == "<" && !inCode ? "&lt;" : String(character)
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
