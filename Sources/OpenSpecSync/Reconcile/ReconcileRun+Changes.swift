import Foundation
import OpenSpecFormat
import OpenSpecGit
import OpenSpecStore

/// Change folders: which exist, which moved, and their rows written from
/// what the preparer read.
extension ReconcileRun {
    /// A change folder found on disk, with the row it had (nil: new).
    typealias PresentFolder = (folder: ChangeFolder, stored: SpecSummary?)

    /// `listed`: folders a listing just showed as folders (a full compare),
    /// which need no second look to know they exist.
    mutating func syncChanges(folders: Set<String>, listed: Set<String>?) throws {
        guard !folders.isEmpty else { return }
        let full = plan.isFull
        let storedByPath: [String: SpecSummary]? = full
            ? Dictionary(try writer.allSpecs(projectId: project.id).map { ($0.path, $0) }, uniquingKeysWith: { a, _ in a })
            : nil
        let storedBlobs: [String: [String: String]]? = full ? try writer.allFileBlobIds(projectId: project.id) : nil
        var (present, disappeared) = try timer.measure("which folders exist") {
            try sortOut(folders, listed: listed, storedByPath: storedByPath)
        }
        let moves = try matchMoves(present, disappeared: &disappeared)
        try prepareAndWrite(present, moves: moves, storedBlobs: storedBlobs)
        // Folders gone without an archive are removed, history kept.
        for spec in disappeared {
            try writer.markRemoved(specId: spec.id, at: now)
            let files = try writer.fileBlobIds(specId: spec.id).keys.sorted().map { spec.path + "/" + $0 }
            try record(ReconcileChange(specId: spec.id, path: spec.path, action: .removed, files: files, error: nil))
            summary.removed += 1
        }
    }

    /// Which folders exist, which rows they belong to; the rows of folders gone.
    private mutating func sortOut(_ folders: Set<String>, listed: Set<String>?, storedByPath: [String: SpecSummary]?)
        throws -> (present: [PresentFolder], disappeared: [SpecSummary]) {
        var present: [PresentFolder] = []
        var disappeared: [SpecSummary] = []
        let submodules = declaredSubmodules()
        for path in folders.sorted() {
            guard let folder = ChangeFolder(path: path) else { continue }
            let stored = try storedByPath.map { $0[path] } ?? writer.spec(projectId: project.id, path: path)
            if submodules.contains(path) {
                // Another repository, checked out or not (then an empty folder): never a change.
                skipped[path] = [SkippedPath(path: path, reason: .submodule)]
                if let stored, stored.status != .removed { disappeared.append(stored) }
                continue
            }
            if listed?.contains(path) == true || fs.kind(of: openspecRoot + "/" + path) == .directory {
                present.append((folder, stored))
                continue
            }
            skipped[path] = []
            if let stored, stored.status != .removed {
                disappeared.append(stored)
            } else if path.contains("\u{FFFD}") {
                // A name that is not UTF-8, decoded: list its folder for the real bytes.
                noteInvalidNames(in: folder.isArchived ? "changes/archive" : "changes")
            }
        }
        return (present, disappeared)
    }

    /// A new folder that is the archived (or un-archived) form of a vanished
    /// one is a move: it keeps the row, its id and its history, whatever
    /// git's rename detection made of it. Returns the rows by new path.
    private func matchMoves(_ present: [PresentFolder], disappeared: inout [SpecSummary]) throws -> [String: SpecSummary] {
        var moves: [String: SpecSummary] = [:]
        var usedIds = Set<String>()
        for item in present where item.stored == nil {
            let folder = item.folder
            if let index = disappeared.firstIndex(where: { $0.changeId == folder.changeId && ($0.status == .archived) != folder.isArchived }) {
                moves[folder.path] = disappeared.remove(at: index)
            } else if folder.isArchived {
                // Removed in an earlier run, archived now (delete and add synced apart).
                let earlier = try writer.specs(projectId: project.id, changeId: folder.changeId)
                    .filter { $0.status == .removed && $0.path == "changes/" + folder.changeId && !usedIds.contains($0.id) }
                if let match = earlier.last { moves[folder.path] = match }
            }
            if let match = moves[folder.path] { usedIds.insert(match.id) }
        }
        return moves
    }

    /// Reads, hashes and parses folders on the other cores while this
    /// thread writes them in order; memory stays at a window of folders
    /// however many changes there are.
    private mutating func prepareAndWrite(_ present: [PresentFolder], moves: [String: SpecSummary],
                                          storedBlobs: [String: [String: String]]?) throws {
        var preparer = FolderPreparer(fs: fs, openspecRoot: openspecRoot, options: options, conflicted: conflicted)
        preparer.recordsStamps = stampsFromReads
        preparer.schemas = SchemaTable.load(fs: fs, openspecRoot: openspecRoot, limit: options.maxFileBytes)
        preparer.reevaluate = schemasChanged || plan.isFull
        var inputs: [PreparePipeline.Input] = []
        inputs.reserveCapacity(present.count)
        for item in present {
            let stored = item.stored ?? moves[item.folder.path]
            var previous: [String: String] = [:]
            if let stored {
                previous = try storedBlobs.map { $0[stored.id] ?? [:] } ?? writer.fileBlobIds(specId: stored.id)
            }
            inputs.append((item.folder, stored, previous))
        }
        // One folder needs no second thread.
        let pipeline = PreparePipeline(preparer: preparer, inputs: inputs, workerCount: inputs.count > 1 ? PreparePipeline.defaultWorkers : 0)
        defer { pipeline.finish() }
        for index in 0..<pipeline.count {
            let prepared = timer.measure("wait or prepare") { pipeline.take(index) }
            try timer.measure("write folders") { try apply(prepared, using: preparer) }
            progress?(index + 1, pipeline.count)
        }
    }

    /// Writes one prepared folder: its row, its files and a history row.
    private mutating func apply(_ prepared: PreparedFolder, using preparer: FolderPreparer) throws {
        if stampsFromReads { readStamps[prepared.folder.path] = .some(prepared.stamps) }
        summary.examined += 1
        skipped[prepared.folder.path] = prepared.skipped
        if prepared.isSubmodule {
            // Another repository: never a change, and no longer one if it was.
            if let stored = prepared.stored, stored.status != .removed {
                try writer.markRemoved(specId: stored.id, at: now)
                try record(ReconcileChange(specId: stored.id, path: stored.path, action: .removed, files: [], error: nil))
                summary.removed += 1
            }
            return
        }
        var evaluation = prepared.evaluation
        if !prepared.problems.isEmpty {
            // A file that could not be read keeps the content last synced.
            var files = prepared.files
            for problem in prepared.problems {
                pending.insert(problem.path)
                let relative = String(problem.path.dropFirst(prepared.folder.path.count + 1))
                guard files[relative] == nil, let stored = prepared.stored, let blob = prepared.previous[relative],
                      let data = try writer.fileContent(specId: stored.id, path: relative) else { continue }
                let bytes = [UInt8](data)
                files[relative] = ScannedFile(
                    values: FileValues(path: relative, blobId: blob, size: bytes.count,
                                       isUTF8: isValidUTF8(bytes), content: data, syncError: nil),
                    bytes: bytes, modifiedAt: nil)
            }
            summary.problems.append(contentsOf: prepared.problems)
            let error = prepared.problems.map(\.message).joined(separator: "; ")
            evaluation = preparer.evaluate(prepared.folder, stored: prepared.stored, previous: prepared.previous, files: files, error: error)
            guard let evaluation else { return }
            try write(prepared, evaluation, rows: FolderPreparer.fileRows(files))
            return
        }
        // After a schema change a folder is evaluated whatever its files: its row may still be in step.
        let inStep = try evaluation.map { try preparer.reevaluate && SchemaRefresh.leavesRowAsIs($0, stored: prepared.stored, writer: writer) } ?? true
        guard let evaluation, !inStep else {
            // In step already; a full compare or a re-check has verified it.
            if let stored = prepared.stored, plan.isFull || recheck.contains(prepared.folder.path) {
                try writer.markVerified(specId: stored.id, at: now)
            }
            return
        }
        try write(prepared, evaluation, rows: FolderPreparer.fileRows(prepared.files))
    }

    private mutating func write(_ prepared: PreparedFolder, _ evaluation: FolderEvaluation, rows: [FileValues]) throws {
        let folder = prepared.folder
        let status = evaluation.status
        let specId: String
        let action: HistoryAction
        if let stored = prepared.stored {
            specId = stored.id
            try writer.updateSpec(id: specId, evaluation.values, at: now)
            if stored.status == .removed && stored.path == folder.path { action = .restored; summary.restored += 1 }
            else if stored.status != .archived && status == .archived { action = .archived; summary.archived += 1 }
            else if stored.status == .archived && status == .active { action = .unarchived; summary.unarchived += 1 }
            else if evaluation.error != nil && evaluation.changedFiles.isEmpty { action = .failed }
            else { action = .updated; summary.updated += 1 }
        } else {
            specId = try writer.insertSpec(projectId: project.id, evaluation.values, at: now)
            action = .created
            summary.created += 1
        }
        if evaluation.error != nil { summary.failed += 1 }
        try writer.replaceFiles(specId: specId, files: rows, previous: prepared.previous)
        try record(ReconcileChange(specId: specId, path: folder.path, action: action,
                                   files: evaluation.changedFiles.map { folder.path + "/" + $0 }, error: evaluation.error))
    }
}
