import OpenSpecFormat
import OpenSpecGit
import OpenSpecStore

/// What one queued edit did when its file was written.
enum EditStep: Equatable {
    /// It changed the file.
    case applied
    /// It applied, and the file already was so.
    case unchanged
    /// It could not apply: it is given up and kept as a conflict, for this reason.
    case conflict(EditConflict)
}

/// Why a queued edit cannot apply to the file as it is when written.
enum EditConflict: Equatable, CustomStringConvertible {
    /// A whole-file edit made against neither the file nor the result of the edits before it.
    case fileChanged
    /// A toggle whose task is not in the file.
    case taskMissing(task: String)

    var description: String {
        switch self {
        case .fileChanged: return "the file changed on disk since the edit was made"
        case let .taskMissing(task): return "task \(task) is not in the file as it is now"
        }
    }
}

/// The edits waiting for one file, applied in queue order to the file's
/// bytes as they are when written: a toggle ticks or unticks its task in
/// those bytes, so toggles compose; a replace applies when it was made
/// against the file as it is or against the result of the edits queued
/// before it, and otherwise cannot apply.
struct EditQueue {
    var writes: [PendingWriteRecord]

    /// The file after every edit that applies (nil: still no file), and what each edit did, in order.
    func apply(to file: [UInt8]?) -> (bytes: [UInt8]?, steps: [EditStep]) {
        var fileBlob: String??
        var bytes = file
        var bytesBlob: String??  // the blob id of `bytes`, computed when a replace needs it
        var steps: [EditStep] = []
        steps.reserveCapacity(writes.count)
        for write in writes {
            switch write.operation {
            case .replace:
                if let bytes, bytes.count == write.content.count, write.content.elementsEqual(bytes) {
                    steps.append(.unchanged); continue
                }
                if fileBlob == nil { fileBlob = .some(file.map { Repository.hashBlob($0).hex }) }
                if bytesBlob == nil { bytesBlob = .some(bytes.map { Repository.hashBlob($0).hex }) }
                if write.baseBlobId == fileBlob! || write.baseBlobId == bytesBlob! {
                    bytes = [UInt8](write.content)
                    bytesBlob = nil
                    steps.append(.applied)
                } else {
                    steps.append(.conflict(.fileChanged))
                }
            case .toggleTask:
                let task = write.task ?? ""
                guard let current = bytes, let item = Self.task(task, in: current) else {
                    steps.append(.conflict(.taskMissing(task: task)))
                    continue
                }
                guard let next = Self.toggled(current, item, done: write.done ?? true) else {
                    steps.append(.unchanged); continue
                }
                bytes = next
                bytesBlob = nil
                steps.append(.applied)
            }
        }
        return (bytes, steps)
    }

    /// The task of `bytes` that `task` names: a written number such as `1.2`, or `#N` for the Nth checkbox.
    static func task(_ task: String, in bytes: [UInt8]) -> TaskItem? {
        TaskList.find(task, in: bytes)
    }

    /// `bytes` with `item`'s checkbox set to done or not done, changing only
    /// the marker; nil when it already is so.
    static func toggled(_ bytes: [UInt8], _ item: TaskItem, done: Bool) -> [UInt8]? {
        if done && item.isDone { return nil }
        var out = bytes
        let x = UInt8(ascii: "x"), space = UInt8(ascii: " ")
        if let marker = item.markerOffset {
            // The marker character, whole (it may be more than one byte in UTF-8).
            let length = max(1, utf8Length(bytes[marker]))
            let end = min(marker + length, bytes.count)
            if end == marker + 1 && bytes[marker] == (done ? x : space) { return nil }
            out.replaceSubrange(marker..<end, with: [done ? x : space])
        } else if done {
            if item.closeBracketOffset > item.openBracketOffset + 1 {
                out[item.openBracketOffset + 1] = x  // the blank inside "[ ]"
            } else {
                out.insert(x, at: item.closeBracketOffset)  // "[]"
            }
        } else {
            return nil
        }
        return out
    }

    private static func utf8Length(_ lead: UInt8) -> Int {
        switch lead {
        case 0xF0...: return 4
        case 0xE0...: return 3
        case 0xC0...: return 2
        default: return 1
        }
    }
}
