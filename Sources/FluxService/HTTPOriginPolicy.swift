#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Whether an HTTP request's `Origin` and `Host` headers let it in: the one rule both HTTP doors (REST and MCP)
/// apply against web pages that post to a local server (a foreign `Origin`, answered 403) and against DNS
/// rebinding (a `Host` that does not name this server, answered 421). Pure string logic, no I/O once made.
///
/// ```swift
/// let policy = HTTPOriginPolicy(allowedOrigins: ["https://ui.example.com"], bindHost: "127.0.0.1")
/// switch policy.check(origin: request.headers[.origin], host: request.head.authority) {
/// case nil: break                       // let it in
/// case .origin(let origin)?: …          // 403
/// case .host(let host)?: …              // 421
/// }
/// ```
///
/// - An absent `Origin` passes (command-line clients send none; browsers send one on every cross-origin request
///   but a no-cors GET, whose answer the page cannot read). A present one passes when it is local
///   (`http(s)://localhost|127.0.0.1|[::1]` on any port), listed in `allowedOrigins` (`*` lists every one), or
///   the same `scheme://host:port` as the request's own `Host` once that `Host` has passed (a same-origin request).
///   `Origin: null` is foreign.
/// - An absent `Host` passes (HTTP/1.0). A present one must parse as `name[:port]` or `[address][:port]` (nothing
///   else after `]`) and name this server: a loopback name, the address the server is bound to, the host of an
///   allowed origin, or, when bound to every interface (`0.0.0.0`, `::`), an IP address literal or this
///   machine's host name. An address literal cannot be a rebinding attack: rebinding needs a DNS name the
///   attacker controls in the page's URL, hence in `Host`.
public struct HTTPOriginPolicy: Sendable, Equatable {
    /// Why a request is refused.
    public enum Refusal: Sendable, Equatable {
        /// The `Origin` header (as sent) is neither local nor allowed: answer 403.
        case origin(String)
        /// The `Host` header (as sent) does not name this server: answer 421.
        case host(String)
    }

    /// The allowed origins, lowercased and without a trailing `/`.
    public let allowedOrigins: [String]
    /// The address the server listens on, lowercased and without brackets.
    public let bindHost: String
    /// The names this machine answers to (checked only when bound to every interface).
    public let machineNames: Set<String>
    /// The host names of the allowed origins.
    let allowedHosts: Set<String>

    /// - Parameters:
    ///   - allowedOrigins: `Origin` values accepted besides local ones (`https://ui.example.com`); `*` accepts any.
    ///   - bindHost: the address the server listens on.
    ///   - machineNames: the names of this machine; by default its host name (see ``localMachineNames()``).
    public init(allowedOrigins: [String], bindHost: String, machineNames: Set<String>? = nil) {
        self.allowedOrigins = allowedOrigins.map(Self.normalizedOrigin).filter { !$0.isEmpty }
        self.bindHost = Self.unbracketed(Self.trimmed(bindHost).lowercased())
        self.machineNames = machineNames ?? (Self.isWildcard(bindHost) ? Self.localMachineNames() : [])
        allowedHosts = Set(self.allowedOrigins.compactMap { Self.split(origin: $0).flatMap { Self.hostName(ofAuthority: $0.authority) } })
    }

    /// Whether the server listens on every interface, where anyone who can reach the machine can reach it.
    public var bindsEveryInterface: Bool { Self.isWildcard(bindHost) }

    /// The refusal a request with these headers gets, or nil when it may go on.
    public func check(origin: String?, host: String?) -> Refusal? {
        let hostAllowed = host.map(allows(host:)) ?? true
        if let origin, !allows(origin: origin, sameOriginAs: hostAllowed ? host : nil) { return .origin(origin) }
        if let host, !hostAllowed { return .host(host) }
        return nil
    }

    /// Whether `origin` is local, allowed, or (given the request's accepted `Host`) the server's own origin.
    public func allows(origin: String, sameOriginAs host: String? = nil) -> Bool {
        let normalized = Self.normalizedOrigin(origin)
        if allowedOrigins.contains("*") || allowedOrigins.contains(normalized) { return true }
        guard let (scheme, authority) = Self.split(origin: normalized), scheme == "http" || scheme == "https",
              let name = Self.hostName(ofAuthority: authority) else { return false }
        if Self.loopbackNames.contains(name) { return true }
        if let host, authority == Self.trimmed(host).lowercased() { return true }
        return false
    }

    /// Whether a `Host` header names this server.
    public func allows(host: String) -> Bool {
        guard let name = Self.hostName(ofAuthority: Substring(Self.trimmed(host))) else { return false }
        if Self.loopbackNames.contains(name) || name == bindHost { return true }
        if allowedHosts.contains(name) { return true }
        if bindsEveryInterface { return Self.isAddressLiteral(name) || machineNames.contains(name) }
        return false
    }

    // MARK: - Parsing

    /// Names every client on this machine may use for it.
    public static let loopbackNames: Set<String> = ["localhost", "127.0.0.1", "::1"]

    /// Whether `bindHost` means every interface.
    public static func isWildcard(_ bindHost: String) -> Bool {
        ["0.0.0.0", "::", "[::]", "*", "", "0:0:0:0:0:0:0:0"].contains(Self.trimmed(bindHost).lowercased())
    }

    /// The host of an authority (`name`, `name:port`, `[v6]`, `[v6]:port`), lowercased and without brackets; nil
    /// when it is not one (`[::1]evil.example`, `a:b:c`, `user@host`, an empty name or a port that is not digits).
    public static func hostName(ofAuthority authority: Substring) -> String? {
        if authority.hasPrefix("[") {
            guard let end = authority.firstIndex(of: "]") else { return nil }
            let inner = authority[authority.index(after: authority.startIndex)..<end]
            let rest = authority[authority.index(after: end)...]
            guard !inner.isEmpty, inner.allSatisfy({ $0.isHexDigit || $0 == ":" || $0 == "." }), isPort(rest) else { return nil }
            return inner.lowercased()
        }
        var name = authority
        if let colon = authority.firstIndex(of: ":") {
            guard isPort(authority[colon...]) else { return nil }
            name = authority[..<colon]
        }
        guard !name.isEmpty, name.allSatisfy({ ($0.isASCII && ($0.isLetter || $0.isNumber)) || $0 == "-" || $0 == "." || $0 == "_" }) else {
            return nil
        }
        return name.lowercased()
    }

    /// Empty, or `:` and at most five digits.
    static func isPort(_ text: Substring) -> Bool {
        guard let first = text.first else { return true }
        let digits = text.dropFirst()
        return first == ":" && digits.count <= 5 && digits.allSatisfy { $0.isASCII && $0.isNumber }
    }

    /// `scheme` and `authority` of an origin such as `https://ui.example.com:8443` (a path, if any, is dropped).
    static func split(origin: String) -> (scheme: String, authority: Substring)? {
        guard let range = origin.range(of: "://") else { return nil }
        return (String(origin[..<range.lowerBound]), origin[range.upperBound...].prefix { $0 != "/" })
    }

    static func normalizedOrigin(_ origin: String) -> String {
        var text = Self.trimmed(origin).lowercased()
        while text.hasSuffix("/") { text.removeLast() }
        return text
    }

    /// Without leading and trailing spaces and tabs (HTTP's optional whitespace).
    static func trimmed(_ text: String) -> String {
        var text = Substring(text)
        while let first = text.first, first == " " || first == "\t" { text.removeFirst() }
        while let last = text.last, last == " " || last == "\t" { text.removeLast() }
        return String(text)
    }

    static func unbracketed(_ host: String) -> String {
        host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
    }

    /// A dotted-quad IPv4 address, or (as `hostName(ofAuthority:)` leaves it) the inside of an IPv6 literal.
    static func isAddressLiteral(_ name: String) -> Bool {
        if name.contains(":") { return name.allSatisfy { $0.isHexDigit || $0 == ":" || $0 == "." } }
        let parts = name.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy { part in
            (1...3).contains(part.count) && part.allSatisfy { $0.isASCII && $0.isNumber } && (Int(part) ?? 256) <= 255
        }
    }

    /// This machine's host name as the system reports it, lowercased; with its first label when it has dots, and
    /// with `.local` (mDNS) when it has none.
    public static func localMachineNames() -> Set<String> {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return [] }
        let name = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self).lowercased()
        guard let parsed = hostName(ofAuthority: Substring(name)), !parsed.isEmpty else { return [] }
        if let dot = parsed.firstIndex(of: ".") { return [parsed, String(parsed[..<dot])] }
        return [parsed, parsed + ".local"]
    }
}
