import Foundation
import OpenSpecFormat
import Testing

/// Finds `Fixtures/` from this file's location, following symlinks, or from
/// `OPENSPEC_SYNC_FIXTURES`, so the tests run from any checkout or wrapper package.
enum Fixtures {
    static let root: URL = locate()

    private static func locate(file: String = #filePath) -> URL {
        if let override = ProcessInfo.processInfo.environment["OPENSPEC_SYNC_FIXTURES"], !override.isEmpty {
            return URL(fileURLWithPath: override, isDirectory: true)
        }
        let here = URL(fileURLWithPath: file)
        for start in [here.resolvingSymlinksInPath(), here] {
            var dir = start.deletingLastPathComponent()
            while dir.path != "/" && !dir.path.isEmpty {
                let fixtures = dir.appendingPathComponent("Fixtures", isDirectory: true)
                let manifest = dir.appendingPathComponent("Package.swift")
                if FileManager.default.fileExists(atPath: fixtures.path),
                    let text = try? String(contentsOf: manifest, encoding: .utf8),
                    text.contains("name: \"openspec-sync\"")
                {
                    return fixtures
                }
                dir = dir.deletingLastPathComponent()
            }
        }
        return here.deletingLastPathComponent().appendingPathComponent("Fixtures-not-found")
    }

    /// The exact bytes of a fixture file.
    static func bytes(_ relative: String) throws -> [UInt8] {
        let url = root.appendingPathComponent(relative)
        return [UInt8](try Data(contentsOf: url))
    }

    /// Every file under a folder, keyed by path relative to it.
    static func files(under relative: String) throws -> [String: [UInt8]] {
        let base = root.appendingPathComponent(relative).resolvingSymlinksInPath()
        var result: [String: [UInt8]] = [:]
        guard let walker = FileManager.default.enumerator(at: base, includingPropertiesForKeys: [.isRegularFileKey])
        else { return result }
        for case let url as URL in walker {
            let values = try url.resourceValues(forKeys: [.isRegularFileKey])
            guard values.isRegularFile == true else { continue }
            let full = url.resolvingSymlinksInPath().path
            let relativePath = String(full.dropFirst(base.path.count + 1))
            result[relativePath] = [UInt8](try Data(contentsOf: url))
        }
        return result
    }
}

/// UTF-8 bytes of a string literal.
func utf8(_ s: String) -> [UInt8] { Array(s.utf8) }

/// A small deterministic generator so random tests are reproducible.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

extension Array where Element == ValidationIssue {
    func messages(_ level: IssueLevel? = nil) -> [String] {
        filter { level == nil || $0.level == level }.map(\.message)
    }

    var errors: [ValidationIssue] { filter { $0.level == .error } }
}

/// Wall-clock seconds spent in `body`.
func measure(_ body: () -> Void) -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}
