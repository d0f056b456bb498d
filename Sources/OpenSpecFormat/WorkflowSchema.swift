/// A workflow schema, `openspec/schemas/<name>/schema.yaml` (OPENSPEC-FORMAT 1.4):
/// what this tool needs of it, its artifacts and `apply.tracks`.
public struct WorkflowSchema: Sendable, Equatable {
    public struct Artifact: Sendable, Equatable {
        public var id: String
        /// A path or glob relative to the change folder.
        public var generates: String

        public init(id: String, generates: String) {
            self.id = id
            self.generates = generates
        }
    }

    public var name: String
    public var artifacts: [Artifact]
    /// `apply.tracks`, when given.
    public var tracks: String?
    public var issues: [ValidationIssue]

    public init(name: String, artifacts: [Artifact], tracks: String?, issues: [ValidationIssue] = []) {
        self.name = name
        self.artifacts = artifacts
        self.tracks = tracks
        self.issues = issues
    }

    /// OpenSpec's built-in default schema.
    public static let specDriven = WorkflowSchema(
        name: "spec-driven",
        artifacts: [
            Artifact(id: "proposal", generates: "proposal.md"),
            Artifact(id: "specs", generates: "specs/**/*.md"),
            Artifact(id: "design", generates: "design.md"),
            Artifact(id: "tasks", generates: "tasks.md"),
        ],
        tracks: "tasks.md")

    /// True when the file could be read as a schema (no ERROR).
    public var isUsable: Bool { !issues.contains { $0.level == .error } }

    /// The glob of the task files: the `generates` of the artifact that
    /// `apply.tracks` names (OpenSpec's `findTrackedTasksArtifact`); nil
    /// without one, when progress falls back to `tasks.md`.
    public var trackedTasks: String? {
        guard let tracks, artifacts.contains(where: { $0.generates == tracks }) else { return nil }
        return tracks
    }

    /// Reads any bytes; `path` only names the file in issues.
    public static func parse(_ bytes: [UInt8], path: String) -> WorkflowSchema {
        let document = YAMLDocument.parse(bytes, path: path)
        var schema = WorkflowSchema(name: "", artifacts: [], tracks: nil, issues: document.issues)
        func fail(_ message: String, _ node: YAMLNode?) {
            schema.issues.append(.error(path, message, line: node?.line))
        }
        guard let root = document.root, case .mapping = root.value else {
            fail("a schema must be a mapping with name, artifacts and apply", document.root)
            return schema
        }
        if let name = root["name"]?.string, !name.isEmpty { schema.name = name } else { fail("name is required", root["name"] ?? root) }
        switch root["artifacts"]?.value {
        case .sequence(let items)?:
            for item in items {
                guard let id = item["id"]?.string, !id.isEmpty, let generates = item["generates"]?.string, !generates.isEmpty else {
                    fail("each artifact needs an id and a generates path", item)
                    continue
                }
                schema.artifacts.append(Artifact(id: id, generates: generates))
            }
        default:
            fail("artifacts must be a list", root["artifacts"] ?? root)
        }
        if let apply = root["apply"], !apply.isNull {
            if case .mapping = apply.value {
                if let tracks = apply["tracks"], !tracks.isNull {
                    if let text = tracks.string { schema.tracks = text } else { fail("apply.tracks must be a path", tracks) }
                }
            } else {
                fail("apply must be a mapping", apply)
            }
        }
        return schema
    }
}

/// The project's `openspec/config.yaml` (or `config.yml`): the default schema.
public struct ProjectConfig: Sendable, Equatable {
    public var schema: String?
    public var issues: [ValidationIssue]

    public init(schema: String?, issues: [ValidationIssue] = []) {
        self.schema = schema
        self.issues = issues
    }

    public static func parse(_ bytes: [UInt8], path: String) -> ProjectConfig {
        let document = YAMLDocument.parse(bytes, path: path)
        var config = ProjectConfig(schema: nil, issues: document.issues)
        guard let root = document.root else { return config }
        guard case .mapping = root.value else {
            config.issues.append(.error(path, "the project config must be a mapping", line: root.line))
            return config
        }
        if let schema = root["schema"], !schema.isNull {
            if let text = schema.string, !text.isEmpty {
                config.schema = text
            } else {
                config.issues.append(.error(path, "schema must be a schema name", line: schema.line))
            }
        }
        return config
    }
}
