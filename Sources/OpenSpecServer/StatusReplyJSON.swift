import Foundation
import OpenSpecStore
import OpenSpecSync

/// `projects.list` (`[ProjectStatus]`) and `sync.getStatus` (`StatusReply`)
/// written by hand, each struct's fields in their declared order.
enum StatusReplyJSON {
    static func write(_ projects: [ProjectStatus]) -> Data {
        var json = JSONWriter()
        json.array(projects) { json, project in project.write(to: &json) }
        return json.data
    }

    static func write(_ reply: StatusReply) -> Data {
        var json = JSONWriter()
        json.object { json in
            json.key("projects"); json.array(reply.projects) { json, project in project.write(to: &json) }
            json.key("spec")
            if let spec = reply.spec { spec.write(to: &json) } else { json.null() }  // null, not absent
        }
        return json.data
    }
}

extension ProjectStatus {
    func write(to json: inout JSONWriter) {
        json.object { json in
            json.field("id", id)
            json.field("name", name)
            json.field("repoPath", repoPath)
            json.field("openspecPath", openspecPath)
            json.field("lastReconciledCommit", ifPresent: lastReconciledCommit)
            json.field("lastReconciledAt", ifPresent: lastReconciledAt)
            json.field("lastError", ifPresent: lastError)
            json.field("pendingPaths", pendingPaths)
            json.field("active", active)
            json.field("archived", archived)
            json.field("removed", removed)
            json.field("withErrors", withErrors)
            json.field("mainSpecs", mainSpecs)
            json.field("pendingWrites", pendingWrites)
            json.field("openConflicts", openConflicts)
            if let lastRun { json.key("lastRun"); lastRun.write(to: &json) }
            json.key("skipped"); json.array(skipped) { json, skipped in skipped.write(to: &json) }
            if let owner { json.key("owner"); owner.write(to: &json) }
            if let standbys { json.key("standbys"); json.array(standbys) { json, host in host.write(to: &json) } }
        }
    }
}

extension OwnerStatus {
    func write(to json: inout JSONWriter) {
        json.object { json in
            json.field("host", ifPresent: host)
            json.field("leaseRenewedAt", ifPresent: leaseRenewedAt)
            json.field("leaseAgeMs", ifPresent: leaseAgeMs)
            json.field("leaseExpiresAt", ifPresent: leaseExpiresAt)
            json.field("held", held)
            json.field("isThisHost", isThisHost)
        }
    }
}

extension HostStatus {
    func write(to json: inout JSONWriter) {
        json.object { json in
            json.field("host", host)
            json.field("repoPath", repoPath)
            json.field("seenAt", seenAt)
        }
    }
}

extension ProjectSyncStatus {
    func write(to json: inout JSONWriter) {
        json.object { json in
            json.field("projectId", projectId)
            json.field("project", project)
            json.field("lastSyncedAt", ifPresent: lastSyncedAt)
            json.field("lastCommit", ifPresent: lastCommit)
            json.field("syncError", ifPresent: syncError)
            json.field("pendingWrites", pendingWrites)
            json.field("openConflicts", openConflicts)
            json.field("pendingPaths", pendingPaths)
            if let lastRun { json.key("lastRun"); lastRun.write(to: &json) }
            json.key("skipped"); json.array(skipped) { json, skipped in skipped.write(to: &json) }
        }
    }
}

extension SpecSyncStatus {
    func write(to json: inout JSONWriter) {
        json.object { json in
            json.field("specId", specId)
            json.field("changeId", changeId)
            json.field("path", path)
            json.field("project", project)
            json.field("status", status)
            json.field("lastSyncedAt", ifPresent: lastSyncedAt)
            json.field("lastCommit", ifPresent: lastCommit)
            json.field("syncError", ifPresent: syncError)
            json.field("pendingWrites", pendingWrites)
            json.field("openConflicts", openConflicts)
            if let lastHistory { json.key("lastHistory"); lastHistory.write(to: &json) }
        }
    }
}

extension HistoryItem {
    func write(to json: inout JSONWriter) {
        json.object { json in
            json.field("id", id)
            json.field("project", project)
            json.field("specId", ifPresent: specId)
            json.field("specPath", ifPresent: specPath)
            json.field("syncDirection", syncDirection)
            json.field("syncedAt", syncedAt)
            json.field("success", success)
            json.field("action", action)
            json.field("errorMessage", ifPresent: errorMessage)
            json.field("filesChanged", filesChanged)
            json.field("triggeredBy", triggeredBy)
            json.field("fromCommit", ifPresent: fromCommit)
            json.field("toCommit", ifPresent: toCommit)
            json.field("durationMs", ifPresent: durationMs)
            json.field("runs", runs)
            json.field("firstSyncedAt", ifPresent: firstSyncedAt)
        }
    }
}

extension SkippedPath {
    func write(to json: inout JSONWriter) {
        json.object { json in
            json.field("path", path)
            json.field("reason", reason.rawValue)
        }
    }
}
