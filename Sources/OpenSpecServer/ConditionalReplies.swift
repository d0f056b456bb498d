import Foundation
import HTTPTypes
import Hummingbird
import Synchronization

/// `ETag` and `If-None-Match` for the reads a client polls. The tag is the
/// store's change counter (moved once by every write transaction)
/// with the procedure and its input. A procedure that reads in one snapshot
/// (`Procedures.snapshotRead`) reads the counter in it, so tag and body
/// agree; one that does not reads the counter before its body, so a write
/// landing in between can only make a tag older than its body, which costs
/// one 200 later and never a stale 304.
extension RequestHandler {
    /// The procedures answered with an ETag and, when it still holds, 304.
    static let conditionalProcedures: Set<String> = ["specs.list", "specs.get"]

    func conditionalReply(name: String, input: JSONValue?, inputText: String?, request: Request, authorized: Bool) async -> Response {
        let tag = ReadTag(procedure: name, inputText: inputText, ifNoneMatch: request.headers[.ifNoneMatch])
        let result = await ReadTag.$current.withValue(tag) {
            await perform(name: name, input: input, method: request.method, authorized: authorized)
        }
        guard case .success = result, let read = tag.read else { return reply(result, path: name) }
        if read.clientCopyHolds {
            return Response(status: .notModified, headers: [.eTag: read.etag, .cacheControl: Self.revalidate, .vary: "trpc-accept"])
        }
        var response = reply(result, path: name)
        response.headers[.eTag] = read.etag
        response.headers[.cacheControl] = Self.revalidate
        return response
    }

    /// A cache (a browser's) keeps the reply for this client only and asks
    /// again each time, so the tag decides and a stale body is never shown.
    static let revalidate = "private, no-cache"

    /// `"<counter>-<fingerprint of procedure and input>"`.
    static func etag(counter: Int64, procedure: String, inputText: String?) -> String {
        "\"\(counter)-" + WebAsset.fingerprint(Array((procedure + "\n" + (inputText ?? "")).utf8)) + "\""
    }
}

/// The tag of one conditional read, handed to the procedure through the
/// task (`current`: every procedure has the same signature). The procedure
/// records the counter it read; when the client's copy holds at it, the
/// procedure makes no body and the reply is 304.
final class ReadTag: Sendable {
    @TaskLocal static var current: ReadTag?

    struct Read: Sendable {
        var etag: String
        var clientCopyHolds: Bool
    }

    let procedure: String
    let inputText: String?
    let ifNoneMatch: String?
    private let state = Mutex<Read?>(nil)

    init(procedure: String, inputText: String?, ifNoneMatch: String?) {
        self.procedure = procedure
        self.inputText = inputText
        self.ifNoneMatch = ifNoneMatch
    }

    /// What the procedure recorded; nil when it read no counter.
    var read: Read? { state.withLock { $0 } }

    /// Records the counter read; true when the client's copy holds at it (no body is needed).
    func record(counter: Int64) -> Bool {
        let etag = RequestHandler.etag(counter: counter, procedure: procedure, inputText: inputText)
        let holds = ifNoneMatch.map { WebAsset.matches($0, etag: etag) } ?? false
        state.withLock { $0 = Read(etag: etag, clientCopyHolds: holds) }
        return holds
    }
}
