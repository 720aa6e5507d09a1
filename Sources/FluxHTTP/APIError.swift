import Flux
import FluxService
import Foundation
import Logging
import HTTPTypes
import Hummingbird
import NIOCore

/// An error the API answers with: an HTTP status and the body `{"error": {"code", "message"}}`.
struct APIError: Error, Sendable, CustomStringConvertible {
    var status: HTTPResponse.Status
    var code: String
    var message: String
    var headers: HTTPFields = [:]

    var description: String { "\(status.code) \(code): \(message)" }

    static func badRequest(_ message: String) -> APIError { APIError(status: .badRequest, code: ServiceError.Code.invalidInput.rawValue, message: message) }
    static func notFound(_ message: String) -> APIError { APIError(status: .notFound, code: ServiceError.Code.notFound.rawValue, message: message) }
    static func tooLarge(limit: Int) -> APIError {
        APIError(status: .contentTooLarge, code: ServiceError.Code.tooLarge.rawValue,
                 message: "the request body is larger than security.max_body_bytes (\(limit) bytes)")
    }
    static func unauthorized(_ message: String) -> APIError {
        var headers = HTTPFields()
        headers[.wwwAuthenticate] = "Bearer"
        return APIError(status: .unauthorized, code: ServiceError.Code.unauthorized.rawValue, message: message, headers: headers)
    }
    static func forbidden(_ message: String) -> APIError { APIError(status: .forbidden, code: "forbidden", message: message) }
    static func unsupportedMediaType(_ message: String) -> APIError {
        APIError(status: .unsupportedMediaType, code: "unsupported_media_type", message: message)
    }
    static func tooManyRequests(_ message: String) -> APIError {
        var headers = HTTPFields()
        headers[.retryAfter] = "1"
        return APIError(status: .tooManyRequests, code: "too_many_requests", message: message, headers: headers)
    }
    static func unavailable(_ message: String) -> APIError {
        APIError(status: .serviceUnavailable, code: ServiceError.Code.unavailable.rawValue, message: message)
    }

    var json: JSONValue { ["error": ["code": .string(code), "message": .string(message)]] }

    var response: Response {
        var response = JSONResponse.make(json, status: status)
        for field in headers { response.headers.append(field) }
        return response
    }
}

extension APIError {
    /// The status a door answers a service error with.
    init(_ error: ServiceError) {
        let status: HTTPResponse.Status
        switch error.code {
        case .invalidInput, .invalidDocument: status = .badRequest
        case .notFound: status = .notFound
        case .conflict: status = .conflict
        case .tooLarge: status = .contentTooLarge
        case .unauthorized: status = .unauthorized
        case .forbidden: status = .forbidden
        case .unavailable: status = .serviceUnavailable
        case .internalError: status = .internalServerError
        }
        self.init(status: status, code: error.code.rawValue, message: error.message)
    }
}

/// JSON response bodies: one line of canonical JSON.
enum JSONResponse {
    static func make(_ value: JSONValue, status: HTTPResponse.Status = .ok) -> Response {
        text(value.canonicalJSON, contentType: "application/json", status: status)
    }

    static func text(_ text: String, contentType: String, status: HTTPResponse.Status = .ok) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = contentType
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }
}

/// Turns every error a route throws into the JSON error body, so no client mistake ends in an empty 500.
struct JSONErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    let logger: Logger
    let routes: RouteTable

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            return error.response
        } catch let error as ServiceError {
            if error.code == .internalError { logger.error("\(request.method) \(request.uri.path): \(error.message)") }
            return APIError(error).response
        } catch is NIOTooManyBytesError {
            return APIError(status: .contentTooLarge, code: ServiceError.Code.tooLarge.rawValue,
                            message: "the request body is larger than security.max_body_bytes").response
        } catch let error as any HTTPResponseError {
            switch error.status {
            case .notFound:
                let allowed = routes.methods(matching: request.uri.path)
                if !allowed.isEmpty {
                    var headers = HTTPFields()
                    headers[.allow] = allowed.joined(separator: ", ")
                    return APIError(status: .methodNotAllowed, code: "method_not_allowed",
                                    message: "\(request.method) is not allowed on \(request.uri.path); use \(allowed.joined(separator: " or "))",
                                    headers: headers).response
                }
                return APIError.notFound("no route \(request.method) \(request.uri.path); see GET /openapi.json for the API").response
            default:
                let code = error.status.code >= 500 ? ServiceError.Code.internalError.rawValue : "http_\(error.status.code)"
                return APIError(status: error.status, code: code, message: error.status.reasonPhrase).response
            }
        } catch is CancellationError {
            return APIError.unavailable("the server is shutting down; retry after it has restarted").response
        } catch {
            logger.error("\(request.method) \(request.uri.path) failed: \(error)")
            return APIError(status: .internalServerError, code: ServiceError.Code.internalError.rawValue, message: String(describing: error)).response
        }
    }
}

/// The served routes as templates (`/workflows/:name`, `/admin/**`), to tell a wrong method (405) from a wrong path (404).
struct RouteTable: Sendable {
    let routes: [(method: HTTPRequest.Method, segments: [String])]

    init(_ routes: [(HTTPRequest.Method, String)]) {
        self.routes = routes.map { ($0.0, $0.1.split(separator: "/").map(String.init)) }
    }

    /// The methods some route serves at `path`, in a stable order.
    func methods(matching path: String) -> [String] {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst().map(String.init)
        var found: [String] = []
        for route in routes where Self.matches(route.segments, parts) && !found.contains(route.method.rawValue) {
            found.append(route.method.rawValue)
        }
        return found
    }

    static func matches(_ template: [String], _ parts: [String]) -> Bool {
        var i = 0
        for segment in template {
            if segment == "**" { return i < parts.count }
            guard i < parts.count, !parts[i].isEmpty else { return false }
            if !segment.hasPrefix(":"), segment != parts[i] { return false }
            i += 1
        }
        return i == parts.count
    }
}
