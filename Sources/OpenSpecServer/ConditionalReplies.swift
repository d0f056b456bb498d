import Foundation
import HTTPTypes
import Hummingbird

/// `ETag` and `If-None-Match` for the reads a client polls. The tag is the
/// store's change counter (kept by triggers in every writing transaction)
/// with the procedure and its input: the counter is read before the reply
/// is made, so a write landing in between can only make a tag older than
/// its body, which costs one 200 later and never a stale 304.
extension RequestHandler {
    /// The procedures answered with an ETag and, when it still holds, 304.
    static let conditionalProcedures: Set<String> = ["specs.list", "specs.get"]

    func conditionalReply(name: String, input: JSONValue?, inputText: String?, request: Request, authorized: Bool) async -> Response {
        let engine = engine
        guard let counter = try? await workers.read({ try engine.store.changeCounter() }) else {
            return reply(await perform(name: name, input: input, method: request.method, authorized: authorized), path: name)
        }
        let etag = Self.etag(counter: counter, procedure: name, inputText: inputText)
        if let ifNoneMatch = request.headers[.ifNoneMatch], WebAsset.matches(ifNoneMatch, etag: etag),
           check(name: name, method: request.method, authorized: authorized) == nil {
            return Response(status: .notModified, headers: [.eTag: etag, .cacheControl: Self.revalidate, .vary: "trpc-accept"])
        }
        let result = await perform(name: name, input: input, method: request.method, authorized: authorized)
        var response = reply(result, path: name)
        if case .success = result {
            response.headers[.eTag] = etag
            response.headers[.cacheControl] = Self.revalidate
        }
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
