/// A project's workflow schemas: its config's default and the schemas in
/// `openspec/schemas/`, read once and used to resolve each change's schema.
public struct SchemaTable: Sendable, Equatable {
    /// The config file read (`config.yaml` or `config.yml`, relative to `openspec/`), if any.
    public var configPath: String?
    public var config: ProjectConfig
    /// Project schemas by folder name (`schemas/<name>/schema.yaml`).
    public var schemas: [String: WorkflowSchema]

    public init(configPath: String? = nil, config: ProjectConfig = ProjectConfig(schema: nil),
                schemas: [String: WorkflowSchema] = [:]) {
        self.configPath = configPath
        self.config = config
        self.schemas = schemas
    }

    /// A project with neither config nor schemas: every change is `spec-driven`.
    public static let builtIn = SchemaTable()

    /// The openspec-relative path of a project schema's file.
    public static func schemaPath(_ name: String) -> String { "schemas/" + name + "/schema.yaml" }

    /// Whether a change of this openspec-relative path can change how changes resolve their schema.
    public static func affectsSchemas(_ relativePath: String) -> Bool {
        relativePath == "config.yaml" || relativePath == "config.yml" || relativePath.hasPrefix("schemas/")
    }

    /// The schema of a change whose `.openspec.yaml` names `changeSchema`, as
    /// OpenSpec resolves it: the change's, else the config's, else
    /// `spec-driven`; looked up in the project's schemas first, then among
    /// the built-in ones. `folder` names the change in issues.
    public func resolve(changeSchema: String?, folder: String) -> ResolvedSchema {
        let name: String
        let namedIn: String
        var issues: [ValidationIssue] = []
        if let changeSchema, !changeSchema.isEmpty {
            name = changeSchema
            namedIn = folder + "/.openspec.yaml"
        } else if let configured = config.schema {
            name = configured
            namedIn = configPath ?? "config.yaml"
            issues += config.issues
        } else {
            name = WorkflowSchema.specDriven.name
            namedIn = folder
            issues += config.issues
        }
        if let project = schemas[name] {
            guard project.isUsable else {
                let reason = project.issues.first { $0.level == .error }.map(\.description) ?? ""
                issues.append(.error(namedIn, SchemaMessages.unreadable(name, path: Self.schemaPath(name), reason: reason)))
                return ResolvedSchema(name: name, schema: nil, issues: issues)
            }
            return ResolvedSchema(name: name, schema: project, issues: issues)
        }
        if name == WorkflowSchema.specDriven.name {
            return ResolvedSchema(name: name, schema: .specDriven, issues: issues)
        }
        issues.append(.error(namedIn, SchemaMessages.unknown(name, path: Self.schemaPath(name))))
        return ResolvedSchema(name: name, schema: nil, issues: issues)
    }
}

/// The schema a change uses, and where its tasks are.
public struct ResolvedSchema: Sendable, Equatable {
    public var name: String
    /// nil when the schema is unknown or its file cannot be read.
    public var schema: WorkflowSchema?
    /// Findings about the schema, for the change's issues.
    public var issues: [ValidationIssue]

    /// The glob of the change's task files; `tasks.md` when the schema tracks none.
    public var trackedTasks: String { schema?.trackedTasks ?? "tasks.md" }

    /// The task files among `paths` (relative to the change folder), in
    /// glob order (sorted by path); `tasks.md` when the glob matches none
    /// and it exists; else empty.
    public func taskFiles(in paths: [String]) -> [String] {
        let glob = trackedTasks
        let matched = paths.filter { Glob.matches(glob, $0) }.sorted()
        if matched.isEmpty && paths.contains("tasks.md") { return ["tasks.md"] }
        return matched
    }

    /// Each artifact of the schema and whether a file its `generates` matches exists, as `openspec status` shows.
    public func artifacts(in paths: [String]) -> [ArtifactPresence] {
        (schema?.artifacts ?? []).map { artifact in
            ArtifactPresence(id: artifact.id, generates: artifact.generates,
                             present: paths.contains { Glob.matches(artifact.generates, $0) })
        }
    }
}

/// One artifact of a change's schema and whether it exists in the change.
public struct ArtifactPresence: Codable, Sendable, Equatable {
    public var id: String
    public var generates: String
    public var present: Bool

    public init(id: String, generates: String, present: Bool) {
        self.id = id
        self.generates = generates
        self.present = present
    }
}

enum SchemaMessages {
    static func unknown(_ name: String, path: String) -> String {
        "schema \"\(name)\" not found: there is no \(path) and no built-in schema of that name; tasks are read from tasks.md"
    }

    static func unreadable(_ name: String, path: String, reason: String) -> String {
        "schema \"\(name)\" cannot be used: \(reason); tasks are read from tasks.md"
    }
}
