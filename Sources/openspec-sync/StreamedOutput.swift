import Foundation

/// Standard output in chunks: a long listing is written as it is made,
/// not gathered first, and without a system call per line.
final class StandardOutputBuffer {
    private var pending = Data()
    private let chunk = 64 * 1024

    func write(_ text: String) {
        pending.append(contentsOf: text.utf8)
        if pending.count >= chunk { flush() }
    }

    func write(_ bytes: Data) {
        pending.append(bytes)
        if pending.count >= chunk { flush() }
    }

    func flush() {
        guard !pending.isEmpty else { return }
        FileHandle.standardOutput.write(pending)
        pending.removeAll(keepingCapacity: true)
    }
}

/// `{"key": [...]}` written one element at a time, byte for byte as
/// `printJSON` writes the whole object: each element is encoded alone and
/// indented to its depth (two levels of two spaces). JSON strings hold no
/// raw newline, so indenting after each newline touches only layout.
struct StreamedJSONObjectArray<Element: Encodable> {
    let key: String
    let output: StandardOutputBuffer
    private var count = 0
    private let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }()

    init(key: String, output: StandardOutputBuffer) {
        self.key = key
        self.output = output
    }

    mutating func append(_ element: Element) throws {
        let text = String(decoding: try encoder.encode(element), as: UTF8.self)
        output.write(count == 0 ? "{\n  \(try encodedKey()) : [\n" : ",\n")
        output.write("    " + text.replacingOccurrences(of: "\n", with: "\n    "))
        count += 1
    }

    /// Closes the array; an empty one is written as `printJSON` writes it.
    func finish() throws {
        if count == 0 {
            output.write(try encoder.encode([key: [Element]()]))
            output.write("\n")
        } else {
            output.write("\n  ]\n}\n")
        }
        output.flush()
    }

    private func encodedKey() throws -> String {
        String(decoding: try encoder.encode(key), as: UTF8.self)
    }
}

/// Column widths of a `renderTable` table measured row by row, so rows can
/// be printed in a second pass without keeping them.
struct TableWidths {
    private(set) var widths: [Int] = []

    mutating func measure(_ row: [String]) {
        for (i, cell) in row.enumerated() {
            if i == widths.count { widths.append(0) }
            widths[i] = max(widths[i], cell.count)
        }
    }

    /// A column measured apart (a cell not every pass has).
    mutating func insertColumn(width: Int, at index: Int) {
        widths.insert(width, at: index)
    }

    /// One line of the table, as `renderTable` lays it out.
    func line(_ row: [String]) -> String {
        row.enumerated().map { i, cell in
            i == row.count - 1 ? cell : cell.padding(toLength: widths[i], withPad: " ", startingAt: 0)
        }.joined(separator: "  ")
    }
}
