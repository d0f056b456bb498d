extension ChangeSnapshot {
    /// Parses a change folder with its workflow schema resolved from the
    /// project's `schemas` (OPENSPEC-FORMAT 1.4): the schema's tracked files
    /// hold the tasks, and a schema that is unknown or cannot be read is an
    /// issue of the change, whose tasks then come from `tasks.md`.
    /// `keepingTaskItems` as for `read(folder:files:trackedTasks:keepingTaskItems:)`.
    public static func read(folder: ChangeFolder, files: [String: [UInt8]], schemas: SchemaTable,
                            keepingTaskItems: Bool = true) -> ChangeSnapshot {
        let named = files[".openspec.yaml"].flatMap { ChangeMetadata.parse($0, path: ".openspec.yaml").schema }
        let resolved = schemas.resolve(changeSchema: named, folder: folder.path)
        var snapshot = read(folder: folder, files: files, trackedTasks: resolved.trackedTasks,
                            keepingTaskItems: keepingTaskItems)
        snapshot.schema = resolved
        snapshot.issues += resolved.issues
        return snapshot
    }
}
