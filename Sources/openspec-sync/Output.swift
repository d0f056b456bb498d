import Foundation
#if canImport(Glibc)
import Glibc
#endif

func truncate(_ text: String, _ width: Int) -> String {
    let line = text.split(separator: "\n", maxSplits: 1).first.map(String.init) ?? ""
    return line.count <= width ? line : String(line.prefix(width - 1)) + "…"
}

/// A plain left-aligned table: columns as wide as their widest cell.
func renderTable(header: [String], rows: [[String]]) -> String {
    let all = [header] + rows
    let columns = all.map(\.count).max() ?? 0
    var widths = [Int](repeating: 0, count: columns)
    for row in all { for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) } }
    return all.map { row in
        row.enumerated().map { i, cell in
            i == row.count - 1 ? cell : cell.padding(toLength: widths[i], withPad: " ", startingAt: 0)
        }.joined(separator: "  ")
    }.joined(separator: "\n")
}

/// A one-line progress bar on stderr, only when stderr is a terminal and
/// the work is long enough to be worth watching.
final class ProgressBar {
    private let enabled: Bool
    private let label: String
    private var drawn = false
    private var lastDraw = Date.distantPast

    init(enabled: Bool, label: String) {
        self.enabled = enabled && isatty(STDERR_FILENO) == 1
        self.label = label
    }

    func update(_ done: Int, _ total: Int) {
        guard enabled, total >= 200 else { return }
        let now = Date()
        guard done == total || now.timeIntervalSince(lastDraw) > 0.1 else { return }
        lastDraw = now
        let width = 30
        let filled = total == 0 ? width : width * done / total
        let bar = String(repeating: "=", count: filled) + String(repeating: " ", count: width - filled)
        FileHandle.standardError.write(Data("\r\(label) [\(bar)] \(done)/\(total) changes".utf8))
        drawn = true
    }

    func finish() {
        if drawn { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}
