import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// What names this host among the hosts sharing a database. Two processes
/// with the same name are the same host to each other: they share its
/// leases (and coordinate through the project locks of the machine).
public enum HostIdentity {
    /// The name of the one host of a SQLite file, whatever the machine is
    /// called today (a container's host name changes at every start).
    public static let sqliteHost = "local"

    /// Without `OPENSPEC_SYNC_HOST`: `sqliteHost` for a SQLite file, which
    /// only the processes of one machine share; the machine's host name for
    /// a database that several machines share.
    public static func defaultName(for database: Settings.Database) -> String {
        switch database {
        case .sqlite: sqliteHost
        case .postgres: machineName
        }
    }

    /// The machine's host name (`gethostname`), or "localhost" when it has none.
    public static var machineName: String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "localhost" }
        let name = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return name.isEmpty ? "localhost" : name
    }
}
