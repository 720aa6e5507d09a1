import Foundation

/// Replaces secret values wherever they appear in recorded text.
public enum Redactor {
    public static let mask = "[REDACTED]"

    /// Every occurrence of any of `secrets` inside the strings (and object keys) of `value` becomes ``mask``.
    public static func redact(_ value: JSONValue, secrets: [String]) -> JSONValue {
        switch value {
        case .string(let s): return .string(redact(s, secrets: secrets))
        case .array(let a): return .array(a.map { redact($0, secrets: secrets) })
        case .object(let o):
            var out: [String: JSONValue] = [:]
            for (k, v) in o { out[redact(k, secrets: secrets)] = redact(v, secrets: secrets) }
            return .object(out)
        default: return value
        }
    }

    public static func redact(_ text: String, secrets: [String]) -> String {
        var text = text
        for secret in secrets where !secret.isEmpty && text.contains(secret) {
            text = text.replacingOccurrences(of: secret, with: mask)
        }
        return text
    }
}
