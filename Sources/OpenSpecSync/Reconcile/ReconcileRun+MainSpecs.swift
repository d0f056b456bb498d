import Foundation
import OpenSpecFormat
import OpenSpecGit
import OpenSpecStore

/// Main specs (`specs/<capability>/spec.md`): one row each, read when its blob changed.
extension ReconcileRun {
    mutating func syncMainSpecs(_ capabilities: Set<String>) throws {
        guard !capabilities.isEmpty else { return }
        let states = try writer.mainSpecStates(projectId: project.id)
        for capability in capabilities.sorted() {
            let relative = "specs/" + capability + "/spec.md"
            let absolute = openspecRoot + "/" + relative
            let state = states[capability]
            guard fs.kind(of: absolute) == .file else {
                if let state, state.status == .present {
                    try writer.markMainSpecRemoved(projectId: project.id, capability: capability, at: now)
                    summary.mainSpecsChanged += 1
                    changedPaths.append(relative)
                }
                continue
            }
            do {
                let read = try fs.read(absolute, limit: options.maxFileBytes)
                if read.oversize {
                    throw FileSystemError(path: relative, operation: "read (\(read.size) bytes, over the limit)", code: EFBIG)
                }
                if conflicted.contains(relative) || FolderPreparer.conflictMarkerLine(read.bytes) != nil {
                    summary.problems.append(FileProblem(path: relative, message: "\(relative): merge conflict; resolve it, then the spec syncs"))
                    pending.insert(relative)
                    continue
                }
                let blob = Repository.hashBlob(read.bytes).hex
                if let state, state.status == .present, state.blobId == blob { continue }
                let spec = MainSpec.parse(read.bytes, path: relative)
                try writer.upsertMainSpec(projectId: project.id, MainSpecValues(
                    capability: capability, path: relative, title: spec.title, purpose: spec.purpose,
                    requirementCount: spec.requirements.count, blobId: blob, size: read.size,
                    isUTF8: isValidUTF8(read.bytes), content: Data(read.bytes),
                    issuesJSON: ColumnJSON.issues(spec.issues), syncError: nil), at: now)
                summary.mainSpecsChanged += 1
                changedPaths.append(relative)
            } catch {
                summary.problems.append(FileProblem(path: relative, message: "\(relative): \(error)"))
                pending.insert(relative)
            }
        }
    }
}
