import HTTPTypes
import Hummingbird

/// Refuses a request without exactly one Host header, before anything else.
struct HostHeaderMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let refusal = RequestHandler.hostRefusal(request) { return RequestHandler.errorResponse(refusal, path: nil) }
        return try await next(request, context)
    }
}

/// The dashboard's own paths (its files, `/login`, `/session`), answered
/// before the API's routes; every other path goes on.
struct WebPageMiddleware<Context: RequestContext>: RouterMiddleware {
    let handler: RequestHandler

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let page = handler.webResponse(to: request) { return page }
        return try await next(request, context)
    }
}

/// CORS for the web origins allowed (`--allow-origin`): their preflight
/// is answered, their replies say they may be read. Other origins get no
/// CORS headers, and their preflight falls through to the routes (405).
struct AllowedOriginMiddleware<Context: RequestContext>: RouterMiddleware {
    let origins: Set<String>

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let origin = request.headers[.origin], origins.contains(origin) else {
            return try await next(request, context)
        }
        var response: Response
        if request.method == .options {
            response = Response(status: .noContent)
            response.headers[.accessControlAllowMethods] = "GET, POST"
            response.headers[.accessControlAllowHeaders] = "Authorization, Content-Type, Last-Event-ID, trpc-accept, x-trpc-source"
            response.headers[.accessControlMaxAge] = "600"
        } else {
            response = try await next(request, context)
        }
        response.headers[.accessControlAllowOrigin] = origin
        response.headers[.vary] = "Origin, trpc-accept"
        return response
    }
}

/// A web page elsewhere must not reach a loopback server through a name
/// that resolves to 127.0.0.1 (DNS rebinding): on loopback, only requests
/// addressed to a loopback name are answered.
struct LoopbackAuthorityMiddleware<Context: RequestContext>: RouterMiddleware {
    let active: Bool

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if active, let authority = request.head.authority, !RequestHandler.isLocalAuthority(authority) {
            let refusal = TRPCError(.forbidden, "this server answers only requests addressed to localhost, 127.0.0.1 or [::1]")
            return RequestHandler.errorResponse(refusal, path: RequestHandler.procedureNames(request).first)
        }
        return try await next(request, context)
    }
}

/// No route for the path and method: in tRPC's shape, a method other than
/// GET and POST under `/trpc/<name>` is 405, anything else 404.
struct UnknownRouteMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            let path = request.uri.path
            let names = RequestHandler.procedureNames(request)
            guard path.count > 6, let first = names.first else {
                let refusal = TRPCError(.notFound, "no such endpoint; the API is under /trpc/ (for example GET /trpc/projects.list)")
                return RequestHandler.errorResponse(refusal, path: nil)
            }
            let refusal = TRPCError(.methodNotSupported, "\(request.method) is not supported: queries use GET, mutations POST")
            return RequestHandler.errorResponse(refusal, path: first)
        }
    }
}
