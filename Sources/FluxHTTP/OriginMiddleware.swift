import FluxService
import HTTPTypes
import Hummingbird

/// Refuses, before any route runs, what a web page may have sent on its own: a foreign `Origin` (403) and a `Host`
/// that does not name this server (421, DNS rebinding). The rule is ``HTTPOriginPolicy``, the one MCP over HTTP
/// applies too; `security.allowed_origins` widens it.
struct OriginMiddleware<Context: RequestContext>: RouterMiddleware {
    let policy: HTTPOriginPolicy

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        switch policy.check(origin: request.headers[.origin], host: request.head.authority) {
        case nil:
            return try await next(request, context)
        case .origin(let origin)?:
            return APIError(status: .forbidden, code: "forbidden_origin",
                            message: "Origin \(origin) is not allowed: requests from web pages must come from a local origin "
                                + "or one listed in security.allowed_origins").response
        case .host(let host)?:
            return APIError(status: .misdirectedRequest, code: "misdirected_request",
                            message: "Host \(host) does not name this server; reach it by a loopback name, its address, or a "
                                + "host listed in security.allowed_origins (as https://\(host))").response
        }
    }
}
