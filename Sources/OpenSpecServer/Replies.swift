import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// Replies in tRPC's shape: `{"result": {"data": …}}` or `{"error": …}`, as JSON.
extension RequestHandler {
    static func envelope(_ result: Result<Data, TRPCError>, path: String) -> Data {
        switch result {
        case let .success(data):
            var body = Data(#"{"result":{"data":"#.utf8)
            body.append(data)
            body.append(contentsOf: Array("}}".utf8))
            return body
        case let .failure(error):
            return (try? encode(error.envelope(path: path))) ?? Data(#"{"error":{"message":"internal error","code":-32603,"data":{"code":"INTERNAL_SERVER_ERROR","httpStatus":500}}}"#.utf8)
        }
    }

    func reply(_ result: Result<Data, TRPCError>, path: String) -> Response {
        var status = 200
        if case let .failure(error) = result { status = error.code.httpStatus }
        return Self.jsonResponse(status: status, body: Self.envelope(result, path: path), unauthorized: status == 401)
    }

    func errorResponse(_ error: TRPCError, path: String?) -> Response {
        Self.errorResponse(error, path: path)
    }

    static func errorResponse(_ error: TRPCError, path: String?) -> Response {
        let body = (try? encode(error.envelope(path: path))) ?? Data()
        return jsonResponse(status: error.code.httpStatus, body: body, unauthorized: error.code == .unauthorized)
    }

    static func jsonResponse(status: Int, body: Data, unauthorized: Bool) -> Response {
        var headers: HTTPFields = [.contentType: "application/json", .vary: "trpc-accept"]
        if unauthorized { headers[.wwwAuthenticate] = "Bearer" }
        return Response(status: HTTPResponse.Status(code: status), headers: headers,
                        body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
    }
}
