import Foundation

/// Why a path under `changes/` is not synced, though it is there.
public enum SkipReason: String, Codable, Sendable {
    /// Its name is not valid UTF-8: no id or path of the database can name
    /// it without loss, so it is left alone until renamed.
    case nameNotUTF8 = "name-not-utf8"
    /// A git submodule (a folder with its own `.git`): another repository, not a change.
    case submodule
}

/// A path the reconciler leaves out on purpose, kept on the project (and
/// shown by `status`) until it goes: reported once, not as an error every run.
public struct SkippedPath: Codable, Sendable, Equatable, Hashable {
    /// openspec-relative, each byte that is not part of valid UTF-8 written as `\xNN`.
    public var path: String
    public var reason: SkipReason

    public init(path: String, reason: SkipReason) {
        self.path = path; self.reason = reason
    }
}

/// The skipped paths of a project, grouped by the folder whose listing or
/// read found them (a change folder, or `changes` and `changes/archive` for
/// change folders' own names): a run replaces the groups it looked at.
struct SkippedPaths: Codable, Equatable {
    var groups: [String: [SkippedPath]] = [:]

    var all: [SkippedPath] { groups.values.flatMap { $0 }.sorted { $0.path < $1.path } }

    static func decode(_ json: String) -> SkippedPaths {
        guard json != "{}" && !json.isEmpty else { return SkippedPaths() }
        return (try? JSONDecoder().decode(SkippedPaths.self, from: Data(json.utf8))) ?? SkippedPaths()
    }

    func encoded() -> String {
        guard !groups.isEmpty else { return "{}" }
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return (try? encoder.encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }
}

/// A file name's bytes as text: valid UTF-8 as it is, any other byte as `\xNN`.
func escapedName(_ bytes: some Collection<UInt8>) -> String {
    var out = ""
    var rest = Array(bytes)[...]
    while !rest.isEmpty {
        let lead = rest.first!
        let length = lead < 0x80 ? 1 : lead >= 0xC2 && lead <= 0xDF ? 2 : lead >= 0xE0 && lead <= 0xEF ? 3 : lead >= 0xF0 && lead <= 0xF4 ? 4 : 0
        if length > 0, rest.count >= length, let text = String(validating: rest.prefix(length), as: UTF8.self) {
            out += text
            rest = rest.dropFirst(length)
        } else {
            out += "\\x" + String(lead, radix: 16, uppercase: true).leftPadded(to: 2)
            rest = rest.dropFirst()
        }
    }
    return out
}

private extension String {
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
