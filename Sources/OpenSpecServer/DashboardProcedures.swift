import Foundation
import OpenSpecFormat
import OpenSpecStore
import OpenSpecSync
import Synchronization

/// The dashboard's read procedures: search, rendered documents, diffs,
/// one conflict, and the main specs. Same shape as the others: input
/// checked here, the engine called on a reader thread, JSON out.
extension Procedures {
    /// The procedures the dashboard's views need beyond the core ones.
    static let dashboard: [Procedure] = [
        .query("specs.search", Procedures.searchSpecs),
        .query("specs.render", Procedures.renderSpec),
        .query("specs.diff", Procedures.diffSpec),
        .query("conflicts.get", Procedures.getConflict),
        .query("mainSpecs.list", Procedures.listMainSpecs),
        .query("mainSpecs.get", Procedures.getMainSpec),
    ]

    func searchSpecs(_ raw: JSONValue?) async throws -> Data {
        let name = "specs.search"
        let input = try Input(raw, procedure: name, allowed: ["projectId", "status", "column", "text", "hasErrors", "hasConflicts",
                                                             "progressMin", "progressMax", "sort", "order", "offset", "limit"])
        let projectKey = try input.identifier("projectId")
        var query = ChangeQuery()
        let status = try input.choice("status", ["active", "archived", "removed", "all"]) ?? "all"
        query.statuses = status == "all" ? nil : [SpecStatus(rawValue: status)!]
        query.column = try input.choice("column", BoardColumn.allCases.map(\.rawValue)).flatMap(BoardColumn.init)
        query.text = try input.string("text", maxBytes: 256)
        query.hasErrors = try input.bool("hasErrors")
        query.hasConflicts = try input.bool("hasConflicts")
        let low = Int(try input.integer("progressMin", in: 0...100) ?? 0)
        let high = Int(try input.integer("progressMax", in: 0...100) ?? 100)
        guard low <= high else { throw TRPCError(.badRequest, "\(name): progressMin (\(low)) is above progressMax (\(high))") }
        query.progress = low...high
        query.sort = try input.choice("sort", ChangeQuery.Sort.allCases.map(\.rawValue)).flatMap(ChangeQuery.Sort.init) ?? .id
        query.descending = try input.choice("order", ["asc", "desc"]) == "desc"
        query.offset = Int(try input.integer("offset", in: 0...Int64(Int32.max)) ?? 0)
        query.limit = Int(try input.integer("limit", in: 1...500) ?? 100)
        let asked = query
        return try await readEngine { engine in
            var query = asked
            query.projectId = try projectKey.map { try engine.project(named: $0).id }
            let found = try engine.store.searchChanges(query)
            let projects = Dictionary(try engine.store.projects().map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
            let created = CreationTimes.shared.times(for: Set(found.rows.map(\.projectId)).compactMap { projects[$0] }, engine: engine)
            var items = found.rows.map { row in
                SearchItem(row, project: projects[row.projectId]?.name ?? row.projectId,
                           createdAt: CreationTimes.createdAt(of: row, in: created[row.projectId] ?? [:]))
            }
            if query.sort == .created {
                // Unknown dates last, whatever the order; ties by id.
                items.sort { a, b in
                    switch (a.createdAt, b.createdAt) {
                    case let (x?, y?) where x != y: return query.descending ? x > y : x < y
                    case (nil, _?): return false
                    case (_?, nil): return true
                    default: return (a.changeId, a.specId) < (b.changeId, b.specId)
                    }
                }
                items = Array(items.dropFirst(query.offset).prefix(query.limit))
            }
            let columns = Dictionary(uniqueKeysWithValues: found.columns.map { ($0.key.rawValue, $0.value) })
            return try encode(SearchReply(total: found.total, columns: columns, items: items))
        }
    }

    func renderSpec(_ raw: JSONValue?) async throws -> Data {
        let input = try Input(raw, procedure: "specs.render", allowed: ["specId", "projectId"])
        let specKey = try input.requiredIdentifier("specId")
        let projectKey = try input.identifier("projectId")
        return try await readEngine { engine in
            let spec = try engine.resolveSpec(specKey, inProjectNamed: projectKey)
            let rows = try engine.store.specFiles(specId: spec.id, withContent: true)
            let detail = try engine.detail(of: spec, files: rows)
            return try encode(try SpecRendering.make(spec: spec, detail: detail, files: rows, store: engine.store))
        }
    }

    func diffSpec(_ raw: JSONValue?) async throws -> Data {
        let input = try Input(raw, procedure: "specs.diff", allowed: ["specId", "commit", "projectId"])
        let specKey = try input.requiredIdentifier("specId")
        guard let revision = try input.string("commit", maxBytes: 256), Self.isRevision(revision) else {
            throw TRPCError(.badRequest, "specs.diff: commit is required: a commit id from specs.log")
        }
        let projectKey = try input.identifier("projectId")
        return try await readEngine { engine in
            let spec = try engine.resolveSpec(specKey, inProjectNamed: projectKey)
            return try encode(try engine.commitDiff(spec: spec, revision: revision))
        }
    }

    func getConflict(_ raw: JSONValue?) async throws -> Data {
        let input = try Input(raw, procedure: "conflicts.get", allowed: ["conflictId"])
        guard let id = try input.integer("conflictId", in: 1...Int64.max) else {
            throw TRPCError(.badRequest, "conflicts.get: conflictId is required: an id from conflicts.list")
        }
        return try await readEngine { engine in
            guard let record = try engine.store.conflict(id: id),
                  let view = try engine.conflicts(projectId: record.projectId, specId: record.specId, includeResolved: true)
                      .first(where: { $0.id == id }) else {
                throw TRPCError(.notFound, "conflicts.get: no conflict #\(id); conflicts.list shows the conflicts")
            }
            let disk = try engine.conflictFileOnDisk(view, projectId: record.projectId)
            return try encode(ConflictDetailReply(conflict: view, disk: disk, kept: view.keptContent,
                                                  diff: LineDiff.lines(from: disk ?? "", to: view.keptContent ?? "")))
        }
    }

    func listMainSpecs(_ raw: JSONValue?) async throws -> Data {
        let input = try Input(raw, procedure: "mainSpecs.list", allowed: ["projectId"])
        let projectKey = try input.identifier("projectId")
        return try await readEngine { engine in
            let projects = try projectKey.map { [try engine.project(named: $0)] } ?? engine.store.projects()
            let items = try projects.flatMap { project in
                try engine.store.mainSpecs(projectId: project.id).filter { $0.status == .present }.map { spec in
                    MainSpecItem(projectId: project.id, project: project.name, capability: spec.capability, path: spec.path,
                                 title: spec.title ?? spec.capability, requirementCount: spec.requirementCount)
                }
            }
            return try encode(items)
        }
    }

    func getMainSpec(_ raw: JSONValue?) async throws -> Data {
        let input = try Input(raw, procedure: "mainSpecs.get", allowed: ["capability", "projectId"])
        guard let capability = try input.string("capability", maxBytes: 512), !capability.isEmpty else {
            throw TRPCError(.badRequest, "mainSpecs.get: capability is required: a name from mainSpecs.list, such as auth")
        }
        let projectKey = try input.identifier("projectId")
        return try await readEngine { engine in
            let projects = try projectKey.map { [try engine.project(named: $0)] } ?? engine.store.projects()
            let found = try projects.compactMap { project in
                try engine.store.mainSpec(projectId: project.id, capability: capability).flatMap { $0.status == .present ? (project, $0) : nil }
            }
            guard let (project, spec) = found.first else {
                throw TRPCError(.notFound, "mainSpecs.get: no main spec \"\(RequestHandler.clip(capability))\"; mainSpecs.list shows them")
            }
            if found.count > 1 {
                throw TRPCError(.badRequest, "mainSpecs.get: \"\(RequestHandler.clip(capability))\" is in several projects; name one with projectId")
            }
            let text = spec.content.map { String(decoding: $0, as: UTF8.self) } ?? ""
            return try encode(MainSpecReply(projectId: project.id, capability: spec.capability, path: spec.path,
                                            title: spec.title ?? spec.capability, html: MarkdownRenderer.html(text)))
        }
    }

    /// On a reader thread, as the other queries run.
    private func readEngine(_ body: @escaping @Sendable (SyncEngine) throws -> Data) async throws -> Data {
        let engine = engine
        return try await workers.read { try body(engine) }
    }

    /// A commit id or a plain revision (HEAD~2, a branch): never an option or a path.
    static func isRevision(_ text: String) -> Bool {
        !text.isEmpty && !text.hasPrefix("-") && !text.contains("..")
            && text.unicodeScalars.allSatisfy { $0.value > 0x20 && $0.value < 0x7F && $0 != "\\" && $0 != ":" }
    }
}

/// The creation dates of each project's changes, kept per HEAD: one walk of
/// the history when HEAD moves, none while it stays.
final class CreationTimes: Sendable {
    static let shared = CreationTimes()
    private let cache = Mutex<[String: (head: String?, times: [String: Date])]>([:])

    /// By project id, then by path under the OpenSpec folder; a project whose repository cannot be read has none.
    func times(for projects: [ProjectRecord], engine: SyncEngine) -> [String: [String: Date]] {
        var result: [String: [String: Date]] = [:]
        for project in projects {
            guard let head = try? engine.headCommit(project: project) else { continue }
            if let cached = cache.withLock({ $0[project.id] }), cached.head == head {
                result[project.id] = cached.times
                continue
            }
            guard let computed = try? engine.changeCreationTimes(project: project) else { continue }
            cache.withLock { $0[project.id] = computed }
            result[project.id] = computed.times
        }
        return result
    }

    /// An archived change was created when it first appeared at `changes/<id>`, before it was archived.
    static func createdAt(of row: ChangeSearchRow, in times: [String: Date]) -> Date? {
        [times["changes/" + row.changeId], times[row.path]].compactMap { $0 }.min()
    }
}

struct SearchItem: Encodable {
    var specId, projectId, project, changeId, title, status, column: String
    var tasksDone, tasksTotal, progress, issueCount: Int
    var hasErrors: Bool
    var openConflicts: Int
    var changedAt: Date?
    var createdAt: Date?

    init(_ row: ChangeSearchRow, project: String, createdAt: Date?) {
        specId = row.id
        projectId = row.projectId
        self.project = project
        changeId = row.changeId
        title = row.title
        status = row.status.rawValue
        column = row.column
        tasksDone = row.completedTasks
        tasksTotal = row.totalTasks
        progress = row.progress
        issueCount = row.issueCount
        hasErrors = row.hasErrors
        openConflicts = row.openConflicts
        changedAt = row.changedAt
        self.createdAt = createdAt
    }

    func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(specId, forKey: .specId)
        try container.encode(projectId, forKey: .projectId)
        try container.encode(project, forKey: .project)
        try container.encode(changeId, forKey: .changeId)
        try container.encode(title, forKey: .title)
        try container.encode(status, forKey: .status)
        try container.encode(column, forKey: .column)
        try container.encode(tasksDone, forKey: .tasksDone)
        try container.encode(tasksTotal, forKey: .tasksTotal)
        try container.encode(progress, forKey: .progress)
        try container.encode(issueCount, forKey: .issueCount)
        try container.encode(hasErrors, forKey: .hasErrors)
        try container.encode(openConflicts, forKey: .openConflicts)
        try container.encode(changedAt, forKey: .changedAt)  // null, not absent
        try container.encode(createdAt, forKey: .createdAt)
    }

    enum CodingKeys: String, CodingKey {
        case specId, projectId, project, changeId, title, status, column, tasksDone, tasksTotal, progress, issueCount,
             hasErrors, openConflicts, changedAt, createdAt
    }
}

struct SearchReply: Encodable {
    var total: Int
    var columns: [String: Int]
    var items: [SearchItem]
}

/// `conflicts.get`: the `conflicts.list` entry, the file now, the kept edit, and the diff from one to the other.
struct ConflictDetailReply: Encodable {
    var conflict: ConflictView
    var disk: String?
    var kept: String?
    var diff: [LineDiff.Line]

    func encode(to encoder: Encoder) throws {
        try conflict.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(disk, forKey: .disk)
        try container.encode(kept, forKey: .kept)
        try container.encode(diff, forKey: .diff)
    }

    enum CodingKeys: String, CodingKey { case disk, kept, diff }
}

struct MainSpecItem: Encodable {
    var projectId, project, capability, path, title: String
    var requirementCount: Int
}

struct MainSpecReply: Encodable {
    var projectId, capability, path, title, html: String
}
