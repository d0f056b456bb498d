import Foundation
import OpenSpecFormat
import OpenSpecGit
import OpenSpecStore

/// The walk of the working tree: the stamps this run saves, and the index's unmerged paths.
extension ReconcileRun {
    /// Stamps the working tree and notes the index's unmerged entries (a
    /// conflicted merge, rebase or stash pop), read from the index only when
    /// the index file itself changed or is too new to trust; the stamps and
    /// the index's own stamp become the stat cache this run saves.
    mutating func walkWorkingTree() throws -> [Int: StatCache.Bucket] {
        let walkStarted = Int64(Date().timeIntervalSince1970 * 1_000_000_000)
        self.walkStarted = walkStarted
        // After a commit the index has moved and must be scanned for
        // unmerged entries: that runs on another core during the walk.
        let indexStamp = fs.stamp(of: gitDir + "/index")
        let indexTrusted = cached.map { cached in indexStamp.map { cached.index == $0 && !cached.isRacyIndex($0) } ?? false } ?? false
        let (openspecPath, indexPath) = (project.openspecPath, gitDir + "/index")
        let indexScan = indexTrusted ? nil : Background { Repository.scanConflictedPaths(indexPath: indexPath, under: openspecPath) }
        // A full compare lists every folder again; otherwise folders whose
        // stamp has not moved are not re-read (files in them are still stamped).
        let listings = options.full ? nil : cached.map { cache in timer.measure("folder listings") { cache.listings() } }
        let current = timer.measure("stat walk") {
            if stampsFromReads {
                specsRecords = fs.stampRecords(under: openspecRoot + "/specs", prefix: "specs/", listings: listings)
                specsRecords.append(contentsOf: schemaStamps(fs: fs, openspecRoot: openspecRoot, listings: listings))
                return StatCache.split(specsRecords, takenAt: walkStarted)
            }
            return StatCache.split(stampWorkingTree(listings: listings), takenAt: walkStarted)
        }
        if let cached, indexTrusted {
            conflicted = Set(cached.conflicted)
        } else {
            indexReread = true
            conflicted = []
            let scanned = timer.measure("index conflicts") { indexScan?.value() ?? nil }
            // A layout the scan does not read (a split index, say): libgit2 decides.
            let paths = scanned ?? (try? timer.measure("index conflicts (libgit2)") {
                try repo().conflictedPaths(under: project.openspecPath)
            }) ?? []
            for path in paths {
                if let relative = openspecRelative(path) { conflicted.insert(relative) }
            }
        }
        newStatCache = StatCache(index: indexStamp, indexTakenAt: walkStarted, conflicted: conflicted.sorted(), buckets: current)
        indexMoved = cached?.index != indexStamp
        return current
    }

    /// Stamps of everything the reconciler reads: change folders and main specs.
    private func stampWorkingTree(listings: FolderListings?) -> StampRecords {
        var records = fs.stampRecords(under: openspecRoot + "/changes", prefix: "changes/", listings: listings)
        records.append(contentsOf: fs.stampRecords(under: openspecRoot + "/specs", prefix: "specs/", listings: listings))
        records.append(contentsOf: schemaStamps(fs: fs, openspecRoot: openspecRoot, listings: listings))
        return records
    }

    /// The records of `changes/` in the order a walk makes them, with each
    /// change folder's records from its reads (`read`). A change folder
    /// that was not read (it appeared since) or lacks a stamp gets none,
    /// and the folders above it lose theirs, so the next walk lists them
    /// and finds it. Anything else is not read by a sync, so it is stamped now.
    func changeStamps(read: [String: StampRecords?]) -> StampRecords {
        var records = StampRecords()
        var unstamped = Set<String>()
        func add(_ path: String, kind: EntryKind) {
            if let folder = read[path] {
                if let folder { records.append(contentsOf: folder) } else { unstamped.insert(path) }
                return
            }
            if kind == .directory && ChangeFolder(path: path) != nil {
                unstamped.insert(path)
                return
            }
            guard kind != .other, let stamp = fs.stamp(of: openspecRoot + "/" + path) else { return }
            records.append(path: path, stamp)
            if stamp.isDirectory {
                records.append(contentsOf: fs.stampRecords(under: openspecRoot + "/" + path, prefix: path + "/", listings: nil))
            }
        }
        let root = openspecRoot + "/changes"
        guard let entries = try? fs.entries(of: root) else { return records }
        for entry in entries where !IgnoredNames.contains(entry.name) {
            let path = "changes/" + entry.name
            guard entry.name == "archive", entry.kind == .directory else {
                add(path, kind: entry.kind)
                continue
            }
            // As the walk: the archive's stamp, taken before it is listed, then its folders.
            // (No record for it otherwise: the next walk lists it.)
            guard let stamp = fs.stamp(of: root + "/archive"), let archived = try? fs.entries(of: root + "/archive") else {
                continue
            }
            records.append(path: path, stamp)
            for child in archived where !IgnoredNames.contains(child.name) {
                add(path + "/" + child.name, kind: child.kind)
            }
        }
        return unstamped.isEmpty ? records : records.removing(unstamped)
    }
}
