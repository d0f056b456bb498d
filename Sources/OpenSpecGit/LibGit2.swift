import Foundation
internal import CGitSupport
internal import CLibgit2

/// libgit2's global state, set up once per process and never shut down.
///
/// A global `let` is initialised lazily and exactly once (Swift guarantees
/// it), so touching it before the first libgit2 call is enough. Shutting
/// down would invalidate handles still owned by other tasks.
private let libgit2InitCount: Int32 = git_libgit2_init()

/// Makes sure libgit2 is initialised; cheap after the first call.
@inline(__always)
func ensureLibgit2() {
    _ = libgit2InitCount
}

/// How many CA bundle loads libgit2 asked for and was spared: 0 unless the
/// executable was linked to skip them (`make release`, SKIP_CA_BUNDLE) and
/// libgit2 is built with mbedTLS (Debian's is); then 1 after the first
/// libgit2 call. See CGitSupport.c.
public func caBundleLoadsSkipped() -> Int {
    ensureLibgit2()
    return Int(openspec_git_ca_bundle_skips())
}

extension ObjectID {
    init(_ oid: git_oid) {
        var copy = oid
        self.init(rawBytes: withUnsafeBytes(of: &copy.id) { Array($0) })
    }

    init(_ pointer: UnsafePointer<git_oid>) {
        self.init(pointer.pointee)
    }

    /// The libgit2 form of this id.
    var oid: git_oid {
        var result = git_oid()
        let bytes = rawBytes
        withUnsafeMutableBytes(of: &result.id) { buffer in
            for index in 0..<min(buffer.count, bytes.count) { buffer[index] = bytes[index] }
        }
        return result
    }
}

/// Calls `body` with a `git_strarray` holding `strings`, valid only during the call.
func withStrarray<R>(_ strings: [String], _ body: (inout git_strarray) throws -> R) rethrows -> R {
    let cStrings: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
    defer { cStrings.forEach { free($0) } }
    var pointers = cStrings
    return try pointers.withUnsafeMutableBufferPointer { buffer in
        var array = git_strarray(strings: buffer.baseAddress, count: buffer.count)
        return try body(&array)
    }
}

/// Normalises a repository-relative folder or file path: no leading or
/// trailing slashes, `""` for the repository root.
func normalizedRelativePath(_ path: String) -> String {
    var result = Substring(path)
    while result.hasPrefix("/") { result = result.dropFirst() }
    while result.hasSuffix("/") { result = result.dropLast() }
    return String(result)
}

/// Joins a folder and a name with '/', treating `""` as the root.
func joinPath(_ folder: String, _ name: String) -> String {
    folder.isEmpty ? name : folder + "/" + name
}

/// Whether `path` is `prefix` itself or lies below it.
func isPath(_ path: String, under prefix: String) -> Bool {
    if prefix.isEmpty { return true }
    guard path.hasPrefix(prefix) else { return false }
    if path.utf8.count == prefix.utf8.count { return true }
    return path.utf8[path.utf8.index(path.utf8.startIndex, offsetBy: prefix.utf8.count)] == UInt8(ascii: "/")
}

/// Orders paths by their UTF-8 bytes, as git sorts file names.
func pathPrecedes(_ lhs: String, _ rhs: String) -> Bool {
    lhs.utf8.lexicographicallyPrecedes(rhs.utf8)
}
