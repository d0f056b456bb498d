/// A line-by-line difference between two texts (Myers' O(ND) algorithm).
/// Work and memory grow with the size of the difference, not the product
/// of the sizes; past `maxEdits` differing lines the middle is given as
/// deleted then added, so a huge rewrite costs no more than reading it.
public enum LineDiff {
    public enum Kind: String, Sendable, Codable {
        case context, add, del
    }

    /// One line of the result: unchanged (both numbers), added (new only) or deleted (old only); numbers from 1.
    public struct Line: Sendable, Equatable, Codable {
        public var kind: Kind
        public var text: String
        public var oldLine: Int?
        public var newLine: Int?

        public init(kind: Kind, text: String, oldLine: Int?, newLine: Int?) {
            self.kind = kind
            self.text = text
            self.oldLine = oldLine
            self.newLine = newLine
        }

        public func encode(to encoder: Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(kind, forKey: .kind)
            try container.encode(text, forKey: .text)
            try container.encode(oldLine, forKey: .oldLine)  // null, not absent
            try container.encode(newLine, forKey: .newLine)
        }
    }

    public static let defaultMaxEdits = 2000

    /// The lines of `old` and `new` in order, each marked context, add or del.
    public static func lines(from old: String, to new: String, maxEdits: Int = defaultMaxEdits) -> [Line] {
        diff(split(old), split(new), maxEdits: maxEdits)
    }

    /// Lines without their ending; a final newline ends the last line, it does not start another.
    public static func split(_ text: String) -> [Substring] {
        if text.isEmpty { return [] }
        // "\r\n" is one Character to Swift: both end a line.
        var lines = text.split(omittingEmptySubsequences: false) { $0 == "\n" || $0 == "\r\n" }
        if text.hasSuffix("\n") || text.hasSuffix("\r\n") { lines.removeLast() }
        return lines.map { $0.hasSuffix("\r") ? $0.dropLast() : $0 }
    }

    public static func diff(_ a: [Substring], _ b: [Substring], maxEdits: Int = defaultMaxEdits) -> [Line] {
        // The common head and tail cost nothing to find and are most of a typical edit.
        var prefix = 0
        while prefix < a.count && prefix < b.count && a[prefix] == b[prefix] { prefix += 1 }
        var suffix = 0
        while suffix < a.count - prefix && suffix < b.count - prefix && a[a.count - 1 - suffix] == b[b.count - 1 - suffix] { suffix += 1 }
        var result: [Line] = []
        result.reserveCapacity(max(a.count, b.count))
        for index in 0..<prefix {
            result.append(Line(kind: .context, text: String(a[index]), oldLine: index + 1, newLine: index + 1))
        }
        let middleA = Array(a[prefix..<(a.count - suffix)])
        let middleB = Array(b[prefix..<(b.count - suffix)])
        for step in middle(middleA, middleB, maxEdits: maxEdits) {
            switch step {
            case let .keep(i, j):
                result.append(Line(kind: .context, text: String(middleA[i]), oldLine: prefix + i + 1, newLine: prefix + j + 1))
            case let .delete(i):
                result.append(Line(kind: .del, text: String(middleA[i]), oldLine: prefix + i + 1, newLine: nil))
            case let .insert(j):
                result.append(Line(kind: .add, text: String(middleB[j]), oldLine: nil, newLine: prefix + j + 1))
            }
        }
        for offset in 0..<suffix {
            let i = a.count - suffix + offset, j = b.count - suffix + offset
            result.append(Line(kind: .context, text: String(a[i]), oldLine: i + 1, newLine: j + 1))
        }
        return result
    }

    enum Step: Equatable {
        case keep(Int, Int)
        case delete(Int)
        case insert(Int)
    }

    /// Myers' greedy forward search, keeping each round's frontier to walk back.
    static func middle(_ a: [Substring], _ b: [Substring], maxEdits: Int) -> [Step] {
        let n = a.count, m = b.count
        if n == 0 || m == 0 {
            return (0..<n).map { Step.delete($0) } + (0..<m).map { Step.insert($0) }
        }
        let limit = min(n + m, maxEdits)
        let offset = limit + 1
        var frontier = [Int](repeating: 0, count: 2 * limit + 3)
        var trace: [[Int]] = []
        var found = -1
        search: for d in 0...limit {
            var current = frontier
            for k in stride(from: -d, through: d, by: 2) {
                var x: Int
                if k == -d || (k != d && frontier[offset + k - 1] < frontier[offset + k + 1]) {
                    x = frontier[offset + k + 1]
                } else {
                    x = frontier[offset + k - 1] + 1
                }
                var y = x - k
                while x < n && y < m && a[x] == b[y] { x += 1; y += 1 }
                current[offset + k] = x
                if x >= n && y >= m {
                    trace.append(Array(current[(offset - d)...(offset + d)]))
                    found = d
                    break search
                }
            }
            trace.append(Array(current[(offset - d)...(offset + d)]))
            frontier = current
        }
        guard found >= 0 else {
            // Too different to be worth aligning: all of the old, then all of the new.
            return (0..<n).map { Step.delete($0) } + (0..<m).map { Step.insert($0) }
        }
        return walkBack(trace, n: n, m: m)
    }

    /// From the end, each round's choice back to the start, then reversed.
    private static func walkBack(_ trace: [[Int]], n: Int, m: Int) -> [Step] {
        var steps: [Step] = []
        var x = n, y = m
        for d in stride(from: trace.count - 1, to: 0, by: -1) {
            let previous = trace[d - 1]
            func at(_ k: Int) -> Int { previous[k + (d - 1)] }
            let k = x - y
            let down = k == -d || (k != d && at(k - 1) < at(k + 1))
            let previousK = down ? k + 1 : k - 1
            let previousX = at(previousK)
            let previousY = previousX - previousK
            while x > previousX + (down ? 0 : 1) && y > previousY + (down ? 1 : 0) {
                x -= 1; y -= 1
                steps.append(.keep(x, y))
            }
            if down { y -= 1; steps.append(.insert(y)) } else { x -= 1; steps.append(.delete(x)) }
        }
        while x > 0 && y > 0 { x -= 1; y -= 1; steps.append(.keep(x, y)) }
        return steps.reversed()
    }
}
