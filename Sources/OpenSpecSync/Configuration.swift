import Foundation

/// Paths as the command line means them. What the environment decides is
/// in `Settings`.
public enum Configuration {
    /// `path` made absolute against the current directory, without `.`/`..`.
    public static func absolute(_ path: String) -> String {
        let full = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        return URL(fileURLWithPath: full).standardizedFileURL.path
    }
}
