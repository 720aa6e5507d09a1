import FluxCore
import Foundation

/// What a document may reach outside itself: Swift tasks by name, programs, hosts; and the HTTP client.
///
/// ```swift
/// let environment = InterpreterEnvironment(
///     tasks: ["send_email": sendEmail.definition],
///     execAllowlist: ["git"],                      // empty: exec steps fail
///     httpDenyHosts: ["internal.example.com", "10.0.0.0/8"])
/// ```
public struct InterpreterEnvironment: Sendable {
    /// Tasks compiled into this binary that `task:` steps call by name.
    public var tasks: [String: TaskDefinition]
    /// Programs `exec:` may run: bare names (`git`, found on `PATH`) or absolute paths (`/usr/bin/git`).
    /// Empty means exec is disabled (`security.exec_allowlist`).
    public var execAllowlist: [String]
    /// When not empty, `http:` steps may only reach these hosts: names (`api.example.com`), wildcards
    /// (`*.example.com`: subdomains), addresses (`127.0.0.1`, `::1`) or networks (`10.0.0.0/8`).
    public var httpAllowHosts: [String]
    /// Hosts `http:` steps may never reach, in the same forms. Names are compared with the URL's host,
    /// addresses and networks with every address the host resolves to.
    public var httpDenyHosts: [String]
    /// Refuse link-local addresses (169.254.0.0/16, fe80::/10) and cloud metadata hosts and addresses
    /// (`metadata.google.internal`, `169.254.169.254`, `fd00:ec2::254`, …) whatever the lists say. Default true.
    /// Loopback is not refused by default: add `127.0.0.0/8`, `::1` and `localhost` to ``httpDenyHosts`` for that.
    public var httpRefusesLinkLocal: Bool
    /// Largest HTTP response body accepted, in bytes (default 10 MiB); a larger one fails the step.
    public var maxResponseBytes: Int
    /// Seconds an HTTP request may take when its step gives no `timeout` (default 30).
    public var httpTimeout: Double
    /// How many items of a `map` run at once when it gives no `concurrency` (default 8).
    public var mapConcurrency: Int
    /// Sends the requests of `http:` steps; ``HTTPClients/shared`` unless a test injects another.
    public var httpClient: HTTPClient

    public init(tasks: [String: TaskDefinition] = [:], execAllowlist: [String] = [], httpAllowHosts: [String] = [],
                httpDenyHosts: [String] = [], maxResponseBytes: Int = 10 << 20, httpRefusesLinkLocal: Bool = true,
                httpTimeout: Double = 30, mapConcurrency: Int = 8, httpClient: @escaping HTTPClient = HTTPClients.shared) {
        self.tasks = tasks
        self.execAllowlist = execAllowlist
        self.httpAllowHosts = httpAllowHosts
        self.httpDenyHosts = httpDenyHosts
        self.maxResponseBytes = maxResponseBytes
        self.httpRefusesLinkLocal = httpRefusesLinkLocal
        self.httpTimeout = httpTimeout
        self.mapConcurrency = mapConcurrency
        self.httpClient = httpClient
    }
}

/// One request for an ``HTTPClient`` to send, with the limits it must keep.
public struct HTTPClientRequest: Sendable {
    /// `GET`, `POST`, … (upper case).
    public var method: String
    /// The URL, query included.
    public var url: URL
    /// Header fields in the order they were set; names as written (they compare without regard to case).
    public var headers: [(name: String, value: String)]
    public var body: Data?
    /// The client must give up (throw) once the body grows past this many bytes.
    public var maxResponseBytes: Int
    /// Seconds the whole exchange may take.
    public var timeout: Double
    /// The address the host policy checked for `url`'s host: the client must connect there and nowhere else, so
    /// that a name resolving anew to another address (DNS rebinding) cannot slip past the check. Nil when the
    /// host is an address itself, or did not resolve when checked.
    public var pinnedAddress: String?
    /// Asked before following a redirect, with the next URL: whether to follow it, and where to connect.
    public var checkRedirect: @Sendable (URL) async -> HostAdmission

    public init(method: String = "GET", url: URL, headers: [(name: String, value: String)] = [], body: Data? = nil,
                maxResponseBytes: Int, timeout: Double, pinnedAddress: String? = nil,
                checkRedirect: @escaping @Sendable (URL) async -> HostAdmission = { _ in .admitted(address: nil) }) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.maxResponseBytes = maxResponseBytes
        self.timeout = timeout
        self.pinnedAddress = pinnedAddress
        self.checkRedirect = checkRedirect
    }

    /// The value of the header `name` (any case), if it is set.
    public func header(_ name: String) -> String? {
        headers.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }?.value
    }

    /// Sets the header `name`, replacing any value it had under any case.
    public mutating func setHeader(_ name: String, _ value: String) {
        headers.removeAll { $0.name.caseInsensitiveCompare(name) == .orderedSame }
        headers.append((name, value))
    }
}

/// What the host policy says of a host an `http` step is about to reach.
public enum HostAdmission: Sendable, Hashable {
    /// It may be reached at `address` (the address that was checked), or resolved as usual when nil.
    case admitted(address: String?)
    /// Why it may not be reached.
    case refused(String)
}

/// What an ``HTTPClient`` received.
public struct HTTPClientResponse: Sendable, Hashable {
    public var status: Int
    /// Header names as received (the interpreter lower-cases them).
    public var headers: [String: String]
    public var body: Data

    public init(status: Int, headers: [String: String] = [:], body: Data = Data()) {
        self.status = status
        self.headers = headers
        self.body = body
    }
}

/// Sends one HTTP request and reads its whole answer, within the request's limits.
public typealias HTTPClient = @Sendable (HTTPClientRequest) async throws -> HTTPClientResponse

/// Why an HTTP exchange failed below the level of status codes.
public struct HTTPClientError: Error, Sendable, Hashable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
