import Crypto
import Foundation

/// Deterministic task identities.
///
/// A task call's *content id* is `<name>_<first 16 hex of SHA-256 of the canonical JSON of [name, arguments]>`:
/// the same call gives the same id in every process, which the cache keys on. Within one execution
/// the *task id* adds where the call was made (the scope of an enclosing task or parallel branch,
/// after `@`) and, for the second and later identical calls in the same scope, an occurrence (`~2`, `~3`).
public enum TaskIdentity {
    /// `<name>_<16 hex>` for the call of `name` with `arguments`.
    public static func contentID(name: String, arguments: JSONValue) -> String {
        "\(name)_\(hash16(JSONValue.array([.string(name), arguments]).canonicalData))"
    }

    /// The first 16 hex characters of the SHA-256 of `data`.
    public static func hash16(_ data: Data) -> String {
        hex(SHA256.hash(data: data).prefix(8))
    }

    /// Full SHA-256 hex of a string.
    public static func sha256Hex(_ text: String) -> String {
        sha256Hex(Data(text.utf8))
    }

    /// Full SHA-256 hex of `data`.
    public static func sha256Hex(_ data: Data) -> String {
        hex(SHA256.hash(data: data))
    }

    /// Lowercase hex of `bytes` (`String(format: "%02x")` per byte costs about a microsecond each).
    public static func hex<Bytes: Sequence<UInt8>>(_ bytes: Bytes) -> String {
        var out = ""
        out.reserveCapacity(bytes.underestimatedCount * 2)
        for byte in bytes {
            out.append(hexDigits[Int(byte >> 4)])
            out.append(hexDigits[Int(byte & 0xF)])
        }
        return out
    }

    static func taskID(contentID: String, scope: String, occurrence: Int) -> String {
        var id = contentID
        if !scope.isEmpty { id += "@" + scope }
        if occurrence > 1 { id += "~\(occurrence)" }
        return id
    }

    private static let hexDigits: [Character] = Array("0123456789abcdef")
}
