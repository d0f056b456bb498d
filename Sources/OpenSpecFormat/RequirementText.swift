/// Requirement-reading helpers shared by delta and main specs, following OpenSpec's
/// `requirement-text.ts` so both paths read a block the same way.
enum RequirementText {
    /// `extractRequirementBody`: non-fenced, non-blank lines up to the first header,
    /// trimmed and joined; `**X**:` metadata lines count only when nothing else does.
    static func body(_ source: SourceText, _ mask: [Bool], from: Int, to: Int) -> String {
        let b = source.bytes
        var captured: [String] = []
        var metadata: [String] = []
        var li = from
        while li < to {
            defer { li += 1 }
            if mask[li] { continue }
            let s = source.start(li)
            let e = source.end(li)
            if headerLine(b, s, e) != nil { break }
            let (ts, te) = jsTrim(b, s, e)
            if ts == te { continue }
            if isMetadataLine(b, ts, te) {
                metadata.append(string(b, ts, te))
            } else {
                captured.append(string(b, ts, te))
            }
        }
        return (captured.isEmpty ? metadata : captured).joined(separator: "\n")
    }

    /// `^\*\*[^*]+\*\*:`
    static func isMetadataLine(_ b: [UInt8], _ s: Int, _ e: Int) -> Bool {
        guard e - s >= 5, b[s] == ASCII.star, b[s + 1] == ASCII.star, b[s + 2] != ASCII.star else {
            return false
        }
        var k = s + 2
        while k < e && b[k] != ASCII.star { k += 1 }
        return k + 2 < e && b[k + 1] == ASCII.star && b[k + 2] == ASCII.colon
    }

    /// `^####\s+`: a scenario header, whatever its text.
    static func isScenarioHeader(_ b: [UInt8], _ s: Int, _ e: Int) -> Bool {
        guard let header = headerLine(b, s, e) else { return false }
        return header.level == 4
    }

    /// Scenario name: the header minus `####`, a closing `#` run and a `Scenario:` prefix.
    static func scenarioName(_ b: [UInt8], _ s: Int, _ e: Int) -> String {
        var (ts, te) = jsTrim(b, s + 4, e)
        // Closing sequence: a run of `#` preceded by whitespace.
        var k = te
        while k > ts && b[k - 1] == ASCII.hash { k -= 1 }
        if k < te && k > ts && jsSpaceLengthBefore(b, ts, k) > 0 {
            (ts, te) = jsTrim(b, ts, k)
        }
        if hasPrefixIgnoringCase(b, ts, te, "scenario:") {
            (ts, te) = jsTrim(b, ts + 9, te)
        }
        return string(b, ts, te)
    }

    /// Scenarios of a requirement block: every non-fenced `####` header in
    /// `[from, to)`, its text running to the next header of level 4 or above.
    static func scenarios(_ source: SourceText, _ mask: [Bool], from: Int, to: Int) -> [Scenario] {
        let b = source.bytes
        var result: [Scenario] = []
        var open: (name: String, line: Int, contentStart: Int)? = nil
        func close(at end: Int) {
            guard let current = open else { return }
            let text = trimmedString(b, current.contentStart, max(current.contentStart, end))
            result.append(Scenario(name: current.name, rawText: text, line: current.line))
            open = nil
        }
        var li = from
        while li < to {
            defer { li += 1 }
            if mask[li] { continue }
            let s = source.start(li)
            let e = source.end(li)
            guard let header = headerLine(b, s, e), header.level <= 4 else { continue }
            close(at: s)
            if header.level == 4 {
                open = (scenarioName(b, s, e), li + 1, min(e + 1, b.count))
            }
        }
        close(at: to < source.lineCount ? source.start(to) : b.count)
        return result
    }
}
