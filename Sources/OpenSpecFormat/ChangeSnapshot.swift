/// Everything parsed from one change folder's files, plus the change-level checks
/// OpenSpec runs on the folder as a whole.
public struct ChangeSnapshot: Sendable {
    public var folder: ChangeFolder
    /// Proposal H1 (`Change: ` stripped) or, without one, the change id.
    public var title: String
    public var proposal: Proposal?
    public var design: Design?
    /// `tasks.md` when it is tracked, else the first tracked task file; nil without one.
    public var tasks: TaskList?
    /// Every tracked task file that exists, keyed by path relative to the folder.
    public var taskLists: [String: TaskList]
    /// Delta specs keyed by capability path, from `specs/<cap>/spec.md`.
    public var deltas: [String: DeltaSpec]
    public var metadata: ChangeMetadata?
    /// The change's workflow schema, when read with the project's schemas.
    public var schema: ResolvedSchema? = nil
    public var completedTasks: Int
    public var totalTasks: Int
    public var taskStatus: TaskStatus
    /// Issues of all files and of the folder, paths relative to `openspec/`.
    public var issues: [ValidationIssue]

    /// Parses a change folder from its files (paths relative to the folder).
    ///
    /// `trackedTasks` is the schema's `apply.tracks` glob; progress sums every matching
    /// file and falls back to `tasks.md` when nothing matches (OPENSPEC-FORMAT 1.4).
    /// Without `keepingTaskItems`, the task lists hold counts and issues but no
    /// items (`tasks` empty): what a database row needs, without a copy of a large file as items.
    public static func read(
        folder: ChangeFolder, files: [String: [UInt8]], trackedTasks: String = "tasks.md", keepingTaskItems: Bool = true
    ) -> ChangeSnapshot {
        let prefix = folder.path + "/"
        var issues: [ValidationIssue] = []

        let proposal = files["proposal.md"].map { Proposal.parse($0, path: prefix + "proposal.md") }
        let design = files["design.md"].map { Design.parse($0, path: prefix + "design.md") }
        issues += proposal?.issues ?? []
        issues += design?.issues ?? []

        // Tasks: every file the glob selects, else tasks.md.
        var trackedPaths = files.keys.filter { Glob.matches(trackedTasks, $0) }.sorted()
        if trackedPaths.isEmpty && files["tasks.md"] != nil { trackedPaths = ["tasks.md"] }
        var taskLists: [String: TaskList] = [:]
        var completed = 0
        var total = 0
        var numberingDocuments: [(path: String, display: String, entries: [NumberingEntry])] = []
        for relative in trackedPaths {
            guard let bytes = files[relative] else { continue }
            var list = TaskList.scan(bytes, keepingItems: keepingTaskItems)
            if let bad = firstInvalidUTF8Offset(bytes) {
                list.issues.append(Messages.notUTF8(path: prefix + relative, line: lineNumber(of: bad, in: bytes)))
            }
            numberingDocuments.append((prefix + relative, relative, list.numbering))
            completed += list.completed
            total += list.total
            taskLists[relative] = list
        }
        let numbering = Dictionary(grouping: TaskList.numberingIssues(numberingDocuments), by: \.path)
        for relative in trackedPaths {
            guard var list = taskLists[relative] else { continue }
            list.issues += numbering[prefix + relative] ?? []
            taskLists[relative] = list
            issues += list.issues
        }
        let tasks = taskLists["tasks.md"] ?? trackedPaths.first.flatMap { taskLists[$0] }

        // Delta specs.
        var deltas: [String: DeltaSpec] = [:]
        var hasRootSpec = false
        var hasSpecFiles = false
        for relative in files.keys.sorted() where relative.hasPrefix("specs/") {
            hasSpecFiles = true
            let parts = relative.split(separator: "/", omittingEmptySubsequences: false)
            if parts.count == 2 && parts[1] == "spec.md" {
                hasRootSpec = true
                issues.append(.error(prefix + relative, Messages.rootDeltaSpec))
                continue
            }
            guard parts.count >= 3, parts.last == "spec.md",
                parts.dropFirst().dropLast().allSatisfy({ !$0.isEmpty && !$0.hasPrefix(".") }),
                let bytes = files[relative]
            else { continue }
            let capability = parts.dropFirst().dropLast().joined(separator: "/")
            let delta = DeltaSpec.parse(bytes, path: prefix + relative)
            deltas[capability] = delta
            issues += delta.issues
        }

        // Metadata and the folder-level delta checks of validateChangeDeltaSpecs.
        let metadata = files[".openspec.yaml"].map { ChangeMetadata.parse($0, path: prefix + ".openspec.yaml") }
        issues += metadata?.issues ?? []
        var skipSpecs = false
        if let metadata, metadata.skipSpecs == true {
            if let reason = metadata.issues.first(where: { $0.level == .error })?.message {
                issues.append(
                    .error(prefix + ".openspec.yaml", Messages.skipSpecsInvalidMetadata + " (\(reason))"))
            } else {
                skipSpecs = true
            }
        }
        if skipSpecs && hasSpecFiles {
            issues.append(.error(folder.path, Messages.skipSpecsConflict))
        }
        let totalDeltas = deltas.values.reduce(0) { $0 + $1.deltaCount }
        if totalDeltas == 0 && !hasRootSpec {
            if skipSpecs && !hasSpecFiles {
                issues.append(.info(folder.path, Messages.skipSpecsAccepted))
            } else if !skipSpecs {
                issues.append(.error(folder.path, Messages.changeNoDeltas))
            }
        }

        return ChangeSnapshot(
            folder: folder, title: proposal?.title ?? folder.changeId, proposal: proposal, design: design,
            tasks: tasks, taskLists: taskLists, deltas: deltas, metadata: metadata,
            completedTasks: completed, totalTasks: total,
            taskStatus: TaskStatus(completed: completed, total: total), issues: issues)
    }
}
