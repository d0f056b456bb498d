import Foundation
import OpenSpecStore
import Testing

/// What every `SyncStore` must do, written once against the protocol (a
/// plain `import`: only what any store offers) and run against each kind of
/// store. An engine's suite hands over a factory that makes a new, empty
/// store and runs every check:
///
///     @Test(arguments: StoreConformance.Check.allCases)
///     func conforms(_ check: StoreConformance.Check) throws {
///         try StoreConformance { try makeEmptyStore() }.run(check)
///     }
struct StoreConformance {
    /// One behaviour of the contract; each runs on a store of its own.
    enum Check: String, CaseIterable, Sendable, CustomTestStringConvertible {
        case projects, projectState
        case specsAndFiles, specLookups, mainSpecs
        case rollback, changeCounter, bulkImport
        case history, runSummaries, pruning
        case writesQueue, conflicts
        case listingOrder, listingStops, paging, counts, staleSpecs
        case search, searchFilters
        case snapshotReads
        case owners, queuedWriteClaims

        var testDescription: String { rawValue }
    }

    /// Makes a new store with no project in it.
    let makeStore: () throws -> any SyncStore

    init(_ makeStore: @escaping () throws -> any SyncStore) { self.makeStore = makeStore }

    func run(_ check: Check) throws {
        let store = try makeStore()
        switch check {
        case .projects: try projects(store)
        case .projectState: try projectState(store)
        case .specsAndFiles: try specsAndFiles(store)
        case .specLookups: try specLookups(store)
        case .mainSpecs: try mainSpecs(store)
        case .rollback: try rollback(store)
        case .changeCounter: try changeCounter(store)
        case .bulkImport: try bulkImport(store)
        case .history: try history(store)
        case .runSummaries: try runSummaries(store)
        case .pruning: try pruning(store)
        case .writesQueue: try writesQueue(store)
        case .conflicts: try conflicts(store)
        case .listingOrder: try listingOrder(store)
        case .listingStops: try listingStops(store)
        case .paging: try paging(store)
        case .counts: try counts(store)
        case .staleSpecs: try staleSpecs(store)
        case .search: try search(store)
        case .searchFilters: try searchFilters(store)
        case .snapshotReads: try snapshotReads(store)
        case .owners: try owners(store)
        case .queuedWriteClaims: try queuedWriteClaims(store)
        }
    }

    // MARK: Helpers shared by the checks

    /// A change's values: the change id is the folder's last part.
    static func values(_ path: String, _ status: SpecStatus = .active, title: String = "t", tasks: (done: Int, total: Int) = (0, 0),
                       proposal: String? = nil, issuesJSON: String = "[]", syncError: String? = nil) -> SpecValues {
        let taskStatus = tasks.total == 0 ? "no-tasks" : tasks.done == tasks.total ? "complete" : "in-progress"
        return SpecValues(path: path, changeId: path.split(separator: "/").last.map(String.init) ?? path, title: title,
                          status: status, archivedOn: nil, proposalContent: proposal.map(ColumnText.init),
                          tasksContent: nil, designContent: nil, completedTasks: tasks.done, totalTasks: tasks.total,
                          taskStatus: taskStatus, schemaName: nil, createdOn: nil, issuesJSON: issuesJSON,
                          filesystemModifiedAt: nil, syncError: syncError)
    }

    static func history(_ projectId: String, specId: String? = nil, action: HistoryAction = .run, at date: Date = Date(),
                        runId: String = "r", files: [String] = [], success: Bool = true, error: String? = nil) -> HistoryValues {
        HistoryValues(projectId: projectId, specId: specId, runId: runId, direction: .filesystemToDatabase, syncedAt: date,
                      success: success, errorMessage: error, filesChanged: files, triggeredBy: SyncTrigger.manual.rawValue,
                      action: action.rawValue, fromCommit: nil, toCommit: nil, durationMs: 1)
    }

    static func file(_ path: String, _ blobId: String, _ content: String?, isUTF8: Bool = true) -> FileValues {
        FileValues(path: path, blobId: blobId, size: content?.utf8.count ?? 0, isUTF8: isUTF8,
                   content: content.map { Data($0.utf8) }, syncError: nil)
    }

    /// A time a store keeps to the millisecond.
    static let t0 = Date(timeIntervalSince1970: 1_767_225_600.25)

    /// Whether two dates are the same to the millisecond (what a store keeps).
    static func same(_ a: Date?, _ b: Date?) -> Bool {
        guard let a, let b else { return a == nil && b == nil }
        return abs(a.timeIntervalSince(b)) < 0.0015
    }

    /// A project with the given changes written in one transaction; their ids by path.
    static func project(_ store: any SyncStore, name: String = "app",
                        _ specs: [SpecValues]) throws -> (project: ProjectRecord, ids: [String: String]) {
        let project = try store.registerProject(name: name, repoPath: "/r/" + name, openspecPath: "openspec")
        let ids = try store.write { w in
            try Dictionary(uniqueKeysWithValues: specs.map { ($0.path, try w.insertSpec(projectId: project.id, $0, at: t0)) })
        }
        return (project, ids)
    }
}
