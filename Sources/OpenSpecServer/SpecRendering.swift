import Foundation
import OpenSpecFormat
import OpenSpecStore
import OpenSpecSync

/// `specs.render`: a change's documents and delta requirements as safe HTML.
struct SpecRendering: Encodable {
    struct Document: Encodable {
        var path: String
        var html: String
    }

    struct Delta: Encodable {
        var capability: String
        var path: String
        var operation: String
        var requirement: String
        var html: String
        /// MODIFIED and REMOVED: the main spec's requirement as it is now; null when it has none.
        var mainHtml: String?
        /// RENAMED: the old name.
        var from: String?

        func encode(to encoder: Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(capability, forKey: .capability)
            try container.encode(path, forKey: .path)
            try container.encode(operation, forKey: .operation)
            try container.encode(requirement, forKey: .requirement)
            try container.encode(html, forKey: .html)
            try container.encode(mainHtml, forKey: .mainHtml)
            if let from { try container.encode(from, forKey: .from) }
        }

        enum CodingKeys: String, CodingKey { case capability, path, operation, requirement, html, mainHtml, from }
    }

    var specId: String
    var projectId: String
    var title: String
    var status: String
    var documents: [Document]
    var deltas: [Delta]
    var issues: [ValidationIssue]

    static func make(spec: SpecSummary, detail: SpecDetail, files: [SpecFileRecord], store: any SyncStore) throws -> SpecRendering {
        let taskFiles = Set(detail.taskFiles)
        func text(_ file: SpecFileRecord) -> String? {
            file.content.flatMap { String(validating: [UInt8]($0), as: UTF8.self) }
        }
        // proposal.md, design.md, then the other markdown files; not the task files or delta specs.
        let rank = ["proposal.md": 0, "design.md": 1]
        let documents = files
            .filter { $0.path.hasSuffix(".md") && !taskFiles.contains($0.path) && !$0.path.hasPrefix("specs/") }
            .sorted { (rank[$0.path] ?? 2, $0.path) < (rank[$1.path] ?? 2, $1.path) }
            .compactMap { file in text(file).map { Document(path: file.path, html: MarkdownRenderer.html($0)) } }

        var mainSpecs: [String: MainSpec] = [:]
        func mainRequirement(_ capability: String, _ name: String) throws -> String? {
            if mainSpecs[capability] == nil, let record = try store.mainSpec(projectId: spec.projectId, capability: capability),
               record.status == .present, let content = record.content {
                mainSpecs[capability] = MainSpec.parse([UInt8](content), path: record.path)
            }
            return mainSpecs[capability]?.requirements.first { Self.sameName($0.name, name) }.map { MarkdownRenderer.html(markdown($0)) }
        }
        var deltas: [Delta] = []
        for file in files where file.path.hasPrefix("specs/") && file.path.hasSuffix("/spec.md") {
            guard let content = file.content else { continue }
            let capability = String(file.path.dropFirst("specs/".count).dropLast("/spec.md".count))
            let delta = DeltaSpec.parse([UInt8](content), path: spec.path + "/" + file.path)
            func add(_ operation: DeltaOperation, _ name: String, _ markdownText: String, main: Bool, from: String? = nil) throws {
                deltas.append(Delta(capability: capability, path: file.path, operation: operation.rawValue, requirement: name,
                                    html: MarkdownRenderer.html(markdownText),
                                    mainHtml: main ? try mainRequirement(capability, name) : nil, from: from))
            }
            for requirement in delta.added { try add(.added, requirement.name, markdown(requirement), main: false) }
            for requirement in delta.modified { try add(.modified, requirement.name, markdown(requirement), main: true) }
            for name in delta.removed { try add(.removed, name, "", main: true) }
            for rename in delta.renamed { try add(.renamed, rename.to, "", main: false, from: rename.from) }
        }
        return SpecRendering(specId: spec.id, projectId: spec.projectId, title: spec.title, status: spec.status.rawValue,
                             documents: documents, deltas: deltas, issues: detail.issues)
    }

    /// A requirement's body and scenarios, as markdown.
    static func markdown(_ requirement: Requirement) -> String {
        ([requirement.text] + requirement.scenarios.map(\.rawText)).joined(separator: "\n\n")
    }

    /// Requirement names compare as OpenSpec compares them: trimmed, ignoring case.
    static func sameName(_ a: String, _ b: String) -> Bool {
        a.trimmingCharacters(in: .whitespaces).lowercased() == b.trimmingCharacters(in: .whitespaces).lowercased()
    }
}
