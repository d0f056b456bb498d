import Foundation

/// A fresh temporary folder, removed when released (kept with
/// `KEEP_TEST_REPOS=1`, as repositories are).
public final class TempFolder: @unchecked Sendable {
    public let path: String

    public init(prefix: String) throws {
        path = try makeTemporaryDirectory(prefix: prefix)
    }

    deinit {
        if ProcessInfo.processInfo.environment["KEEP_TEST_REPOS"] == nil {
            try? FileManager.default.removeItem(atPath: path)
        }
    }

    /// The path of `name` inside the folder.
    public func file(_ name: String) -> String { path + "/" + name }
}
