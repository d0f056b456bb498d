import Foundation
import HTTPTypes
import Hummingbird

/// What each request carries through the router.
public typealias ServerContext = BasicRequestContext

extension RequestHandler {
    /// Every route the server answers, behind the checks every request
    /// passes. Another file adds its routes with a function that takes the
    /// router, called here.
    func buildRouter() -> Router<ServerContext> {
        let router = Router(context: ServerContext.self)
        router.add(middleware: HostHeaderMiddleware())
        router.add(middleware: WebPageMiddleware(handler: self))
        router.add(middleware: AllowedOriginMiddleware(origins: Set(options.allowedOrigins)))
        router.add(middleware: UnknownRouteMiddleware())
        addTRPCRoutes(to: router)
        return router
    }

    /// `/trpc/<name>` and `/trpc/<name>,<name>?batch=1`: queries and
    /// subscriptions by GET, mutations by POST.
    func addTRPCRoutes(to router: Router<ServerContext>) {
        let trpc = router.group("trpc")
        trpc.head("**") { _, _ in Response(status: .noContent) }
        trpc.add(middleware: LoopbackAuthorityMiddleware(active: loopback))
        trpc.get("**") { request, _ in await respond(to: request) }
        trpc.post("**") { request, _ in await respond(to: request) }
    }

    /// One call of a request: its procedure name and raw input.
    private struct Call: Sendable {
        var name: String
        var input: JSONValue?
    }

    /// A GET or POST under `/trpc/`: its calls, run, in tRPC's reply.
    func respond(to request: Request) async -> Response {
        let names = Self.procedureNames(request)
        let query = Self.queryParameters(request.uri.query)
        let isBatch = query["batch"] == "1" || query["batch"] == "true"
        let firstName = names.first ?? ""
        if !isBatch && names.count != 1 {
            return errorResponse(TRPCError(.notFound, "no procedure \"\(Self.clip(names.joined(separator: ",")))\"; several procedures in one request need ?batch=1"), path: firstName)
        }
        // Before the body is read: a page of another site is refused whatever it sent.
        let authorized: Bool
        switch webAuthorization(request) {
        case let .refused(error): return errorResponse(error, path: firstName)
        case let .authorized(allowed): authorized = allowed
        }
        if isBatch && names.count > options.maxBatch {
            return errorResponse(TRPCError(.badRequest, "a batch holds at most \(options.maxBatch) calls; split it"), path: nil)
        }
        let calls: [Call]
        do {
            let rawInput = try await readInput(request, query: query)
            calls = isBatch ? try Self.batchCalls(names, input: rawInput) : [Call(name: firstName, input: rawInput)]
        } catch {
            return errorResponse(mapper.map(error, procedure: firstName), path: isBatch ? nil : firstName)
        }

        if !isBatch, case let .stream(stream)? = Procedures.table[firstName]?.body {
            if let refusal = check(calls[0], method: request.method, authorized: authorized, batch: false) {
                return errorResponse(refusal, path: firstName)
            }
            return await stream(self)(calls[0].input, request)
        }
        if !isBatch && request.method == .get && Self.conditionalProcedures.contains(firstName) {
            return await conditionalReply(name: firstName, input: calls[0].input, inputText: query["input"],
                                          request: request, authorized: authorized)
        }
        if !isBatch {
            return reply(await perform(calls[0], method: request.method, authorized: authorized, batch: false), path: firstName)
        }
        return await runBatch(calls, method: request.method, authorized: authorized)
    }

    /// The raw input: `?input=` for GET, the body for POST.
    private func readInput(_ request: Request, query: [String: String]) async throws -> JSONValue? {
        guard request.method == .get else {
            var request = request
            return try Self.parseJSON(try await readBody(&request))
        }
        guard let text = query["input"] else { return nil }
        if text.utf8.count > options.maxBodyBytes {
            throw TRPCError(.payloadTooLarge, "the input is larger than \(options.maxBodyBytes) bytes")
        }
        return try Self.parseJSON(Array(text.utf8))
    }

    /// A batch's calls: input `{"0": …, "1": …}` holds each call's input by its place.
    private static func batchCalls(_ names: [String], input: JSONValue?) throws -> [Call] {
        var inputs: [String: JSONValue] = [:]
        switch input {
        case nil, .null?: break
        case let .object(object)?: inputs = object
        default:
            throw TRPCError(.badRequest, "\"input\" needs to be an object when doing a batch call: {\"0\": …, \"1\": …}")
        }
        return names.enumerated().map { index, name in Call(name: name, input: inputs[String(index)]) }
    }

    /// Calls of a batch run side by side, as tRPC runs them; replies keep
    /// their order. The status is the common one when every call agrees,
    /// else 207 Multi-Status.
    private func runBatch(_ calls: [Call], method: HTTPRequest.Method, authorized: Bool) async -> Response {
        let finished = await withTaskGroup(of: IndexedResult.self, returning: [Int: Result<Data, TRPCError>].self) { group in
            for (index, call) in calls.enumerated() {
                group.addTask {
                    IndexedResult(index: index, result: await perform(call, method: method, authorized: authorized, batch: true))
                }
            }
            var byIndex: [Int: Result<Data, TRPCError>] = [:]
            for await done in group { byIndex[done.index] = done.result }
            return byIndex
        }
        let results = calls.indices.map { index in
            finished[index] ?? .failure(TRPCError(.internalServerError, "\(calls[index].name) did not finish; try again"))
        }
        let statuses = Set(results.map { result -> Int in
            if case let .failure(error) = result { return error.code.httpStatus }
            return 200
        })
        var body = Data("[".utf8)
        for (index, result) in results.enumerated() {
            if index > 0 { body.append(UInt8(ascii: ",")) }
            body.append(Self.envelope(result, path: calls[index].name))
        }
        body.append(UInt8(ascii: "]"))
        let status = statuses.count == 1 ? statuses.first! : 207
        return Self.jsonResponse(status: status, body: body, unauthorized: statuses.contains(401))
    }

    private struct IndexedResult: Sendable {
        var index: Int
        var result: Result<Data, TRPCError>
    }

    /// One call outside a batch, by its name and input.
    func perform(name: String, input: JSONValue?, method: HTTPRequest.Method, authorized: Bool) async -> Result<Data, TRPCError> {
        await perform(Call(name: name, input: input), method: method, authorized: authorized, batch: false)
    }

    /// Why a call outside a batch may not run, if it may not.
    func check(name: String, method: HTTPRequest.Method, authorized: Bool) -> TRPCError? {
        check(Call(name: name, input: nil), method: method, authorized: authorized, batch: false)
    }

    /// One call: refused, or run, with its error mapped.
    private func perform(_ call: Call, method: HTTPRequest.Method, authorized: Bool, batch: Bool) async -> Result<Data, TRPCError> {
        if let refusal = check(call, method: method, authorized: authorized, batch: batch) { return .failure(refusal) }
        do {
            return .success(try await procedures.call(call.name, input: call.input))
        } catch {
            return .failure(failure(error, procedure: call.name))
        }
    }

    /// Why a call may not run, if it may not: unknown, wrong method, or no token.
    private func check(_ call: Call, method: HTTPRequest.Method, authorized: Bool, batch: Bool) -> TRPCError? {
        guard let kind = Procedures.table[call.name]?.kind else {
            return TRPCError(.notFound, "no procedure \"\(Self.clip(call.name))\"; the procedures are " + Procedures.table.keys.sorted().joined(separator: ", "))
        }
        if method != kind.method {
            return TRPCError(.methodNotSupported, kind == .mutation
                ? "\(call.name) is a mutation: send it with POST and a JSON body"
                : "\(call.name) is a \(kind.rawValue): send it with GET and ?input=")
        }
        if kind == .subscription && batch {
            return TRPCError(.badRequest, "\(call.name) is a subscription and cannot be batched; open it as its own request")
        }
        if (kind == .mutation || options.tokenForReads) && !authorized {
            return TRPCError(.unauthorized, kind == .mutation
                ? "\(call.name) changes files: send the header Authorization: Bearer <token> (OPENSPEC_SYNC_TOKEN, or the server's token file)"
                : "this server needs a token for every call: send the header Authorization: Bearer <token>")
        }
        return nil
    }

    /// Logs what the client must not see, and returns what it may.
    private func failure(_ error: Error, procedure: String) -> TRPCError {
        let mapped = mapper.map(error, procedure: procedure)
        if mapped.code == .internalServerError {
            logger.error("\(procedure): \(error)")
        }
        return mapped
    }
}
