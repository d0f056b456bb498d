import Foundation
import OpenSpecFormat
import OpenSpecGit
import OpenSpecStore

/// The library's front door: what the CLI, the daemon and the server call.
public final class SyncEngine: Sendable {
    public let store: any SyncStore
    /// Where this machine keeps the cross-process locks of the projects
    /// (`<lockBase>.locks/`, see `ProjectLock`): the SQLite file's path.
    public let lockBase: String
    public let fileSystem: FileSystem
    /// The file operations of database-to-file writes (a seam for fault injection).
    public let writeFileSystem: WriteFileSystem
    /// The size cap for one file, read or written (`Settings.maxFileBytes`).
    public let maxFileBytes: Int
    /// Outcomes of edits carried by another caller's group commit (`WriteGroup.swift`).
    let writeOutcomes = WriteOutcomeBoard()
    /// The write path's open repository per project.
    let repositories = RepositoryCache()
    /// This host's name among the hosts sharing the database (`Settings.host`).
    public let host: String
    /// How long an edit of a project another host owns waits for it (`Settings.ownerTimeout`).
    public let ownerTimeout: TimeInterval

    /// An engine on `store`; `lockBase` as for `ProjectLock`.
    public init(store: any SyncStore, lockBase: String, maxFileBytes: Int = Settings.defaultMaxFileBytes,
                fileSystem: FileSystem = PosixFileSystem(), writeFileSystem: WriteFileSystem = PosixWriteFileSystem(),
                host: String = HostIdentity.sqliteHost, ownerTimeout: TimeInterval = Ownership.defaultOwnerTimeout) {
        self.store = store
        self.lockBase = lockBase
        self.maxFileBytes = maxFileBytes
        self.fileSystem = fileSystem
        self.writeFileSystem = writeFileSystem
        self.host = host
        self.ownerTimeout = ownerTimeout
    }

    /// An engine on the SQLite file at `databasePath`. `concurrentReads`
    /// opens a pool of readers (a long-lived server); a command-line
    /// process is better served by one connection.
    public convenience init(databasePath: String, maxFileBytes: Int = Settings.defaultMaxFileBytes,
                            fileSystem: FileSystem = PosixFileSystem(), writeFileSystem: WriteFileSystem = PosixWriteFileSystem(),
                            concurrentReads: Bool = false) throws {
        self.init(store: try SQLiteStore(path: databasePath, concurrentReads: concurrentReads), lockBase: databasePath,
                  maxFileBytes: maxFileBytes, fileSystem: fileSystem, writeFileSystem: writeFileSystem)
    }

    /// The engine for `settings`' database (see `StoreOpener`) and size cap.
    public convenience init(settings: Settings, concurrentReads: Bool = false) throws {
        self.init(store: try StoreOpener.open(settings.database, concurrentReads: concurrentReads),
                  lockBase: settings.databasePath, maxFileBytes: settings.maxFileBytes,
                  host: settings.host, ownerTimeout: settings.ownerTimeout)
    }

    public var reconciler: Reconciler { Reconciler(store: store, fileSystem: fileSystem, host: host) }

    // MARK: Projects

    /// The working-tree root of the git repository around `path` (default: the current directory).
    public static func repositoryRoot(around path: String?) throws -> String {
        let start = Configuration.absolute(path ?? FileManager.default.currentDirectoryPath)
        do {
            return try Repository.discoverRoot(from: start)
        } catch {
            throw SyncError.openingRepository(path: start, error)
        }
    }

    /// Registers a repository (idempotent). The name defaults to the
    /// folder's name. A clone of a project another host registered (the
    /// same `ProjectKey`) joins it as a standby; see `register(root:...)`.
    public func register(repo: String?, name: String?, openspecDir: String?) throws -> ProjectRecord {
        let root = try Self.repositoryRoot(around: repo)
        let folder = (openspecDir ?? "openspec").trimmingCharacters(in: CharacterSet(charactersIn: "/"))
        guard !folder.isEmpty, !folder.split(separator: "/").contains(where: { $0 == ".." || $0 == "." || $0 == ".git" }) else {
            throw SyncError.noOpenSpecFolder(repo: root, folder: openspecDir ?? "")
        }
        guard fileSystem.kind(of: root + "/" + folder) == .directory else {
            throw SyncError.noOpenSpecFolder(repo: root, folder: folder)
        }
        return try register(root: root, folder: folder, name: name)
    }

    /// The registered project for the repository around `repo`.
    public func project(forRepo repo: String?) throws -> ProjectRecord {
        // A registered root given exactly (as hooks give it) needs no discovery.
        if let repo, let project = try project(atRoot: Configuration.absolute(repo)) { return project }
        if let project = try registeredProject(above: repo) { return project }
        let root = try Self.repositoryRoot(around: repo)
        guard let project = try project(atRoot: root) else { throw SyncError.notRegistered(repo: root) }
        return project
    }

    /// The project whose clone on this host is at `root`: this host's clone,
    /// else a project registered at that path before hosts were recorded.
    func project(atRoot root: String) throws -> ProjectRecord? {
        if let clone = try store.projectHost(host: host, repoPath: root) { return try store.project(id: clone.projectId) }
        guard let project = try store.project(repoPath: root),
              try store.projectOwner(projectId: project.id) == nil else { return nil }
        return project
    }

    /// The registered project whose root is the nearest folder at or above
    /// `path` holding a `.git`: what discovery would find, without starting
    /// libgit2 (a few milliseconds of every command run inside a repository).
    /// nil when that folder is not a registered root; discovery then decides.
    private func registeredProject(above path: String?) throws -> ProjectRecord? {
        let start = Configuration.absolute(path ?? FileManager.default.currentDirectoryPath)
        guard let resolved = realpath(start, nil) else { return nil }
        var folder = String(cString: resolved)
        free(resolved)
        while true {
            if fileSystem.kind(of: folder + "/.git") != nil { return try project(atRoot: folder) }
            guard folder != "/", let slash = folder.lastIndex(of: "/") else { return nil }
            folder = slash == folder.startIndex ? "/" : String(folder[..<slash])
        }
    }

    public func project(named name: String, reading reads: (any StoreReads)? = nil) throws -> ProjectRecord {
        let reads = reads ?? store
        guard let project = try reads.project(named: name) ?? reads.project(id: name) else {
            throw SyncError.unknownProject(name)
        }
        return project
    }

    public func reconcile(_ project: ProjectRecord, options: ReconcileOptions = ReconcileOptions(),
                          progress: Reconciler.Progress? = nil) throws -> ReconcileSummary {
        // A killed write or rollback of this tool may have left its commit's paths staged in reverse.
        repairIndexIfHeadMoved(project)
        let summary = try reconciler.reconcile(projectId: project.id, options: options, progress: progress)
        // A full compare may have written every row: settle the log now, not in the next command.
        Trace.mark("committed")
        if summary.mode == .full {
            try? store.sqlite?.checkpointAndTruncateLog()
            Trace.mark("log truncated")
        }
        return summary
    }

    // MARK: Specs

    /// A spec named by row id, change id or folder path (`changes/x`,
    /// `changes/archive/2026-01-01-x`, or `project:path`).
    /// The change `key`, within the project named `projectName` when one is given.
    public func resolveSpec(_ key: String, inProjectNamed projectName: String?, reading reads: (any StoreReads)? = nil) throws -> SpecSummary {
        try resolveSpec(key, projectId: projectName.map { try project(named: $0, reading: reads).id }, reading: reads)
    }

    public func resolveSpec(_ key: String, projectId: String? = nil, reading reads: (any StoreReads)? = nil) throws -> SpecSummary {
        let reads = reads ?? store
        var scope = projectId
        var lookup = key
        if scope == nil, let colon = key.firstIndex(of: ":"),
           let project = try reads.project(named: String(key[..<colon])) {
            scope = project.id
            lookup = String(key[key.index(after: colon)...])
        }
        let matches = try reads.specsMatching(lookup, projectId: scope)
        if matches.count == 1 { return matches[0] }
        if matches.isEmpty { throw SyncError.unknownSpec(key) }
        // A change id shared by an active change and its archived namesakes
        // means the active one; otherwise the caller must say which.
        let live = matches.filter { $0.status == .active }
        if live.count == 1 { return live[0] }
        let names = try projectNames(reading: reads)
        throw SyncError.ambiguousSpec(key, candidates: matches.map {
            SpecCandidate(project: names[$0.projectId] ?? $0.projectId, path: $0.path, status: $0.status.rawValue)
        })
    }
}
