import Foundation
import OpenSpecGit
import OpenSpecStore

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

/// Why hooks could not be installed, removed or inspected, worded so the user knows what to do next.
public enum HookError: Error, CustomStringConvertible, Sendable, Equatable {
    case notARepository(path: String, reason: String)
    /// The hooks folder is missing and cannot be made, is not a folder, or cannot be written.
    case hooksFolderUnusable(path: String, reason: String)
    /// `core.hooksPath` cannot be used (e.g. it is empty).
    case configuration(String)
    /// A foreign hook would have to be moved aside, but `<name>.pre-openspec-sync` is taken by a file that is not ours.
    case savedHookInTheWay(hook: String, savedPath: String)
    /// The hook's name is taken by something git cannot run (a folder, a socket).
    case hookIsNotAFile(path: String)
    case missingTemplate(String)
    case fileOperation(path: String, operation: String, reason: String)

    public var description: String {
        switch self {
        case let .notARepository(path, reason):
            return "\(path) is not inside a git repository with a working tree (\(reason)); pass --repo PATH"
        case let .hooksFolderUnusable(path, reason):
            return "cannot use the hooks folder \(path): \(reason)"
        case let .configuration(message):
            return message
        case let .savedHookInTheWay(hook, savedPath):
            return "\(hook) is a hook of your own and would be kept as \(savedPath), but that file already exists "
                + "and is not openspec-sync's; nothing was changed. Merge or remove one of the two, then install again"
        case let .hookIsNotAFile(path):
            return "\(path) is not a file, so it cannot be a hook; move it away and install again"
        case let .missingTemplate(name):
            return "no script template for the \(name) hook"
        case let .fileOperation(path, operation, reason):
            return "\(operation) \(path) failed: \(reason)"
        }
    }
}

/// The hook script templates, keyed by hook name.
///
/// The source of truth is the `Hooks/` folder of the source tree; `builtIn`
/// holds the same text so an installed binary needs no source tree (a test
/// keeps the two identical). Each template has two placeholders, replaced by
/// shell-quoted absolute paths: `@OPENSPEC_SYNC_BINARY@` and `@OPENSPEC_SYNC_DATABASE@`.
public struct HookTemplates: Sendable {
    public var scripts: [String: String]

    public init(scripts: [String: String]) {
        self.scripts = scripts
    }

    /// Reads `<folder>/<name>` for every hook name.
    public static func load(from folder: String) throws -> HookTemplates {
        var scripts: [String: String] = [:]
        for name in HookInstaller.hookNames {
            let path = folder + "/" + name
            guard let data = FileManager.default.contents(atPath: path) else {
                throw HookError.fileOperation(path: path, operation: "reading", reason: "cannot read the file")
            }
            scripts[name] = String(decoding: data, as: UTF8.self)
        }
        return HookTemplates(scripts: scripts)
    }

    public static let builtIn = HookTemplates(scripts: [
        "post-commit": builtInPostCommit,
        "post-merge": builtInPostMerge,
        "post-checkout": builtInPostCheckout,
        "post-rewrite": builtInPostRewrite,
    ])
}

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

// MARK: - Files

/// What occupies a hook's name.
private enum HookEntry: Equatable {
    case absent
    /// A regular file carrying our marker, with its bytes.
    case ours([UInt8])
    /// Any other regular file or a symlink: someone else's hook.
    case foreign(executable: Bool)
    /// A folder, socket or the like.
    case notAFile
}

/// File operations on hook names, all without following a symlink at the name.
private enum HookFiles {
    /// Classifies `path` without following a symlink at it.
    static func entry(at path: String) throws -> HookEntry {
        var info = stat()
        if lstat(path, &info) != 0 {
            if errno == ENOENT || errno == ENOTDIR { return .absent }
            throw HookError.fileOperation(path: path, operation: "inspecting", reason: errnoText())
        }
        switch info.st_mode & S_IFMT {
        case S_IFLNK:
            return .foreign(executable: access(path, X_OK) == 0)
        case S_IFREG:
            guard let data = FileManager.default.contents(atPath: path) else {
                throw HookError.fileOperation(path: path, operation: "reading", reason: "cannot read the file")
            }
            let bytes = Array(data)
            return carriesMarker(bytes) ? .ours(bytes) : .foreign(executable: access(path, X_OK) == 0)
        default:
            return .notAFile
        }
    }

    /// Whether one of the first three lines starts with the marker (line one is the shebang).
    static func carriesMarker(_ bytes: [UInt8]) -> Bool {
        let head = bytes.prefix(512).split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).prefix(3)
        let prefix = Array(HookInstaller.markerPrefix.utf8)
        return head.contains { $0.starts(with: prefix) }
    }

    /// Writes `bytes` as an executable file at `path` through a temporary file
    /// in the same folder and a rename, so git never sees a half-written hook.
    /// With `savedPath`, whatever is at `path` is renamed there first.
    static func writeAtomically(_ bytes: [UInt8], to path: String, movingAsideTo savedPath: String? = nil) throws {
        let folder = (path as NSString).deletingLastPathComponent
        let name = (path as NSString).lastPathComponent
        var template = Array("\(folder)/.\(name).openspec-sync-XXXXXX".utf8CString)
        let descriptor = mkstemp(&template)
        guard descriptor >= 0 else {
            throw HookError.fileOperation(path: folder, operation: "creating a temporary file in", reason: errnoText())
        }
        let temporary = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        var finished = false
        defer {
            if !finished { unlink(temporary) }
        }
        do {
            defer { close(descriptor) }
            var written = 0
            while written < bytes.count {
                let count = bytes[written...].withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
                if count < 0 {
                    if errno == EINTR { continue }
                    throw HookError.fileOperation(path: temporary, operation: "writing", reason: errnoText())
                }
                written += count
            }
            // 0755 whatever the umask: git only runs executable hooks.
            guard fchmod(descriptor, 0o755) == 0, fsync(descriptor) == 0 else {
                throw HookError.fileOperation(path: temporary, operation: "finishing", reason: errnoText())
            }
        }
        if let savedPath {
            try renameFile(path, to: savedPath)
            do {
                try renameFile(temporary, to: path)
            } catch {
                // Puts the user's hook back rather than leave the name empty.
                try? renameFile(savedPath, to: path)
                throw error
            }
        } else {
            try renameFile(temporary, to: path)
        }
        finished = true
    }

    static func renameFile(_ source: String, to destination: String) throws {
        guard rename(source, destination) == 0 else {
            throw HookError.fileOperation(path: source, operation: "renaming to \(destination)", reason: errnoText())
        }
    }

    static func removeFile(_ path: String) throws {
        guard unlink(path) == 0 || errno == ENOENT else {
            throw HookError.fileOperation(path: path, operation: "removing", reason: errnoText())
        }
    }

    static func logLines(_ path: String) -> [String] {
        guard let data = FileManager.default.contents(atPath: path) else { return [] }
        var lines = String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }
        return lines
    }

    static func errnoText() -> String {
        String(cString: strerror(errno))
    }

    /// `path` made absolute against the current folder, `.` and `..` removed
    /// without resolving symlinks.
    static func absolutePath(_ path: String) -> String {
        let joined = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        var parts: [Substring] = []
        for part in joined.split(separator: "/") {
            switch part {
            case ".": continue
            case "..": if !parts.isEmpty { parts.removeLast() }
            default: parts.append(part)
            }
        }
        return "/" + parts.joined(separator: "/")
    }
}

// MARK: - Shell text

private enum ShellText {
    /// One sh word that is exactly `text`, whatever characters it holds.
    static func quoted(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "'", with: #"'\''"#) + "'"
    }

    /// Replaces each placeholder in one pass, so a filled-in value is never searched again.
    static func fillingPlaceholders(of template: String, with values: [String: String]) -> String {
        var result = ""
        var rest = template[...]
        while let (key, range) = values.keys.compactMap({ key in rest.range(of: key).map { (key, $0) } })
            .min(by: { $0.1.lowerBound < $1.1.lowerBound })
        {
            result += rest[..<range.lowerBound]
            result += values[key]!
            rest = rest[range.upperBound...]
        }
        return result + rest
    }

    /// The value of the first line `name=<word>` in a script, with sh quoting
    /// undone (single quotes, double quotes, backslashes); nil when absent.
    static func assignment(_ name: String, in script: String) -> String? {
        let prefix = name + "="
        var start: String.Index?
        var lineStart = script.startIndex
        while lineStart < script.endIndex {
            if script[lineStart...].hasPrefix(prefix) {
                start = script.index(lineStart, offsetBy: prefix.count)
                break
            }
            guard let newline = script[lineStart...].firstIndex(of: "\n") else { break }
            lineStart = script.index(after: newline)
        }
        guard let start else { return nil }
        var value = ""
        var index = start
        var quote: Character?
        while index < script.endIndex {
            let character = script[index]
            index = script.index(after: index)
            switch (quote, character) {
            case (nil, " "), (nil, "\t"), (nil, "\n"), (nil, ";"):
                return value
            case (nil, "'"), (nil, "\""):
                quote = character
            case ("'", "'"), ("\"", "\""):
                quote = nil
            case (nil, "\\"), ("\"", "\\"):
                if index < script.endIndex {
                    let next = script[index]
                    if quote == nil || "$`\"\\\n".contains(next) {
                        if next != "\n" { value.append(next) }
                        index = script.index(after: index)
                    } else {
                        value.append(character)
                    }
                }
            default:
                value.append(character)
            }
        }
        return value
    }
}

// MARK: - Built-in templates (identical to Hooks/, checked by a test)

/// The four scripts differ only in the hook's name and the line that says
/// which git commands fire it (post-rewrite adds a note on its stdin).
private func builtInScript(_ name: String, when: String) -> String {
    scriptTemplate.replacingOccurrences(of: "@NAME@", with: name).replacingOccurrences(of: "@WHEN@", with: when)
}

private let builtInPostCommit = builtInScript("post-commit", when: "# follows this repository after `git commit`.\n")
private let builtInPostMerge = builtInScript("post-merge", when: "# follows this repository after `git merge` and `git pull`.\n")
private let builtInPostCheckout = builtInScript("post-checkout", when: "# follows this repository after `git checkout` and `git switch`.\n")
private let builtInPostRewrite = builtInScript("post-rewrite", when: """
    # follows this repository after `git commit --amend` and `git rebase`.
    # The list of rewritten commits that git writes to stdin goes, untouched, to
    # the hook that was here before.

    """)

private let scriptTemplate = #"""
#!/bin/sh
# openspec-sync hook v2
#
# Installed by `openspec-sync hooks install` so that the OpenSpec database
@WHEN@#
# To remove it, run `openspec-sync hooks uninstall`: it also puts back the
# hook that was here before, kept meanwhile beside this file as
# @NAME@.pre-openspec-sync.
#
# It never fails and never holds git up: it always exits 0, writes what went
# wrong to <git dir>/openspec-sync/hook.log (shown by `openspec-sync hooks
# status`), and `openspec-sync hook` moves a long catch-up to the background.
# OPENSPEC_SYNC_SKIP_HOOKS=1 skips the sync for one command.

hook=@NAME@
bin=@OPENSPEC_SYNC_BINARY@
db=@OPENSPEC_SYNC_DATABASE@

# The hook that was here before runs first, as git would have run it: only if
# executable, with the same arguments and the same stdin. Its exit status is
# ignored, as git ignores it for this hook. The guard stops a copy of this
# script saved under that name from calling itself.
case $0 in
*.pre-openspec-sync) previous= ;;
*/*) previous=${0%/*}/$hook.pre-openspec-sync ;;
*) previous=./$hook.pre-openspec-sync ;;
esac
if [ -n "$previous" ] && [ -f "$previous" ] && [ -x "$previous" ]; then
    "$previous" "$@"
fi

[ "${OPENSPEC_SYNC_SKIP_HOOKS:-}" = 1 ] && exit 0

# git runs this hook at the top of the working tree. The git folder is .git
# there, or the GIT_DIR git exported (a linked worktree); only otherwise is
# git asked, which would cost a process on every commit.
cd -P . 2>/dev/null || exit 0
top=$PWD
case ${GIT_DIR:-} in
/*) gitdir=$GIT_DIR ;;
*)
    if [ -d "$top/.git" ]; then
        gitdir=$top/.git
    else
        gitdir=$(git rev-parse --absolute-git-dir 2>/dev/null) || exit 0
    fi
    ;;
esac

# The sync writes to the log, never to git's terminal, and a background
# catch-up inherits the log rather than git's output, so git never waits for it.
# Past 1 MiB, `openspec-sync hook` renames the log to hook.log.1.
log=/dev/null
[ -d "$gitdir/openspec-sync" ] || mkdir -p "$gitdir/openspec-sync" 2>/dev/null
[ -d "$gitdir/openspec-sync" ] && log=$gitdir/openspec-sync/hook.log

if [ -f "$bin" ] && [ -x "$bin" ]; then
    # shellcheck disable=SC2094 # --log only names the file, for the rotation
    "$bin" hook "$hook" --db "$db" --repo "$top" --log "$log" -- "$@" </dev/null >>"$log" 2>&1
    rc=$?
    if [ "$rc" -ne 0 ]; then
        printf '%s openspec-sync %s hook: %s exited with status %s\n' \
            "$(date -u '+%Y-%m-%dT%H:%M:%SZ')" "$hook" "$bin" "$rc" >>"$log" 2>/dev/null
    fi
else
    printf '%s openspec-sync %s hook: %s is missing or not executable, so the database was not synced; to fix it, run: openspec-sync hooks install\n' \
        "$(date -u '+%Y-%m-%dT%H:%M:%SZ')" "$hook" "$bin" >>"$log" 2>/dev/null
fi
exit 0

"""#
