/// Rebuilds HTML from a short list of tags and attributes: any other tag is
/// shown as text, any other attribute dropped, every attribute value
/// re-escaped, and a link or image whose URL is not http, https, mailto or
/// relative loses it (`javascript:`, `vbscript:`, `data:`, however written).
enum HTMLSanitizer {
    /// Tags markdown produces, and the attributes each may keep.
    static let allowed: [String: Set<String>] = {
        var tags: [String: Set<String>] = ["a": ["href", "title"], "img": ["src", "alt", "title"], "ol": ["start"], "code": ["class"]]
        for tag in ["p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "li", "blockquote", "pre", "em", "strong",
                    "b", "i", "del", "s", "table", "thead", "tbody", "tr", "th", "td"] {
            tags[tag] = []
        }
        return tags
    }()

    static let safeSchemes: Set<String> = ["http", "https", "mailto"]

    static func clean(_ html: String) -> String {
        let bytes = Array(html.utf8)
        var output = ""
        output.reserveCapacity(bytes.count)
        var index = 0
        var textStart = 0
        func flushText(upTo end: Int) {
            if textStart < end { output += escapeText(bytes[textStart..<end]) }
        }
        while index < bytes.count {
            guard bytes[index] == UInt8(ascii: "<") else { index += 1; continue }
            flushText(upTo: index)
            if let tag = Tag.parse(bytes, at: index) {
                output += rebuild(tag) ?? MarkdownRenderer.escape(String(decoding: bytes[index..<tag.end], as: UTF8.self))
                index = tag.end
            } else {
                output += "&lt;"
                index += 1
            }
            textStart = index
        }
        flushText(upTo: bytes.count)
        return output
    }

    /// The tag as this page allows it, or nil when it is not allowed at all.
    private static func rebuild(_ tag: Tag) -> String? {
        guard let names = allowed[tag.name] else { return nil }
        if tag.closing { return "</\(tag.name)>" }
        var attributes: [(String, String)] = []
        for (name, value) in tag.attributes where names.contains(name) && !attributes.contains(where: { $0.0 == name }) {
            let decoded = decodeEntities(value)
            switch name {
            case "href", "src":
                guard let url = safeURL(decoded) else { continue }
                attributes.append((name, url))
            case "class":
                // Only a code block's language.
                guard decoded.hasPrefix("language-"), decoded.utf8.allSatisfy(isNameByte) else { continue }
                attributes.append((name, decoded))
            case "start":
                guard let number = Int(decoded), number >= 0 else { continue }
                attributes.append((name, String(number)))
            default:
                attributes.append((name, decoded))
            }
        }
        if tag.name == "img" && !attributes.contains(where: { $0.0 == "src" }) {
            // An image whose URL is refused: its description, as text.
            let alt = attributes.first { $0.0 == "alt" }?.1 ?? ""
            return MarkdownRenderer.escape(alt.isEmpty ? "[image]" : "[image: \(alt)]")
        }
        if tag.name == "a" && attributes.contains(where: { $0.0 == "href" }) {
            attributes.append(("rel", "noopener noreferrer"))
        }
        let rendered = attributes.map { " \($0.0)=\"\(MarkdownRenderer.escape($0.1))\"" }.joined()
        return "<\(tag.name)\(rendered)\(tag.name == "img" || tag.name == "br" || tag.name == "hr" ? "/" : "")>"
    }

    /// The URL when it may be followed: no scheme (relative), or http, https,
    /// mailto. Spaces and control characters are dropped first, as a browser
    /// drops them; an entity left before the scheme's colon is refused.
    static func safeURL(_ url: String) -> String? {
        let cleaned = String(String.UnicodeScalarView(url.unicodeScalars.filter { $0.value > 0x20 && $0.value != 0x7F }))
        guard let colon = cleaned.firstIndex(of: ":") else { return cleaned }
        let scheme = cleaned[..<colon]
        // A colon after a path, query or fragment starts no scheme.
        if scheme.contains(where: { $0 == "/" || $0 == "?" || $0 == "#" }) { return cleaned }
        // A reference left undecoded might be read as part of a scheme by some browser.
        if scheme.contains("&") { return nil }
        return safeSchemes.contains(scheme.lowercased()) ? cleaned : nil
    }

    /// Character references decoded as a browser does in an attribute:
    /// numeric ones with or without `;`, and the named ones markdown text may hold.
    static func decodeEntities(_ text: String) -> String {
        guard text.contains("&") else { return text }
        let scalars = Array(text.unicodeScalars)
        var result = String.UnicodeScalarView()
        var index = 0
        while index < scalars.count {
            guard scalars[index] == "&" else { result.append(scalars[index]); index += 1; continue }
            if index + 1 < scalars.count, scalars[index + 1] == "#" {
                var cursor = index + 2
                let hex = cursor < scalars.count && (scalars[cursor] == "x" || scalars[cursor] == "X")
                if hex { cursor += 1 }
                var value: UInt32 = 0
                let digitsStart = cursor
                while cursor < scalars.count, let digit = Int(String(scalars[cursor]), radix: hex ? 16 : 10), value < 0x110000 {
                    value = value * (hex ? 16 : 10) + UInt32(digit)
                    cursor += 1
                }
                if cursor > digitsStart {
                    if cursor < scalars.count && scalars[cursor] == ";" { cursor += 1 }
                    result.append(Unicode.Scalar(value) ?? "\u{FFFD}")
                    index = cursor
                    continue
                }
            } else if let semicolon = scalars[index...].prefix(12).firstIndex(of: ";") {
                let name = String(String.UnicodeScalarView(scalars[(index + 1)..<semicolon]))
                if let named = namedEntities[name] {
                    result.append(contentsOf: named.unicodeScalars)
                    index = semicolon + 1
                    continue
                }
            }
            result.append("&")
            index += 1
        }
        return String(result)
    }

    static let namedEntities: [String: String] = [
        "amp": "&", "lt": "<", "gt": ">", "quot": "\"", "apos": "'", "colon": ":", "Tab": "\t", "NewLine": "\n",
        "nbsp": "\u{A0}", "sol": "/", "period": ".", "lpar": "(", "rpar": ")",
    ]

    /// Text between tags: `<` and `>` escaped, `&` too unless it starts a character reference.
    private static func escapeText(_ bytes: ArraySlice<UInt8>) -> String {
        var output = ""
        var index = bytes.startIndex
        while index < bytes.endIndex {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: ">"): output += "&gt;"
            case UInt8(ascii: "&"):
                var cursor = index + 1
                if cursor < bytes.endIndex && bytes[cursor] == UInt8(ascii: "#") { cursor += 1 }
                let nameStart = cursor
                while cursor < bytes.endIndex && cursor - nameStart < 32 && isAlphanumeric(bytes[cursor]) { cursor += 1 }
                let isReference = cursor > nameStart && cursor < bytes.endIndex && bytes[cursor] == UInt8(ascii: ";")
                output += isReference ? "&" : "&amp;"
            default:
                // Bytes of a character are copied as they are; the input is valid UTF-8.
                let end = bytes[index...].firstIndex { $0 == UInt8(ascii: ">") || $0 == UInt8(ascii: "&") } ?? bytes.endIndex
                output += String(decoding: bytes[index..<end], as: UTF8.self)
                index = end
                continue
            }
            index += 1
        }
        return output
    }

    static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
    }

    static func isNameByte(_ byte: UInt8) -> Bool {
        isAlphanumeric(byte) || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "+")
    }

    /// One tag as written: name, attributes (values undecoded) and where it ends.
    struct Tag {
        var name: String
        var closing: Bool
        var attributes: [(String, String)]
        var end: Int

        static func parse(_ bytes: [UInt8], at start: Int) -> Tag? {
            var index = start + 1
            let closing = index < bytes.count && bytes[index] == UInt8(ascii: "/")
            if closing { index += 1 }
            let nameStart = index
            while index < bytes.count && isAlphanumeric(bytes[index]) { index += 1 }
            guard index > nameStart, index - nameStart <= 16 else { return nil }
            let name = String(decoding: bytes[nameStart..<index], as: UTF8.self).lowercased()
            var attributes: [(String, String)] = []
            func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D || byte == 0x0C }
            while index < bytes.count {
                while index < bytes.count && isSpace(bytes[index]) { index += 1 }
                guard index < bytes.count else { return nil }
                if bytes[index] == UInt8(ascii: ">") { return Tag(name: name, closing: closing, attributes: attributes, end: index + 1) }
                if bytes[index] == UInt8(ascii: "/") { index += 1; continue }
                let attributeStart = index
                while index < bytes.count, !isSpace(bytes[index]), ![UInt8(ascii: "="), UInt8(ascii: ">"), UInt8(ascii: "/")].contains(bytes[index]) {
                    index += 1
                }
                if index == attributeStart { return nil }
                let attribute = String(decoding: bytes[attributeStart..<index], as: UTF8.self).lowercased()
                while index < bytes.count && isSpace(bytes[index]) { index += 1 }
                var value = ""
                if index < bytes.count && bytes[index] == UInt8(ascii: "=") {
                    index += 1
                    while index < bytes.count && isSpace(bytes[index]) { index += 1 }
                    guard index < bytes.count else { return nil }
                    let quote = bytes[index]
                    if quote == UInt8(ascii: "\"") || quote == UInt8(ascii: "'") {
                        guard let close = bytes[(index + 1)...].firstIndex(of: quote) else { return nil }
                        value = String(decoding: bytes[(index + 1)..<close], as: UTF8.self)
                        index = close + 1
                    } else {
                        let valueStart = index
                        while index < bytes.count && !isSpace(bytes[index]) && bytes[index] != UInt8(ascii: ">") { index += 1 }
                        value = String(decoding: bytes[valueStart..<index], as: UTF8.self)
                    }
                }
                attributes.append((attribute, value))
            }
            return nil
        }
    }
}
