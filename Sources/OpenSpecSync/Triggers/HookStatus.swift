import Foundation

/// One git hook as `hooks status` reports it.
public struct HookStatus: Codable, Sendable, Equatable {
    /// The hook's name, e.g. "post-commit".
    public var name: String
    /// Our script is in place.
    public var installed: Bool
    /// A hook that was there before is kept beside ours (`<name>.pre-openspec-sync`) and runs first.
    public var chained: Bool
    /// The binary the installed script calls.
    public var binary: String?
    /// The database the installed script passes to it.
    public var database: String?
    /// Installed with this binary, this database and the current template.
    public var upToDate: Bool
    /// A hook that is not ours holds the name: ours was never installed, or was replaced since.
    public var foreign: Bool
    /// What the user should know about this hook, in one sentence; nil when all is as expected.
    public var note: String?

    public init(
        name: String, installed: Bool, chained: Bool, binary: String? = nil, database: String? = nil,
        upToDate: Bool, foreign: Bool = false, note: String? = nil
    ) {
        self.name = name
        self.installed = installed
        self.chained = chained
        self.binary = binary
        self.database = database
        self.upToDate = upToDate
        self.foreign = foreign
        self.note = note
    }
}
