import Foundation
import OpenSpecSync
#if canImport(Glibc)
import Glibc
#endif

/// The bearer token that mutating calls must carry.
public struct APIToken: Sendable {
    public enum Source: Sendable, Equatable {
        /// `OPENSPEC_SYNC_TOKEN`.
        case environment
        /// Read from (or created in) this file next to the database.
        case file(String)
    }

    let secret: [UInt8]
    public let source: Source

    /// Shorter secrets are refused: a token is the only thing between the
    /// network and a commit in the user's repository.
    public static let minimumLength = 16
    public static let environmentVariable = Settings.Variable.token.rawValue

    public init(secret: String, source: Source) throws {
        let trimmed = secret.trimmingCharacters(in: .whitespacesAndNewlines)
        guard trimmed.utf8.count >= Self.minimumLength else {
            throw ServerError.weakToken(source: source)
        }
        self.secret = Array(trimmed.utf8)
        self.source = source
    }

    /// The file a generated token lives in: `<database folder>/api-token`.
    public static func defaultFile(databasePath: String) -> String {
        let folder = (databasePath as NSString).deletingLastPathComponent
        return (folder.isEmpty ? "." : folder) + "/api-token"
    }

    /// `secret` (`OPENSPEC_SYNC_TOKEN`, from `Settings.apiToken`) when set;
    /// otherwise the token file, created on first start with 32 random bytes and mode 0600.
    public static func resolve(secret: String?, tokenFile: String) throws -> APIToken {
        if let value = secret, !value.isEmpty {
            return try APIToken(secret: value, source: .environment)
        }
        if let existing = try readFile(tokenFile) { return existing }
        var bytes = [UInt8](repeating: 0, count: 32)
        var generator = SystemRandomNumberGenerator()
        for index in bytes.indices { bytes[index] = generator.next() }
        let secret = bytes.map { String(format: "%02x", $0) }.joined()
        // O_EXCL: two servers starting at once must not each write a different token.
        let fd = open(tokenFile, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        if fd < 0 {
            let reason = errno
            // Another server made it meanwhile: read what it wrote, once.
            if reason == EEXIST, let made = try readFile(tokenFile, waitingForContent: true) { return made }
            throw ServerError.cannotWriteToken(tokenFile, reason: String(cString: strerror(reason)))
        }
        defer { close(fd) }
        let line = Array((secret + "\n").utf8)
        guard line.withUnsafeBytes({ write(fd, $0.baseAddress, $0.count) }) == line.count, fsync(fd) == 0 else {
            unlink(tokenFile)
            throw ServerError.cannotWriteToken(tokenFile, reason: String(cString: strerror(errno)))
        }
        return try APIToken(secret: secret, source: .file(tokenFile))
    }

    /// The token in `path`; nil when nothing is there. Anything else at the
    /// path (a folder, a link to nowhere, a pipe) is an error: only a plain
    /// file is read, opened without blocking and checked through its
    /// descriptor, so nothing can block or loop. `waitingForContent`: the
    /// file was just made by another server, which may not have written it yet.
    private static func readFile(_ path: String, waitingForContent: Bool = false) throws -> APIToken? {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        if fd < 0 {
            let reason = errno
            var link = stat()
            if reason == ENOENT && lstat(path, &link) != 0 { return nil }
            throw ServerError.unusableTokenFile(path, reason: reason == ENOENT
                ? "it is a symbolic link to a file that does not exist" : String(cString: strerror(reason)))
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw ServerError.unusableTokenFile(path, reason: String(cString: strerror(errno))) }
        switch info.st_mode & S_IFMT {
        case S_IFREG: break
        case S_IFDIR: throw ServerError.unusableTokenFile(path, reason: "it is a folder")
        default: throw ServerError.unusableTokenFile(path, reason: "it is not a regular file")
        }
        if info.st_mode & 0o077 != 0 { throw ServerError.tokenFileTooOpen(path) }
        for attempt in 1... {
            var bytes = [UInt8](repeating: 0, count: maximumFileBytes + 1)
            let count = pread(fd, &bytes, bytes.count, 0)
            guard count >= 0 else { throw ServerError.unusableTokenFile(path, reason: String(cString: strerror(errno))) }
            guard count <= maximumFileBytes else {
                throw ServerError.unusableTokenFile(path, reason: "it is larger than \(maximumFileBytes) bytes, too large to be a token")
            }
            if count > 0 || !waitingForContent || attempt == 50 {
                return try APIToken(secret: String(decoding: bytes[..<count], as: UTF8.self), source: .file(path))
            }
            usleep(20_000)
        }
        return nil
    }

    /// A token file is one line; anything much larger is something else.
    static let maximumFileBytes = 4096

    /// Whether `header` is `Bearer <this token>`, compared in constant time
    /// (the time taken does not depend on how many bytes match).
    func accepts(authorization header: String?) -> Bool {
        guard let header else { return false }
        let prefix = "bearer "
        guard header.count > prefix.count, header.prefix(prefix.count).lowercased() == prefix else { return false }
        let offered = Array(header.dropFirst(prefix.count).trimmingCharacters(in: .whitespaces).utf8)
        var difference = UInt8(offered.count == secret.count ? 0 : 1)
        for index in 0..<secret.count {
            difference |= secret[index] ^ (index < offered.count ? offered[index] : 0)
        }
        return difference == 0
    }
}

/// Why the server cannot start, worded so the user knows what to do.
public enum ServerError: Error, CustomStringConvertible, Sendable {
    case weakToken(source: APIToken.Source)
    case tokenFileTooOpen(String)
    case cannotWriteToken(String, reason: String)
    /// Something at the token file's path that is not a readable file.
    case unusableTokenFile(String, reason: String)
    case publicWithoutToken(host: String)
    /// The address cannot be listened on (a port in use, a privileged port).
    case cannotListen(address: String, reason: String, inUse: Bool)
    case invalidHost(String)

    public var description: String {
        switch self {
        case let .weakToken(source):
            let place = source == .environment ? APIToken.environmentVariable : "the token file"
            return "the API token in \(place) is shorter than \(APIToken.minimumLength) characters; use a long random secret (for example `openssl rand -hex 32`)"
        case let .tokenFileTooOpen(path):
            return "the token file \(path) can be read by other users; run `chmod 600 \(path)` (or delete it and a new one is made)"
        case let .cannotWriteToken(path, reason):
            return "cannot create the token file \(path): \(reason); set \(APIToken.environmentVariable) instead, or make the folder writable"
        case let .unusableTokenFile(path, reason):
            return "cannot read the token file \(path): \(reason); remove it (a new one is made at the next start), or set \(APIToken.environmentVariable) instead"
        case let .cannotListen(address, reason, inUse):
            return "cannot listen on \(address): \(reason); " + (inUse
                ? "another program listens there: stop it, or choose another --port (0 picks a free one)"
                : "give --host an address of this machine (such as 127.0.0.1 or ::1) and a --port you may use")
        case let .publicWithoutToken(host):
            return "refusing to listen on \(host) without a token of your own: anyone who can reach it could change your repositories. Set \(APIToken.environmentVariable) to a long random secret, or listen on 127.0.0.1"
        case let .invalidHost(host):
            return "\"\(host)\" is not an address to listen on; give an IP address such as 127.0.0.1 or ::1, or localhost"
        }
    }
}
