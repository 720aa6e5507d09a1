import FluxService
import Foundation
import HTTPTypes
import Hummingbird

/// Bearer-token checks: `security.auth_token` for every route but the open ones, `security.admin_token`
/// for the admin routes. A missing or malformed header is 401, a wrong token 403.
struct BearerToken: Sendable {
    /// The expected token; nil means no check, unless `required`.
    let expected: String?
    /// Names the setting in messages.
    let setting: String
    /// When true and no token is configured, every request is refused (the admin API is never open).
    var required = false

    func check(_ request: Request) throws(APIError) {
        guard let expected else {
            if required { throw .forbidden("this route is disabled until the server is given \(setting)") }
            return
        }
        guard let header = request.headers[.authorization] else {
            throw .unauthorized("this route needs an Authorization: Bearer header with \(setting)")
        }
        guard let token = BearerCredential.token(inAuthorization: header) else {
            throw .unauthorized("the Authorization header must be `Bearer <token>` (\(setting))")
        }
        guard BearerCredential.constantTimeEquals(token, expected) else {
            throw .forbidden("the bearer token is not \(setting)")
        }
    }
}
