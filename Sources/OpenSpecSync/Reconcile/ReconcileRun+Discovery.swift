import Foundation
import OpenSpecFormat
import OpenSpecGit
import OpenSpecStore

/// Which change folders and main specs a run looks at.
extension ReconcileRun {
    /// The change folders and main specs to compare. `listed`: for a full
    /// compare, the folders a listing just showed as folders.
    mutating func selectFolders(candidates: Set<String>)
        throws -> (folders: Set<String>, capabilities: Set<String>, listed: Set<String>?) {
        var folders = Set<String>()
        var capabilities = Set<String>()
        guard case let .incremental(incremental) = plan else {
            let listed = try timer.measure("discover folders") { try collectAllFolders(into: &folders, capabilities: &capabilities) }
            return (folders, capabilities, listed)
        }
        folders.formUnion(options.recheck)
        // Another config or schema can move any change's tasks.
        if schemasChanged { folders.formUnion(try writer.allSpecs(projectId: project.id).filter { $0.status != .removed }.map(\.path)) }
        for path in candidates {
            switch OpenSpecPath.classify(path) {
            case let .changeFile(folder, _): folders.insert(folder)
            case let .mainSpec(capability): capabilities.insert(capability)
            case .other: break
            }
        }
        // Git's diff shows no submodule (it has no files here): after a
        // commit, the submodules last seen are looked at again.
        if incremental.headMoved {
            for path in SkippedPaths.decode(try writer.skippedPaths(projectId: project.id)).all where path.reason == .submodule {
                folders.insert(path.path)
            }
        }
        return (folders, capabilities, nil)
    }

    /// Every change folder and main spec on disk, plus every one the database
    /// still thinks exists (so that a vanished one is noticed). Returns the
    /// change folders the listing showed as folders.
    private mutating func collectAllFolders(into folders: inout Set<String>, capabilities: inout Set<String>) throws -> Set<String> {
        let changesRoot = openspecRoot + "/changes"
        skippedComplete = true
        for scope in ["changes", "changes/archive"] { noteInvalidNames(in: scope) }
        if fs.kind(of: changesRoot) == .directory {
            for entry in try fs.entries(of: changesRoot) where entry.kind == .directory {
                if entry.name == "archive" {
                    for archived in try fs.entries(of: changesRoot + "/archive") where archived.kind == .directory {
                        let path = "changes/archive/" + archived.name
                        if ChangeFolder(path: path) != nil { folders.insert(path) }
                    }
                } else {
                    let path = "changes/" + entry.name
                    if ChangeFolder(path: path) != nil { folders.insert(path) }
                }
            }
        }
        let listed = folders
        for spec in try writer.allSpecs(projectId: project.id) where spec.status != .removed {
            folders.insert(spec.path)
        }
        walkSpecs(openspecRoot + "/specs", relative: "", into: &capabilities)
        for (capability, state) in try writer.mainSpecStates(projectId: project.id) where state.status == .present {
            capabilities.insert(capability)
        }
        return listed
    }

    /// Change folders under `scope` whose names are not UTF-8: skipped, and kept to report.
    mutating func noteInvalidNames(in scope: String) {
        skipped[scope] = fs.invalidNames(in: openspecRoot + "/" + scope)
            .filter { name in !name.withUnsafeBufferPointer { IgnoredNames.contains($0) } }
            .map { SkippedPath(path: scope + "/" + escapedName($0), reason: .nameNotUTF8) }
    }

    /// Main specs: any `spec.md` below `specs/` at depth one or more; dot
    /// entries and linked folders are skipped, as OpenSpec does.
    private func walkSpecs(_ directory: String, relative: String, into capabilities: inout Set<String>) {
        guard let entries = try? fs.entries(of: directory) else { return }
        for entry in entries where !entry.name.hasPrefix(".") {
            let child = relative.isEmpty ? entry.name : relative + "/" + entry.name
            if entry.kind == .directory {
                walkSpecs(directory + "/" + entry.name, relative: child, into: &capabilities)
            } else if entry.kind == .file, entry.name == "spec.md", !relative.isEmpty {
                capabilities.insert(relative)
            }
        }
    }

    /// The openspec-relative paths `.gitmodules` declares as submodules.
    func declaredSubmodules() -> Set<String> {
        guard let read = try? fs.read(project.repoPath + "/.gitmodules", limit: 1 << 20), !read.oversize else { return [] }
        var paths = Set<String>()
        for line in String(decoding: read.bytes, as: UTF8.self).split(whereSeparator: \.isNewline) {
            let parts = line.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            if parts.count == 2, parts[0] == "path", let relative = openspecRelative(parts[1]) { paths.insert(relative) }
        }
        return paths
    }}
