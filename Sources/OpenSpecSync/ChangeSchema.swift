import OpenSpecFormat
import OpenSpecStore

extension SyncEngine {
    /// The workflow schema of a change: the name its row records (resolved
    /// when it was synced) looked up in the project's schemas as the working
    /// tree has them now.
    func resolvedSchema(projectId: String, folder: String, schemaName: String?, reading reads: (any StoreReads)? = nil) throws -> ResolvedSchema {
        guard let project = try (reads ?? store).project(id: projectId) else { throw SyncError.unknownProject(projectId) }
        let table = SchemaTable.load(fs: fileSystem, openspecRoot: project.repoPath + "/" + project.openspecPath,
                                     limit: maxFileBytes)
        return table.resolve(changeSchema: schemaName, folder: folder)
    }

    /// A change's task files in glob order, among its files as last synced;
    /// `tasks.md` when the schema's glob matches none.
    func taskFiles(of spec: SpecSummary) throws -> [String] {
        let schemaName = try store.schemaName(specId: spec.id)
        let resolved = try resolvedSchema(projectId: spec.projectId, folder: spec.path, schemaName: schemaName)
        let files = resolved.taskFiles(in: try store.specFiles(specId: spec.id, withContent: false).map(\.path))
        return files.isEmpty ? ["tasks.md"] : files
    }
}
