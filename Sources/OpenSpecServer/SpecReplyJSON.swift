import Foundation
import OpenSpecFormat
import OpenSpecStore
import OpenSpecSync

/// `specs.get`'s reply (`SpecReply`) written by hand: the detail's fields
/// in their declared order, `files` with each file's content and version.
enum SpecReplyJSON {
    static func write(_ detail: SpecDetail, files: [SpecFileReply]) -> Data {
        var json = JSONWriter(capacity: 4096 + files.reduce(0) { $0 + ($1.content?.utf8.count ?? 0) + 160 })
        json.object { json in
            json.field("id", detail.id)
            json.field("changeId", detail.changeId)
            json.field("path", detail.path)
            json.field("project", detail.project)
            json.field("status", detail.status)
            json.field("archivedOn", ifPresent: detail.archivedOn)
            json.field("title", detail.title)
            json.field("schemaName", ifPresent: detail.schemaName)
            json.field("createdOn", ifPresent: detail.createdOn)
            json.field("completedTasks", detail.completedTasks)
            json.field("totalTasks", detail.totalTasks)
            json.field("taskStatus", detail.taskStatus)
            json.key("tasks"); json.array(detail.tasks) { json, task in task.write(to: &json) }
            json.field("trackedTasks", detail.trackedTasks)
            json.field("taskFiles", detail.taskFiles)
            json.key("artifacts"); json.array(detail.artifacts) { json, artifact in
                json.object { json in
                    json.field("id", artifact.id)
                    json.field("generates", artifact.generates)
                    json.field("present", artifact.present)
                }
            }
            json.key("issues"); json.array(detail.issues) { json, issue in
                json.object { json in
                    json.field("level", issue.level.rawValue)
                    json.field("path", issue.path)
                    json.field("message", issue.message)
                    json.field("line", ifPresent: issue.line)
                }
            }
            json.key("files"); json.array(files) { json, file in file.write(to: &json) }
            json.field("proposalContent", ifPresent: detail.proposalContent)
            json.field("tasksContent", ifPresent: detail.tasksContent)
            json.field("designContent", ifPresent: detail.designContent)
            json.field("firstSeenAt", detail.firstSeenAt)
            json.field("lastSyncedAt", ifPresent: detail.lastSyncedAt)
            json.field("filesystemModifiedAt", ifPresent: detail.filesystemModifiedAt)
            json.field("dbModifiedAt", ifPresent: detail.dbModifiedAt)
            json.field("syncError", ifPresent: detail.syncError)
        }
        return json.data
    }
}

extension SpecDetail.Task {
    func write(to json: inout JSONWriter) {
        json.object { json in
            json.field("line", line)
            json.field("marker", marker)
            json.field("done", done)
            json.field("number", ifPresent: number)
            json.field("text", text)
            json.field("indent", ifPresent: indent)
            json.field("group", ifPresent: group)
            json.field("file", ifPresent: file)
        }
    }
}

extension SpecFileReply {
    func write(to json: inout JSONWriter) {
        json.object { json in
            json.field("path", path)
            json.field("version", version)
            json.field("blobId", blobId)
            json.field("size", size)
            json.field("isUTF8", isUTF8)
            json.field("content", orNull: content)
        }
    }
}
