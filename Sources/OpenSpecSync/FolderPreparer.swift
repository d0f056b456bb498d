import Foundation
import OpenSpecFormat
import OpenSpecGit
import OpenSpecStore

/// A file as read now, or what the database had when it could not be read.
struct ScannedFile: Sendable {
    var values: FileValues
    var bytes: [UInt8]
    var modifiedAt: Date?
}

/// What a change folder needs written, decided from its files.
struct FolderEvaluation: Sendable {
    var status: SpecStatus
    var changedFiles: [String]
    var values: SpecValues
    var error: String?
}

/// One change folder read, hashed and parsed, ready to be written.
struct PreparedFolder: Sendable {
    var folder: ChangeFolder
    var stored: SpecSummary?
    var previous: [String: String]
    var files: [String: ScannedFile]
    var problems: [FileProblem]
    /// Set when there were no problems: nil then means "in step already".
    var evaluation: FolderEvaluation?
    /// With `FolderPreparer.recordsStamps`: the folder's stamp records as a
    /// walk would make them, each taken before what it vouches for was
    /// read; nil when one could not be taken.
    var stamps: StampRecords?
    /// Entries left out on purpose (names that are not UTF-8).
    var skipped: [SkippedPath] = []
    /// The folder holds a `.git` of its own: a submodule, not a change.
    var isSubmodule = false
}

/// The read-and-parse half of syncing a change folder. It touches no
/// database, so it runs on a second core while the writer stores the
/// previous batch.
struct FolderPreparer: Sendable {
    let fs: FileSystem
    let openspecRoot: String
    let options: ReconcileOptions
    /// openspec-relative paths with unmerged index entries.
    let conflicted: Set<String>
    /// Whether to keep the stamps of what is read (a full compare, whose
    /// reads give the stat cache instead of a walk before them).
    var recordsStamps = false
    /// The project's workflow schemas, which say where each change's tasks are.
    var schemas = SchemaTable.builtIn
    /// The schemas changed: evaluate folders whose files did not.
    var reevaluate = false

    static let textColumnFiles: Set<String> = ["proposal.md", "tasks.md", "design.md"]

    func prepare(_ folder: ChangeFolder, stored: SpecSummary?, previous: [String: String]) -> PreparedFolder {
        var files: [String: ScannedFile] = [:]
        var problems: [FileProblem] = []
        var stamps: StampRecords? = recordsStamps ? StampRecords() : nil
        var skipped: [SkippedPath] = []
        var isSubmodule = false
        scan(directory: openspecRoot + "/" + folder.path, relative: "", folder: folder, into: &files, problems: &problems,
             stamps: &stamps, skipped: &skipped, isSubmodule: &isSubmodule)
        if isSubmodule {
            return PreparedFolder(folder: folder, stored: stored, previous: previous, files: [:], problems: [], evaluation: nil,
                                  stamps: nil, skipped: [SkippedPath(path: folder.path, reason: .submodule)],
                                  isSubmodule: true)
        }
        let evaluation = problems.isEmpty ? evaluate(folder, stored: stored, previous: previous, files: files, error: nil) : nil
        return PreparedFolder(folder: folder, stored: stored, previous: previous, files: files, problems: problems,
                              evaluation: evaluation, stamps: recordsStamps ? stamps : nil, skipped: skipped)
    }

    /// nil when the row already matches the files; otherwise the new row.
    func evaluate(_ folder: ChangeFolder, stored: SpecSummary?, previous: [String: String],
                  files: [String: ScannedFile], error: String?) -> FolderEvaluation? {
        let current = files.mapValues { $0.values.blobId }
        let status: SpecStatus = folder.isArchived ? .archived : .active
        let changedFiles = Set(current.keys).union(previous.keys).filter { current[$0] != previous[$0] }.sorted()
        let moved = stored.map { $0.path != folder.path || $0.status != status } ?? true
        if let stored, !moved, changedFiles.isEmpty, stored.syncError == error, !reevaluate {
            return nil
        }
        // The row takes counts and issues only: no task items are made.
        let snapshot = ChangeSnapshot.read(folder: folder, files: files.mapValues(\.bytes), schemas: schemas,
                                           keepingTaskItems: false)
        // The file's own bytes: no String is made of a file the row holds.
        func text(_ name: String) -> ColumnText? {
            files[name].flatMap { $0.values.isUTF8 ? ColumnText(utf8: $0.bytes) : nil }
        }
        let values = SpecValues(
            path: folder.path, changeId: folder.changeId, title: snapshot.title, status: status,
            archivedOn: folder.archivedOn, proposalContent: text("proposal.md"), tasksContent: text("tasks.md"),
            designContent: text("design.md"), completedTasks: snapshot.completedTasks,
            totalTasks: snapshot.totalTasks, taskStatus: snapshot.taskStatus.rawValue,
            schemaName: snapshot.schema?.name ?? snapshot.metadata?.schema,
            createdOn: snapshot.metadata?.created, issuesJSON: ColumnJSON.issues(snapshot.issues),
            filesystemModifiedAt: files.values.compactMap(\.modifiedAt).max(), syncError: error)
        return FolderEvaluation(status: status, changedFiles: changedFiles, values: values, error: error)
    }

    /// The file rows to store: the three seed files live in the row's text
    /// columns when they are UTF-8, so their bytes are not stored twice.
    static func fileRows(_ files: [String: ScannedFile]) -> [FileValues] {
        files.values.map { file in
            var row = file.values
            if isKeptInRow(row.path, isUTF8: row.isUTF8) { row.content = nil }
            return row
        }
    }

    /// A seed file in UTF-8 lives in the row's text column, not its file row.
    static func isKeptInRow(_ path: String, isUTF8: Bool) -> Bool {
        isUTF8 && textColumnFiles.contains(path)
    }

    /// Reads every file of a change folder (recursively). Links are not
    /// followed, editor and merge leftovers are skipped. Appends the
    /// folder's stamp records to `stamps` unless it is nil (see `PreparedFolder.stamps`).
    private func scan(directory: String, relative: String, folder: ChangeFolder,
                      into files: inout [String: ScannedFile], problems: inout [FileProblem], stamps: inout StampRecords?,
                      skipped: inout [SkippedPath], isSubmodule: inout Bool) {
        let folderPath = folder.path + (relative.isEmpty ? "" : "/" + relative)
        let contents: FolderContents
        do {
            contents = try fs.readFolder(directory, limit: options.maxFileBytes, skip: { IgnoredNames.contains($0) })
        } catch {
            problems.append(FileProblem(path: folderPath, message: "\(folderPath): \((error as? FileSystemError)?.reason ?? "\(error)")"))
            stamps = nil
            return
        }
        if relative.isEmpty && contents.entries.contains(where: { $0.name == ".git" }) {
            isSubmodule = true
            return
        }
        for name in contents.invalidNames where !name.withUnsafeBufferPointer({ IgnoredNames.contains($0) }) {
            skipped.append(SkippedPath(path: folderPath + "/" + escapedName(name), reason: .nameNotUTF8))
        }
        var subfolderStamps: [String: StampRecords] = [:]
        for entry in contents.entries.sorted(by: { $0.name < $1.name }) where !IgnoredNames.contains(entry.name) {
            let child = relative.isEmpty ? entry.name : relative + "/" + entry.name
            let openspecPath = folder.path + "/" + child
            switch entry.kind {
            case .directory:
                var sub: StampRecords? = stamps == nil ? nil : StampRecords()
                scan(directory: directory + "/" + entry.name, relative: child, folder: folder, into: &files, problems: &problems,
                     stamps: &sub, skipped: &skipped, isSubmodule: &isSubmodule)
                if stamps != nil { if let sub { subfolderStamps[entry.name] = sub } else { stamps = nil } }
            case .symlink:
                problems.append(FileProblem(path: openspecPath, message: "\(openspecPath) is a symbolic link; links are not followed"))
            case .other:
                continue
            case .file:
                do {
                    guard let result = entry.read else { continue }
                    let read = try result.get()
                    if read.oversize {
                        problems.append(FileProblem(path: openspecPath, message: "\(openspecPath) is \(read.size) bytes, over the \(options.maxFileBytes)-byte limit (OPENSPEC_SYNC_MAX_FILE_BYTES); not synced"))
                        continue
                    }
                    if conflicted.contains(openspecPath) {
                        problems.append(FileProblem(path: openspecPath, message: "\(openspecPath) has an unresolved merge conflict in the index; resolve it and commit, then it syncs"))
                        continue
                    }
                    if let line = Self.conflictMarkerLine(read.bytes) {
                        problems.append(FileProblem(path: openspecPath, message: "\(openspecPath):\(line): merge-conflict markers; resolve them, then the file syncs"))
                        continue
                    }
                    let isUTF8 = isValidUTF8(read.bytes)
                    // No copy of bytes that the row's text columns will hold.
                    let content = Self.isKeptInRow(child, isUTF8: isUTF8) ? nil : Data(read.bytes)
                    files[child] = ScannedFile(
                        values: FileValues(path: child, blobId: Repository.hashBlob(read.bytes).hex, size: read.size,
                                           isUTF8: isUTF8, content: content, syncError: nil),
                        bytes: read.bytes, modifiedAt: read.modifiedAt)
                } catch {
                    let reason = (error as? FileSystemError)?.reason ?? "\(error)"
                    problems.append(FileProblem(path: openspecPath, message: "\(openspecPath): \(reason)"))
                }
            }
        }
        if stamps != nil {
            if let own = Self.stampRecords(folderPath, contents, subfolders: subfolderStamps) {
                stamps!.append(contentsOf: own)
            } else {
                stamps = nil
            }
        }
    }

    /// A folder's records in the walk's order (the folder, then each entry
    /// as listed, a subfolder's records in its place); nil when a stamp is
    /// missing: a folder record whose entries are not all recorded would
    /// hide the missing ones from the next walk.
    static func stampRecords(_ folderPath: String, _ contents: FolderContents, subfolders: [String: StampRecords]) -> StampRecords? {
        // Entries whose names are not UTF-8 were not read, so they have no stamp here.
        guard let folderStamp = contents.stamp, contents.invalidNames.isEmpty else { return nil }
        var records = StampRecords()
        records.append(path: folderPath, folderStamp)
        for entry in contents.entries where !IgnoredNames.contains(entry.name) {
            let path = folderPath + "/" + entry.name
            switch entry.kind {
            case .file:
                guard case let .success(read)? = entry.read else { return nil }
                records.append(path: path, read.stamp)
            case .symlink:
                guard let stamp = entry.linkStamp else { return nil }
                records.append(path: path, stamp)
            case .directory:
                guard let sub = subfolders[entry.name] else { return nil }
                records.append(contentsOf: sub)
            case .other:
                continue
            }
        }
        return records
    }

    /// The 1-based line of a `<<<<<<<` marker that is followed by `=======`
    /// and `>>>>>>>` lines, or nil.
    static func conflictMarkerLine(_ bytes: [UInt8]) -> Int? {
        bytes.withUnsafeBufferPointer { buffer -> Int? in
            let count = buffer.count
            var line = 1
            var openLine: Int?
            var sawSeparator = false
            var index = 0
            while index < count {
                // At a line start: is this a 7-character marker line?
                if index + 7 <= count {
                    let byte = buffer[index]
                    if byte == UInt8(ascii: "<") || byte == UInt8(ascii: "=") || byte == UInt8(ascii: ">") {
                        var run = 1
                        while run < 7 && buffer[index + run] == byte { run += 1 }
                        let end = index + 7
                        let bounded = end == count || buffer[end] == UInt8(ascii: " ") || buffer[end] == UInt8(ascii: "\n") || buffer[end] == UInt8(ascii: "\r")
                        if run == 7 && bounded {
                            if byte == UInt8(ascii: "<") { openLine = openLine ?? line }
                            else if byte == UInt8(ascii: "=") { if openLine != nil { sawSeparator = true } }
                            else if sawSeparator, let open = openLine { return open }
                        }
                    }
                }
                // Skip to the next line (memchr: as fast in a debug build as in a release one).
                guard let base = buffer.baseAddress,
                      let newline = memchr(base + index, Int32(UInt8(ascii: "\n")), count - index) else { return nil }
                index = UnsafeRawPointer(newline) - UnsafeRawPointer(base) + 1
                line += 1
            }
            return nil
        }
    }
}

/// Folders prepared ahead of the writer. Worker threads (one fewer than
/// the cores) claim folders in order and stay at most `window` ahead of
/// it; the writer takes them in order, and prepares folders itself while
/// the one it needs is not ready. So neither side waits on a batch
/// boundary and no core idles: on two cores, one prepares while the other
/// writes, and the writer lends a hand when it gets ahead.
final class PreparePipeline: @unchecked Sendable {
    typealias Input = (folder: ChangeFolder, stored: SpecSummary?, previous: [String: String])

    private let preparer: FolderPreparer
    private let inputs: [Input]
    private let window: Int
    private let condition = NSCondition()
    // Guarded by `condition`.
    private var slots: [PreparedFolder?]
    private var nextClaim = 0
    private var taken = 0
    private let workers = DispatchGroup()

    /// One fewer than the cores: the writer's thread is the last one.
    static var defaultWorkers: Int { max(1, ProcessInfo.processInfo.activeProcessorCount - 1) }

    init(preparer: FolderPreparer, inputs: [Input], window: Int = 64, workerCount: Int = defaultWorkers) {
        self.preparer = preparer
        self.inputs = inputs
        self.window = window
        self.slots = Array(repeating: nil, count: inputs.count)
        for _ in 0..<min(workerCount, inputs.count) {
            DispatchQueue.global().async(group: workers) { [self] in
                while let index = claim() {
                    let prepared = prepare(index)
                    condition.lock()
                    slots[index] = prepared
                    condition.broadcast()
                    condition.unlock()
                }
            }
        }
    }

    var count: Int { inputs.count }

    /// The prepared folder at `index`; call for 0, 1, 2, ... in order.
    /// While a worker is still on it, this thread prepares the next folder
    /// nobody has started instead of sleeping: both cores stay busy, and
    /// the threads rarely wake each other.
    func take(_ index: Int) -> PreparedFolder {
        condition.lock()
        while slots[index] == nil {
            let next = nextClaim
            if next == index || (next < inputs.count && next - taken < window) {
                nextClaim += 1
                condition.unlock()
                let prepared = prepare(next)
                condition.lock()
                if next == index {
                    taken = index + 1
                    condition.broadcast()
                    condition.unlock()
                    return prepared
                }
                slots[next] = prepared
                continue
            }
            condition.wait()
        }
        let prepared = slots[index]!
        slots[index] = nil
        taken = index + 1
        condition.broadcast()
        condition.unlock()
        return prepared
    }

    /// Stops the workers after the folder each is on, and waits for them
    /// (the writer failed, or is done).
    func finish() {
        condition.lock()
        nextClaim = inputs.count
        condition.broadcast()
        condition.unlock()
        workers.wait()
    }

    private func claim() -> Int? {
        condition.lock()
        defer { condition.unlock() }
        while nextClaim < inputs.count && nextClaim - taken >= window { condition.wait() }
        guard nextClaim < inputs.count else { return nil }
        nextClaim += 1
        return nextClaim - 1
    }

    private func prepare(_ index: Int) -> PreparedFolder {
        let input = inputs[index]
        return preparer.prepare(input.folder, stored: input.stored, previous: input.previous)
    }
}
