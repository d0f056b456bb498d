import Foundation
import OpenSpecGit

/// What names a project on every host, whatever folder its clone is in:
/// its `origin` remote, normalised, and its OpenSpec folder; without an
/// origin, `init --name`; without either, this host and the clone's path
/// (a project only this host can have).
public enum ProjectKey {
    public static func make(repo root: String, folder: String, name: String?, host: String) -> String {
        if let origin = (try? Repository(path: root).remoteURL()).flatMap({ $0 }), let remote = normalisedRemote(origin) {
            return remote + "#" + folder
        }
        if let name { return "name:" + name + "#" + folder }
        return SyncEngine.pathKey(root, folder, host)
    }

    /// `git@Host:owner/repo.git`, `ssh://user@host:22/owner/repo`, and
    /// `https://user:secret@host/owner/repo/` all become `host/owner/repo`:
    /// no scheme, user, password, port or `.git`, the host in lower case. A
    /// local path (or `file://` URL) stays a path. nil for an empty URL.
    public static func normalisedRemote(_ url: String) -> String? {
        var text = url.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty else { return nil }
        var host: String?
        if let scheme = text.range(of: "://") {
            let isFile = text[..<scheme.lowerBound].lowercased() == "file"
            text = String(text[scheme.upperBound...])
            if !isFile {
                let slash = text.firstIndex(of: "/") ?? text.endIndex
                host = String(text[..<slash])
                text = String(text[slash...])
            }
        } else if !text.hasPrefix("/"), let colon = text.firstIndex(of: ":"),
                  !text[..<colon].contains("/") {
            // scp-like: [user@]host:path
            host = String(text[..<colon])
            text = "/" + text[text.index(after: colon)...]
        }
        while text.hasSuffix("/") { text.removeLast() }
        if text.hasSuffix(".git") { text.removeLast(4) }
        while text.hasSuffix("/") { text.removeLast() }
        guard var host else { return text.isEmpty ? nil : text }
        if let at = host.lastIndex(of: "@") { host = String(host[host.index(after: at)...]) }
        if let colon = host.lastIndex(of: ":"), !host.hasSuffix("]") { host = String(host[..<colon]) }
        if !text.hasPrefix("/") { text = "/" + text }
        return host.lowercased() + text
    }
}
