/// A task named across a change's task files (a schema's `apply.tracks`
/// glob can match several): a written number is the first task with that
/// number in the files taken in glob order; `#N` counts checkboxes through
/// the files in that order.
public enum TaskAddress {
    /// Where `task` is: the file (from `files`, in glob order) and the task's
    /// address within that file; nil when no file has it. `bytes` gives a
    /// file's content as the toggle will see it (nil: no such file).
    public static func locate(_ task: String, files: [String], bytes: (String) throws -> [UInt8]?) rethrows
        -> (file: String, task: String)?
    {
        var remaining: Int?
        if task.hasPrefix("#") {
            guard let n = Int(task.dropFirst()), n >= 1 else { return nil }
            remaining = n
        }
        for file in files {
            guard let content = try bytes(file) else { continue }
            if let n = remaining {
                let count = checkboxCount(content)
                if n <= count { return (file, "#\(n)") }
                remaining = n - count
            } else if TaskList.find(task, in: content) != nil {
                return (file, task)
            }
        }
        return nil
    }

    /// The checkboxes of a file, counted as `TaskList.find` counts them for `#N`.
    public static func checkboxCount(_ b: [UInt8]) -> Int {
        var seen = 0
        TaskList.forEachTask(in: b) { _ in seen += 1; return true }
        return seen
    }
}
