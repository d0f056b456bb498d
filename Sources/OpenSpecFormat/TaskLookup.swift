extension TaskList {
    /// The task that `task` names, found line by line without building the
    /// whole list (a write to a large tasks.md needs one task, not all):
    /// a written number such as `1.2` (its first occurrence), or `#N` for
    /// the Nth checkbox. `line` and `group` are not filled in.
    public static func find(_ task: String, in b: [UInt8]) -> TaskItem? {
        var ordinal: Int?
        if task.hasPrefix("#") {
            guard let n = Int(task.dropFirst()), n >= 1 else { return nil }
            ordinal = n
        }
        var seen = 0
        var found: TaskItem?
        forEachTask(in: b) { item in
            seen += 1
            guard ordinal.map({ $0 == seen }) ?? (item.number == task) else { return true }
            found = item
            return false
        }
        return found
    }

    /// Calls `body` with each checkbox line's task, in file order, line by
    /// line without building the list, until `body` returns false.
    static func forEachTask(in b: [UInt8], _ body: (TaskItem) -> Bool) {
        let n = b.count
        let bomEnd = (n >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF) ? 3 : 0
        var s = 0
        while s <= n {
            var e = s
            while e < n && b[e] != ASCII.lf { e += 1 }
            if let item = matchTask(b, s, e, bomEnd: s == 0 ? bomEnd : s), !body(item) { return }
            if e >= n { return }
            s = e + 1
        }
    }
}
