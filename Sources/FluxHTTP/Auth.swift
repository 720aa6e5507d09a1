import Foundation
import HTTPTypes
import Hummingbird

/// Bearer-token checks: `security.auth_token` for the routes that change state, `security.admin_token`
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
        let parts = header.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else {
            throw .unauthorized("the Authorization header must be `Bearer <token>` (\(setting))")
        }
        guard Self.constantTimeEquals(String(parts[1]).trimmingCharacters(in: .whitespaces), expected) else {
            throw .forbidden("the bearer token is not \(setting)")
        }
    }

    /// Compares without stopping at the first difference, so the time taken tells nothing about the token.
    static func constantTimeEquals(_ given: String, _ expected: String) -> Bool {
        let a = Array(given.utf8), b = Array(expected.utf8)
        var difference = UInt64(a.count ^ b.count)
        for i in 0..<b.count {
            difference |= UInt64((i < a.count ? a[i] : 0) ^ b[i])
        }
        return difference == 0
    }
}
