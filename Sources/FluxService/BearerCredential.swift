/// Reading and checking `Authorization: Bearer <token>` headers, the same way in every HTTP door (REST, worker
/// routes, MCP over HTTP).
///
/// ```swift
/// guard let token = BearerCredential.token(inAuthorization: header),
///       BearerCredential.constantTimeEquals(token, expected) else { … }   // 401 / 403
/// ```
public enum BearerCredential {
    /// The token of an `Authorization` header value when its scheme is `Bearer`, matched case-insensitively as
    /// RFC 7235 says (`bearer T` and `BEARER T` too); nil when the header has another scheme or no token.
    public static func token(inAuthorization header: String) -> String? {
        let text = Substring(header).drop { $0 == " " || $0 == "\t" }
        guard let gap = text.firstIndex(where: { $0 == " " || $0 == "\t" }) else { return nil }
        guard text[..<gap].lowercased() == "bearer" else { return nil }
        var token = text[gap...]
        while let first = token.first, first == " " || first == "\t" { token.removeFirst() }
        while let last = token.last, last == " " || last == "\t" { token.removeLast() }
        return token.isEmpty ? nil : String(token)
    }

    /// Compares without stopping at the first difference, so the time taken tells nothing about how much of a
    /// guess was right.
    public static func constantTimeEquals(_ given: String, _ expected: String) -> Bool {
        let a = Array(given.utf8), b = Array(expected.utf8)
        var difference = UInt64(a.count ^ b.count)
        for i in 0..<b.count {
            difference |= UInt64((i < a.count ? a[i] : 0) ^ b[i])
        }
        return difference == 0
    }
}
