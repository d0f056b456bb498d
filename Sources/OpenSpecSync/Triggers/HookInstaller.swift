import Foundation
import OpenSpecGit
import OpenSpecStore

/// Installs, removes and inspects the git hooks that keep the database in step.
///
/// Each hook name gets a small sh script (from `HookTemplates`) that runs the
/// hook that was there before, then `<binary> hook <name> --db <database>`.
/// A hook that was there before is renamed, never copied, to
/// `<name>.pre-openspec-sync` (so a symlink stays a symlink and the mode is
/// kept), and renamed back on uninstall. Every check runs before the first
/// change, so a refusal leaves the folder as it was; each file is replaced
/// atomically.
public struct HookInstaller: Sendable {
    public static let hookNames = SyncTrigger.gitHooks.map(\.rawValue)
    /// The comment line that marks a script as ours; later versions bump the number.
    public static let marker = "# openspec-sync hook v2"
    /// Suffix of the name a hook that was there before is kept under.
    public static let savedSuffix = ".pre-openspec-sync"
    static let markerPrefix = "# openspec-sync hook v"
    static let binaryPlaceholder = "@OPENSPEC_SYNC_BINARY@"
    static let databasePlaceholder = "@OPENSPEC_SYNC_DATABASE@"

    public let repositoryRoot: String
    /// Absolute path of the binary the scripts call (symlinks kept, so a
    /// symlink that follows upgrades keeps working).
    public let binary: String
    /// Absolute path of the database the scripts pass to it.
    public let database: String
    public let templates: HookTemplates
    /// The home folder a `core.hooksPath` of `~/…` stands for (`Settings.home`).
    public let home: String?

    public init(repositoryRoot: String, binary: String, database: String, home: String? = nil,
                templates: HookTemplates = .builtIn) {
        self.repositoryRoot = repositoryRoot
        self.binary = HookFiles.absolutePath(binary)
        self.database = HookFiles.absolutePath(database)
        self.home = home
        self.templates = templates
    }

    /// The folder git runs this repository's hooks from (`core.hooksPath` honoured).
    public func hooksDirectory() throws -> String {
        try locate().hooks
    }

    /// The log the hook scripts append to: `<git dir>/openspec-sync/hook.log`.
    public func logFile() throws -> String {
        try locate().gitDir + "/openspec-sync/hook.log"
    }

    /// The script installed for `name`: the template with both paths filled in.
    public func script(for name: String) throws -> String {
        guard let template = templates.scripts[name] else { throw HookError.missingTemplate(name) }
        return ShellText.fillingPlaceholders(of: template, with: [
            Self.binaryPlaceholder: ShellText.quoted(binary),
            Self.databasePlaceholder: ShellText.quoted(database),
        ])
    }

    // MARK: - Install, uninstall, status

    /// Puts our scripts in place; idempotent, and creates the hooks folder if it is missing.
    @discardableResult
    public func install() throws -> [HookStatus] {
        let folder = try locate().hooks
        try prepareFolder(folder)
        var steps: [() throws -> Void] = []
        for name in Self.hookNames {
            let script = Array(try script(for: name).utf8)
            let hookPath = folder + "/" + name
            let savedPath = hookPath + Self.savedSuffix
            let saved = try HookFiles.entry(at: savedPath)
            switch try HookFiles.entry(at: hookPath) {
            case .absent:
                steps.append { try HookFiles.writeAtomically(script, to: hookPath) }
            case let .ours(bytes):
                // A saved copy of our own script would only run the sync twice.
                if case .ours = saved { steps.append { try HookFiles.removeFile(savedPath) } }
                if bytes != script { steps.append { try HookFiles.writeAtomically(script, to: hookPath) } }
            case .foreign:
                if case .foreign = saved { throw HookError.savedHookInTheWay(hook: hookPath, savedPath: savedPath) }
                if case .notAFile = saved { throw HookError.savedHookInTheWay(hook: hookPath, savedPath: savedPath) }
                steps.append { try HookFiles.writeAtomically(script, to: hookPath, movingAsideTo: savedPath) }
            case .notAFile:
                throw HookError.hookIsNotAFile(path: hookPath)
            }
        }
        for step in steps { try step() }
        return try statuses(in: folder)
    }

    /// Removes our scripts and puts back exactly what was there before (bytes, mode, symlinks).
    ///
    /// Touches only our files: a script of someone else's that replaced ours
    /// since is left alone, and its status says so. Nothing installed: no-op.
    @discardableResult
    public func uninstall() throws -> [HookStatus] {
        let folder = try locate().hooks
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder), isFolder.boolValue else {
            return try statuses(in: folder)
        }
        var steps: [() throws -> Void] = []
        for name in Self.hookNames {
            let hookPath = folder + "/" + name
            let savedPath = hookPath + Self.savedSuffix
            let hook = try HookFiles.entry(at: hookPath)
            let saved = try HookFiles.entry(at: savedPath)
            switch (hook, saved) {
            case (.ours, .foreign), (.absent, .foreign):
                // One rename replaces our script with the earlier hook, exactly as it was.
                steps.append { try HookFiles.renameFile(savedPath, to: hookPath) }
            case (.ours, .ours):
                steps.append { try HookFiles.removeFile(savedPath) }
                steps.append { try HookFiles.removeFile(hookPath) }
            case (.ours, .absent), (.ours, .notAFile):
                // A folder under the saved name was never put there by install: it stays.
                steps.append { try HookFiles.removeFile(hookPath) }
            case (.absent, .ours):
                steps.append { try HookFiles.removeFile(savedPath) }
            case (.absent, .absent), (.absent, .notAFile), (.foreign, _), (.notAFile, _):
                break
            }
        }
        if !steps.isEmpty { try checkWritable(folder) }
        for step in steps { try step() }
        return try statuses(in: folder)
    }

    public func status() throws -> [HookStatus] {
        try statuses(in: try locate().hooks)
    }

    /// Past `limit` bytes, renames the hook log to `hook.log.1` (replacing an
    /// older one) so the next run starts a new file; the running hook keeps
    /// writing to the renamed file. Returns whether it rotated.
    @discardableResult
    public static func rotateLog(at path: String, limit: Int64 = 1 << 20) -> Bool {
        var info = stat()
        guard !path.isEmpty, path != "/dev/null", lstat(path, &info) == 0, info.st_mode & S_IFMT == S_IFREG,
            Int64(info.st_size) > limit
        else { return false }
        return rename(path, path + ".1") == 0
    }

    /// The last lines of `<git dir>/openspec-sync/hook.log` (and of the
    /// rotated `hook.log.1` when that is short), for `status`; empty when there is none.
    public func recentLog(lines: Int) -> [String] {
        guard lines > 0, let path = try? logFile() else { return [] }
        var result = HookFiles.logLines(path)
        if result.count < lines { result = HookFiles.logLines(path + ".1") + result }
        return Array(result.suffix(lines))
    }

    // MARK: - Finding the binary

    /// The absolute path of the running binary as it was invoked: a symlink
    /// stays a symlink, so hooks keep working across upgrades that move it.
    ///
    /// `argv0` with a slash is made absolute; a bare name is looked up in
    /// `searchPath` (the folders of `PATH`); otherwise the path the system
    /// reports for this process.
    public static func executablePath(invokedAs argv0: String = CommandLine.arguments.first ?? "",
                                      searchPath: [String] = []) -> String? {
        if argv0.contains("/") { return HookFiles.absolutePath(argv0) }
        if !argv0.isEmpty {
            for folder in searchPath where !folder.isEmpty {
                let candidate = HookFiles.absolutePath(String(folder) + "/" + argv0)
                if access(candidate, X_OK) == 0 { return candidate }
            }
        }
        return Bundle.main.executablePath
    }

    // MARK: - Internals

    private struct Location {
        let gitDir: String
        let hooks: String
    }

    private func locate() throws -> Location {
        let repository: Repository
        do {
            repository = try Repository(path: try Repository.discoverRoot(from: repositoryRoot))
        } catch let error as GitError {
            throw HookError.notARepository(path: repositoryRoot, reason: error.message)
        }
        do {
            return Location(gitDir: repository.gitDir, hooks: try repository.hooksDirectory(home: home))
        } catch let error as GitError {
            throw HookError.configuration(error.message)
        }
    }

    private func statuses(in folder: String) throws -> [HookStatus] {
        try Self.hookNames.map { try status(of: $0, in: folder) }
    }

    private func status(of name: String, in folder: String) throws -> HookStatus {
        let hookPath = folder + "/" + name
        let savedPath = hookPath + Self.savedSuffix
        let hook = try HookFiles.entry(at: hookPath)
        let saved = try HookFiles.entry(at: savedPath)
        let savedName = name + Self.savedSuffix
        switch hook {
        case let .ours(bytes):
            let text = String(decoding: bytes, as: UTF8.self)
            let upToDate = bytes == Array(try script(for: name).utf8)
            var note: String?
            if case let .foreign(executable) = saved, !executable {
                note = "the earlier hook \(savedName) is kept but is not executable, so it does not run (git would not run it either)"
            } else if !upToDate {
                note = "installed with another binary, database or script version; run `openspec-sync hooks install` again"
            }
            let chained: Bool = if case .foreign = saved { true } else { false }
            return HookStatus(
                name: name, installed: true, chained: chained,
                binary: ShellText.assignment("bin", in: text), database: ShellText.assignment("db", in: text),
                upToDate: upToDate, foreign: false, note: note)
        case .absent:
            let note: String? = if case .foreign = saved {
                "our hook was removed by hand; the earlier hook is still kept as \(savedName), and uninstall puts it back"
            } else { nil }
            return HookStatus(name: name, installed: false, chained: false, upToDate: false, note: note)
        case .foreign, .notAFile:
            let note = saved == .absent
                ? "a hook that is not openspec-sync's is in place; install keeps it and runs it first"
                : "a hook that is not openspec-sync's replaced ours; it is left alone, and \(savedName) is kept as it is"
            return HookStatus(name: name, installed: false, chained: false, upToDate: false, foreign: true, note: note)
        }
    }

    /// Makes the hooks folder if needed and checks that it can be written, before anything changes.
    private func prepareFolder(_ folder: String) throws {
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder) {
            guard isFolder.boolValue else {
                throw HookError.hooksFolderUnusable(
                    path: folder, reason: "it is not a folder (core.hooksPath set to a file such as /dev/null turns hooks off)")
            }
        } else {
            do {
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            } catch {
                throw HookError.hooksFolderUnusable(path: folder, reason: "it does not exist and cannot be created: \(error.localizedDescription)")
            }
        }
        try checkWritable(folder)
    }

    private func checkWritable(_ folder: String) throws {
        guard access(folder, W_OK | X_OK) == 0 else {
            throw HookError.hooksFolderUnusable(path: folder, reason: "it is not writable (\(HookFiles.errnoText()))")
        }
    }
}
