internal import CLibgit2
import Foundation

extension Repository {
    /// When each entry of the folders `folders` (such as `openspec/changes`
    /// and `openspec/changes/archive`) first appeared in the history of HEAD:
    /// the time of the oldest commit that added it (against its first parent),
    /// keyed by the entry's path. One walk over the history that compares
    /// only the folders' tree ids, and lists their entries only in commits
    /// that changed them. [] on an unborn HEAD.
    public func additionTimes(in folders: [String]) throws -> [String: Date] {
        guard let head = try headCommit() else { return [:] }
        let folders = folders.map(normalizedRelativePath)
        var times: [String: Date] = [:]
        let visit: (ObjectID) throws -> Bool = { id in
            let commit = try self.lookupCommit(id)
            defer { git_commit_free(commit) }
            let tree = ObjectID(git_commit_tree_id(commit))
            var parentTree: ObjectID?
            if git_commit_parentcount(commit) > 0, let parent = git_commit_parent_id(commit, 0) {
                parentTree = try? self.rootTreeID(ofCommit: ObjectID(parent))
            }
            let time = Date(timeIntervalSince1970: TimeInterval(git_commit_time(commit)))
            for folder in folders {
                let now = try self.node(at: folder, inTree: tree)
                let before = try parentTree.flatMap { try self.node(at: folder, inTree: $0) }
                guard let now, now != before, now.mode == .tree else { continue }
                let old = try before.map { try self.entryNames(ofTree: $0.id) } ?? []
                // Walked newest first: an older addition overwrites a newer one.
                for name in try self.entryNames(ofTree: now.id).subtracting(old) { times[folder + "/" + name] = time }
            }
            return true
        }
        if isShallow {
            try walkShallowHistory(from: head, visit)
        } else {
            try walkHistory(from: head, visit)
        }
        return times
    }

    /// The names of a tree's entries.
    func entryNames(ofTree id: ObjectID) throws -> Set<String> {
        let tree = try lookupTree(id)
        defer { git_tree_free(tree) }
        var names: Set<String> = []
        for index in 0..<git_tree_entrycount(tree) {
            if let entry = git_tree_entry_byindex(tree, index), let name = git_tree_entry_name(entry) {
                names.insert(String(cString: name))
            }
        }
        return names
    }
}
