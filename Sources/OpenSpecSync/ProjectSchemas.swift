import OpenSpecFormat
import OpenSpecStore

extension SchemaTable {
    /// The project's schema table from the working tree: `config.yaml` (or
    /// `config.yml`) and every `schemas/<name>/schema.yaml` under
    /// `openspecRoot`. A file that cannot be read is an issue of the
    /// changes that use it, never a failed run.
    static func load(fs: FileSystem, openspecRoot: String, limit: Int) -> SchemaTable {
        var table = SchemaTable()
        for name in ["config.yaml", "config.yml"] where fs.kind(of: openspecRoot + "/" + name) != nil {
            table.configPath = name
            switch readSmall(fs, openspecRoot + "/" + name, relative: name, limit: limit) {
            case .success(let bytes): table.config = ProjectConfig.parse(bytes, path: name)
            case .failure(let failure): table.config = ProjectConfig(schema: nil, issues: [failure.issue])
            }
            break
        }
        guard let entries = try? fs.entries(of: openspecRoot + "/schemas") else { return table }
        for entry in entries where entry.kind == .directory && !entry.name.hasPrefix(".") {
            let relative = SchemaTable.schemaPath(entry.name)
            guard fs.kind(of: openspecRoot + "/" + relative) != nil else { continue }
            switch readSmall(fs, openspecRoot + "/" + relative, relative: relative, limit: limit) {
            case .success(let bytes): table.schemas[entry.name] = WorkflowSchema.parse(bytes, path: relative)
            case .failure(let failure):
                table.schemas[entry.name] = WorkflowSchema(name: entry.name, artifacts: [], tracks: nil, issues: [failure.issue])
            }
        }
        return table
    }

    private static func readSmall(_ fs: FileSystem, _ path: String, relative: String, limit: Int) -> Result<[UInt8], ValidationIssueError> {
        func fail(_ reason: String) -> Result<[UInt8], ValidationIssueError> {
            .failure(ValidationIssueError(issue: ValidationIssue(level: .error, path: relative, message: "cannot read: " + reason)))
        }
        guard fs.kind(of: path) == .file else { return fail("not a regular file") }
        do {
            let read = try fs.read(path, limit: limit)
            if read.oversize { return fail("\(read.size) bytes, over the \(limit)-byte limit") }
            return .success(read.bytes)
        } catch {
            return fail((error as? FileSystemError)?.reason ?? "\(error)")
        }
    }
}

/// A file's finding as an error value.
struct ValidationIssueError: Error {
    var issue: ValidationIssue
}

/// After the project's schemas changed, every change is evaluated again
/// though its files did not change; a row whose schema-dependent columns
/// come out the same needs no write.
enum SchemaRefresh {
    static func leavesRowAsIs(_ evaluation: FolderEvaluation, stored: SpecSummary?, writer: any StoreTransaction) throws -> Bool {
        guard let stored, evaluation.changedFiles.isEmpty, stored.path == evaluation.values.path,
              stored.status == evaluation.status, stored.syncError == evaluation.error,
              let columns = try writer.schemaDependentColumns(specId: stored.id) else { return false }
        let values = evaluation.values
        return columns == SchemaDependentColumns(
            completedTasks: values.completedTasks, totalTasks: values.totalTasks, taskStatus: values.taskStatus,
            schemaName: values.schemaName, issues: values.issuesJSON)
    }
}

/// Stamps of what the schema table is read from (the config files and
/// `schemas/`), so that an edit of one is a candidate like any other file.
func schemaStamps(fs: FileSystem, openspecRoot: String, listings: FolderListings?) -> StampRecords {
    var records = StampRecords()
    for name in ["config.yaml", "config.yml"] {
        if let stamp = fs.stamp(of: openspecRoot + "/" + name) { records.append(path: name, stamp) }
    }
    records.append(contentsOf: fs.stampRecords(under: openspecRoot + "/schemas", prefix: "schemas/", listings: listings))
    return records
}
