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
        let n = b.count
        let bomEnd = (n >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF) ? 3 : 0
        var seen = 0
        var s = 0
        while s <= n {
            var e = s
            while e < n && b[e] != ASCII.lf { e += 1 }
            if let item = matchTask(b, s, e, bomEnd: s == 0 ? bomEnd : s) {
                seen += 1
                if ordinal.map({ $0 == seen }) ?? (item.number == task) { return item }
            }
            if e >= n { break }
            s = e + 1
        }
        return nil
    }
}
