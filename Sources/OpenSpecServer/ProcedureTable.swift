import Foundation
import Hummingbird

/// How a procedure is called: tRPC's three kinds.
enum ProcedureKind: String, Sendable {
    /// GET with `?input=`; never changes anything.
    case query
    /// POST with a JSON body; needs the token.
    case mutation
    /// GET answered with a Server-Sent Events stream.
    case subscription

    /// The one method a call of this kind may use.
    var method: HTTPRequest.Method { self == .mutation ? .post : .get }
}

/// One procedure: its name, kind, and what runs it. A query or mutation
/// reads its input (with `Input`) and returns the JSON of `result.data`; a
/// subscription answers the whole request with a stream.
struct Procedure: Sendable {
    typealias Call = @Sendable (Procedures) -> @Sendable (JSONValue?) async throws -> Data
    typealias Stream = @Sendable (RequestHandler) -> @Sendable (JSONValue?, Request) async -> Response

    enum Body: Sendable {
        case call(Call)
        case stream(Stream)
    }

    let name: String
    let kind: ProcedureKind
    let body: Body

    static func query(_ name: String, _ call: @escaping Call) -> Procedure {
        Procedure(name: name, kind: .query, body: .call(call))
    }

    static func mutation(_ name: String, _ call: @escaping Call) -> Procedure {
        Procedure(name: name, kind: .mutation, body: .call(call))
    }

    static func subscription(_ name: String, _ stream: @escaping Stream) -> Procedure {
        Procedure(name: name, kind: .subscription, body: .stream(stream))
    }
}

extension Procedures {
    /// Every procedure the server answers, by name. A file that adds
    /// procedures keeps its own list (`static let … : [Procedure]`) and
    /// joins it here.
    static let table: [String: Procedure] = {
        var table: [String: Procedure] = [:]
        for procedure in core + streams + dashboard {
            precondition(table[procedure.name] == nil, "two procedures are named \(procedure.name)")
            table[procedure.name] = procedure
        }
        return table
    }()

    /// Runs query or mutation `name`; the result is the JSON of `result.data`.
    func call(_ name: String, input raw: JSONValue?) async throws -> Data {
        guard case let .call(call)? = Self.table[name]?.body else {
            throw TRPCError(.notFound, "no procedure \"\(RequestHandler.clip(name))\"")
        }
        return try await call(self)(raw)
    }
}
