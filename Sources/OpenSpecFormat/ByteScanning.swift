/// Byte-level building blocks shared by the parsers.
///
/// Everything here works on UTF-8 bytes rather than `Character`s or regexes: the
/// parsers must stay linear and fast on multi-megabyte inputs. The whitespace rules
/// copy JavaScript's `\s` and `String.prototype.trim`, because OpenSpec's regexes
/// are JavaScript regexes and a non-breaking or ideographic space counts there.

enum ASCII {
    static let tab: UInt8 = 0x09
    static let lf: UInt8 = 0x0A
    static let cr: UInt8 = 0x0D
    static let space: UInt8 = 0x20
    static let hash: UInt8 = 0x23  // #
    static let star: UInt8 = 0x2A  // *
    static let plus: UInt8 = 0x2B  // +
    static let minus: UInt8 = 0x2D  // -
    static let dot: UInt8 = 0x2E  // .
    static let colon: UInt8 = 0x3A  // :
    static let openParen: UInt8 = 0x28  // (
    static let closeParen: UInt8 = 0x29  // )
    static let openBracket: UInt8 = 0x5B  // [
    static let closeBracket: UInt8 = 0x5D  // ]
    static let backtick: UInt8 = 0x60  // `
    static let tilde: UInt8 = 0x7E  // ~
    static let zero: UInt8 = 0x30
    static let nine: UInt8 = 0x39

    @inline(__always) static func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }
    @inline(__always) static func isLetter(_ c: UInt8) -> Bool {
        (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A)
    }
    /// JavaScript's `\w`: ASCII letters, digits and underscore.
    @inline(__always) static func isWordChar(_ c: UInt8) -> Bool {
        isLetter(c) || isDigit(c) || c == 0x5F
    }
    @inline(__always) static func lower(_ c: UInt8) -> UInt8 {
        (c >= 0x41 && c <= 0x5A) ? c | 0x20 : c
    }
}

/// Byte length of the JavaScript whitespace character starting at `i` (0 if none).
///
/// Covers `\t\n\v\f\r`, space, U+00A0, U+1680, U+2000–U+200A, U+2028, U+2029,
/// U+202F, U+205F, U+3000 and U+FEFF, exactly the set JavaScript's `\s` matches.
@inline(__always)
func jsSpaceLength(_ b: [UInt8], _ i: Int, _ end: Int) -> Int {
    let c = b[i]
    if c == ASCII.space || (c >= 0x09 && c <= 0x0D) { return 1 }
    if c < 0xC2 { return 0 }
    switch c {
    case 0xC2:
        return (i + 1 < end && b[i + 1] == 0xA0) ? 2 : 0
    case 0xE1:
        return (i + 2 < end && b[i + 1] == 0x9A && b[i + 2] == 0x80) ? 3 : 0
    case 0xE2:
        guard i + 2 < end else { return 0 }
        let c1 = b[i + 1]
        let c2 = b[i + 2]
        if c1 == 0x80 {
            if (c2 >= 0x80 && c2 <= 0x8A) || c2 == 0xA8 || c2 == 0xA9 || c2 == 0xAF { return 3 }
        } else if c1 == 0x81 && c2 == 0x9F {
            return 3
        }
        return 0
    case 0xE3:
        return (i + 2 < end && b[i + 1] == 0x80 && b[i + 2] == 0x80) ? 3 : 0
    case 0xEF:
        return (i + 2 < end && b[i + 1] == 0xBB && b[i + 2] == 0xBF) ? 3 : 0
    default:
        return 0
    }
}

/// Byte length of the JavaScript whitespace character ending just before `end` (0 if none).
@inline(__always)
func jsSpaceLengthBefore(_ b: [UInt8], _ start: Int, _ end: Int) -> Int {
    let c = b[end - 1]
    if c == ASCII.space || (c >= 0x09 && c <= 0x0D) { return 1 }
    if c < 0x80 { return 0 }
    if end - start >= 2 && b[end - 2] == 0xC2 && c == 0xA0 { return 2 }
    if end - start >= 3 && jsSpaceLength(b, end - 3, end) == 3 { return 3 }
    return 0
}

/// True when the character at `i` is a JavaScript line terminator other than `\n`
/// (`\r`, U+2028, U+2029): the places where a regex `.` stops.
@inline(__always)
func isLineTerminator(_ b: [UInt8], _ i: Int, _ end: Int) -> Int {
    let c = b[i]
    if c == ASCII.cr || c == ASCII.lf { return 1 }
    if c == 0xE2 && i + 2 < end && b[i + 1] == 0x80 && (b[i + 2] == 0xA8 || b[i + 2] == 0xA9) {
        return 3
    }
    return 0
}

/// Index of the first non-whitespace byte at or after `i`.
@inline(__always)
func skipSpaces(_ b: [UInt8], _ i: Int, _ end: Int) -> Int {
    var i = i
    while i < end {
        let n = jsSpaceLength(b, i, end)
        if n == 0 { break }
        i += n
    }
    return i
}

/// The range left after JavaScript's `trim()`.
@inline(__always)
func jsTrim(_ b: [UInt8], _ start: Int, _ end: Int) -> (Int, Int) {
    var s = skipSpaces(b, start, end)
    var e = end
    while e > s {
        let n = jsSpaceLengthBefore(b, s, e)
        if n == 0 { break }
        e -= n
    }
    if s > e { s = e }
    return (s, e)
}

/// Decodes a byte range, replacing invalid sequences, without going through Foundation.
@inline(__always)
func string(_ b: [UInt8], _ start: Int, _ end: Int) -> String {
    if start >= end { return "" }
    return String(decoding: b[start..<end], as: UTF8.self)
}

/// The trimmed text of a byte range as a String.
@inline(__always)
func trimmedString(_ b: [UInt8], _ start: Int, _ end: Int) -> String {
    let (s, e) = jsTrim(b, start, end)
    return string(b, s, e)
}

/// True when `b[i..<end]` starts with the ASCII `literal`, ignoring ASCII case.
@inline(__always)
func hasPrefixIgnoringCase(_ b: [UInt8], _ i: Int, _ end: Int, _ literal: StaticString) -> Bool {
    let n = literal.utf8CodeUnitCount
    guard end - i >= n else { return false }
    return literal.withUTF8Buffer { lit in
        for k in 0..<n where ASCII.lower(b[i + k]) != ASCII.lower(lit[k]) {
            return false
        }
        return true
    }
}

/// True when `b[i..<end]` starts with the ASCII `literal`, case-sensitively.
@inline(__always)
func hasPrefix(_ b: [UInt8], _ i: Int, _ end: Int, _ literal: StaticString) -> Bool {
    let n = literal.utf8CodeUnitCount
    guard end - i >= n else { return false }
    return literal.withUTF8Buffer { lit in
        for k in 0..<n where b[i + k] != lit[k] {
            return false
        }
        return true
    }
}

/// Length and validity of the UTF-8 sequence starting at `i`.
///
/// An invalid sequence reports the length of its maximal valid prefix (at least 1),
/// which is how WHATWG and Swift decoders size each U+FFFD replacement.
@inline(__always)
func utf8SequenceLength<C: RandomAccessCollection>(_ b: C, _ i: Int, _ end: Int) -> (length: Int, valid: Bool)
where C.Element == UInt8, C.Index == Int {
    let c = b[i]
    if c < 0x80 { return (1, true) }
    @inline(__always) func inRange(_ k: Int, _ lo: UInt8, _ hi: UInt8) -> Bool {
        k < end && b[k] >= lo && b[k] <= hi
    }
    if c < 0xC2 { return (1, false) }
    if c < 0xE0 { return inRange(i + 1, 0x80, 0xBF) ? (2, true) : (1, false) }
    if c < 0xF0 {
        let lo: UInt8 = c == 0xE0 ? 0xA0 : 0x80
        let hi: UInt8 = c == 0xED ? 0x9F : 0xBF
        guard inRange(i + 1, lo, hi) else { return (1, false) }
        return inRange(i + 2, 0x80, 0xBF) ? (3, true) : (2, false)
    }
    if c < 0xF5 {
        let lo: UInt8 = c == 0xF0 ? 0x90 : 0x80
        let hi: UInt8 = c == 0xF4 ? 0x8F : 0xBF
        guard inRange(i + 1, lo, hi) else { return (1, false) }
        guard inRange(i + 2, 0x80, 0xBF) else { return (2, false) }
        return inRange(i + 3, 0x80, 0xBF) ? (4, true) : (3, false)
    }
    return (1, false)
}

/// Whether `bytes` are valid UTF-8 (as `String(validating:as:)` decides),
/// without making a String of them.
public func isValidUTF8(_ bytes: [UInt8]) -> Bool {
    firstInvalidUTF8Offset(bytes) == nil
}

/// Offset of the first byte that is not part of valid UTF-8, or nil.
func firstInvalidUTF8Offset(_ b: [UInt8]) -> Int? {
    b.withUnsafeBufferPointer { p -> Int? in
        let n = p.count
        guard let base = p.baseAddress else { return nil }
        let raw = UnsafeRawPointer(base)
        var i = 0
        while i < n {
            // Eight ASCII bytes at a time: the common case for markdown.
            if i + 8 <= n && raw.loadUnaligned(fromByteOffset: i, as: UInt64.self) & 0x8080_8080_8080_8080 == 0 {
                i += 8
                continue
            }
            let c = p[i]
            if c < 0x80 {
                i += 1
                continue
            }
            let (len, ok) = utf8SequenceLength(p, i, n)
            if !ok { return i }
            i += len
        }
        return nil
    }
}

/// 1-based line number of byte offset `offset` (lines split on `\n`).
func lineNumber(of offset: Int, in b: [UInt8]) -> Int {
    b.withUnsafeBufferPointer { p in
        var line = 1
        for c in p[0..<min(max(offset, 0), p.count)] where c == ASCII.lf { line += 1 }
        return line
    }
}

/// Number of UTF-16 code units in `s`: JavaScript's `length`, which OpenSpec's
/// length limits count.
func jsLength(_ s: String) -> Int {
    // Counted from the UTF-8 bytes: `utf16.count` builds an index for non-ASCII text.
    var s = s
    return s.withUTF8 { p in
        var units = 0
        for c in p where c & 0xC0 != 0x80 {
            units += c >= 0xF0 ? 2 : 1
        }
        return units
    }
}

// MARK: - Code fences (OPENSPEC-FORMAT 2.1)

/// An open code fence: its marker byte and run length.
struct Fence: Equatable {
    var marker: UInt8
    var length: Int
}

/// `^\s*(`{3,}|~{3,})`: the fence a line opens, if any.
@inline(__always)
func fenceOpening(_ b: [UInt8], _ start: Int, _ end: Int) -> Fence? {
    let i = skipSpaces(b, start, end)
    guard i < end else { return nil }
    let c = b[i]
    guard c == ASCII.backtick || c == ASCII.tilde else { return nil }
    var j = i
    while j < end && b[j] == c { j += 1 }
    return j - i >= 3 ? Fence(marker: c, length: j - i) : nil
}

/// `^\s*(`{3,}|~{3,})\s*$` with the same marker and at least the opener's length.
@inline(__always)
func closesFence(_ b: [UInt8], _ start: Int, _ end: Int, _ fence: Fence) -> Bool {
    guard let run = fenceOpening(b, start, end), run.marker == fence.marker,
        run.length >= fence.length
    else { return false }
    var i = skipSpaces(b, start, end)
    while i < end && b[i] == run.marker { i += 1 }
    return skipSpaces(b, i, end) == end
}

// MARK: - Headers (OPENSPEC-FORMAT 2.2)

/// What `^(#{1,6})\s+` and `^(#{1,6})\s+(.+)$` say about one line.
struct HeaderLine {
    /// Number of leading `#`.
    var level: Int
    /// True when the line is a header (`(.+)` has something to match), not only a
    /// section terminator like `## ` with nothing after the single space.
    var isHeader: Bool
    /// Byte range of the title before trimming (after the `#` run).
    var restStart: Int
}

/// Classifies a line (no trailing `\n`) as a markdown header, as OpenSpec's regexes do.
@inline(__always)
func headerLine(_ b: [UInt8], _ start: Int, _ end: Int) -> HeaderLine? {
    guard start < end, b[start] == ASCII.hash else { return nil }
    var i = start
    while i < end && b[i] == ASCII.hash && i - start < 7 { i += 1 }
    let level = i - start
    guard level <= 6, i < end else { return nil }
    let firstSpace = jsSpaceLength(b, i, end)
    guard firstSpace > 0 else { return nil }
    // `(.+)$` needs at least one more character, and `.` stops at line terminators.
    var hasMore = i + firstSpace < end
    if hasMore {
        var k = i + firstSpace
        var lastTerminatorEnd = -1
        while k < end {
            let t = isLineTerminator(b, k, end)
            if t > 0 {
                lastTerminatorEnd = k + t
                k += t
            } else {
                k += 1
            }
        }
        if lastTerminatorEnd >= 0 {
            // Only a run of whitespace may sit before the last terminator.
            hasMore = lastTerminatorEnd < end && skipSpaces(b, i, lastTerminatorEnd) == lastTerminatorEnd
        }
    }
    return HeaderLine(level: level, isHeader: hasMore, restStart: i)
}

/// Title of a header line: the text after the `#` run, trimmed.
@inline(__always)
func headerTitle(_ b: [UInt8], _ header: HeaderLine, _ end: Int) -> String {
    trimmedString(b, header.restStart, end)
}

// MARK: - Normative keywords

/// `/\b(SHALL|MUST)\b/`: whole-word, case-sensitive, ASCII word boundaries.
func containsShallOrMust(_ s: String) -> Bool {
    var s = s
    return s.withUTF8 { p in
        let n = p.count
        var i = 0
        while i < n {
            let c = p[i]
            var len = 0
            if c == 0x53, i + 5 <= n, p[i + 1] == 0x48, p[i + 2] == 0x41, p[i + 3] == 0x4C,
                p[i + 4] == 0x4C
            {
                len = 5  // SHALL
            } else if c == 0x4D, i + 4 <= n, p[i + 1] == 0x55, p[i + 2] == 0x53, p[i + 3] == 0x54 {
                len = 4  // MUST
            }
            if len > 0 {
                let before = i == 0 || !ASCII.isWordChar(p[i - 1])
                let after = i + len == n || !ASCII.isWordChar(p[i + len])
                if before && after { return true }
            }
            i += 1
        }
        return false
    }
}
