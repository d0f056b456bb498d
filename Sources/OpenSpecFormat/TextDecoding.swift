/// Bytes decoded for parsing: BOM stripped and CRLF/CR turned into LF.
///
/// The normalisation is for parsing only (OpenSpec's `normalizeContent` does the
/// same); callers keep and store the original bytes.
public struct DecodedText: Sendable {
    /// Normalised text; invalid UTF-8 is replaced by U+FFFD.
    public let text: String
    public let isValidUTF8: Bool
    /// True when the bytes started with a UTF-8 byte order mark.
    public let hadBOM: Bool
    /// True when a `\r` (CRLF or a lone CR) was turned into `\n`.
    public let hadCRLF: Bool
}

/// Turns raw file bytes into text the parsers can rely on.
public enum TextDecoding {
    /// Decodes any byte sequence; invalid UTF-8 is decoded lossily and flagged.
    public static func decode(_ bytes: [UInt8]) -> DecodedText {
        let source = SourceText(bytes)
        return DecodedText(
            text: string(source.bytes, 0, source.bytes.count),
            isValidUTF8: source.isValidUTF8,
            hadBOM: source.hadBOM,
            hadCRLF: source.hadCRLF)
    }
}

/// Normalised bytes plus a line index: the common input of the markdown parsers.
struct SourceText {
    /// Valid UTF-8, no BOM, `\n` line ends only.
    let bytes: [UInt8]
    /// Byte offset where each line starts; always at least one line.
    let lineStarts: [Int]
    let isValidUTF8: Bool
    let hadBOM: Bool
    let hadCRLF: Bool
    /// 1-based line of the first invalid byte in the original bytes.
    let firstInvalidLine: Int?

    init(_ raw: [UInt8]) {
        var work = raw
        if let bad = firstInvalidUTF8Offset(raw) {
            isValidUTF8 = false
            firstInvalidLine = lineNumber(of: bad, in: raw)
            work = Array(String(decoding: raw, as: UTF8.self).utf8)
        } else {
            isValidUTF8 = true
            firstInvalidLine = nil
        }
        let bom = work.count >= 3 && work[0] == 0xEF && work[1] == 0xBB && work[2] == 0xBF
        hadBOM = raw.count >= 3 && raw[0] == 0xEF && raw[1] == 0xBB && raw[2] == 0xBF
        let hasCR = work.withUnsafeBufferPointer { p in p.contains(ASCII.cr) }
        hadCRLF = hasCR
        if bom || hasCR {
            var out = [UInt8]()
            out.reserveCapacity(work.count)
            var i = bom ? 3 : 0
            let n = work.count
            while i < n {
                let c = work[i]
                if c == ASCII.cr {
                    out.append(ASCII.lf)
                    if i + 1 < n && work[i + 1] == ASCII.lf { i += 1 }
                } else {
                    out.append(c)
                }
                i += 1
            }
            work = out
        }
        bytes = work
        lineStarts = work.withUnsafeBufferPointer { p in
            var starts = [0]
            starts.reserveCapacity(p.count / 32 + 1)
            var i = 0
            let n = p.count
            while i < n {
                if p[i] == ASCII.lf { starts.append(i + 1) }
                i += 1
            }
            return starts
        }
    }

    var lineCount: Int { lineStarts.count }

    /// Start of line `i` (0-based).
    @inline(__always) func start(_ i: Int) -> Int { lineStarts[i] }

    /// End of line `i` (0-based), excluding its `\n`.
    @inline(__always) func end(_ i: Int) -> Int {
        i + 1 < lineStarts.count ? lineStarts[i + 1] - 1 : bytes.count
    }

    /// The issue every parser reports for a file that is not UTF-8.
    func encodingIssues(path: String) -> [ValidationIssue] {
        guard !isValidUTF8 else { return [] }
        return [Messages.notUTF8(path: path, line: firstInvalidLine)]
    }

    /// Per-line flag: true for fence lines and fenced content (OPENSPEC-FORMAT 2.1).
    func fenceMask() -> [Bool] {
        var mask = [Bool](repeating: false, count: lineCount)
        var active: Fence? = nil
        for li in 0..<lineCount {
            let s = start(li)
            let e = end(li)
            if let fence = active {
                mask[li] = true
                if closesFence(bytes, s, e, fence) { active = nil }
            } else if let fence = fenceOpening(bytes, s, e) {
                active = fence
                mask[li] = true
            }
        }
        return mask
    }
}
