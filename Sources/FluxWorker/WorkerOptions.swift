import FluxConfig
import FluxCore
import Foundation

/// How a worker reaches its server and what it offers.
///
/// ```swift
/// let options = try WorkerOptions(name: "gpu-1", serverURL: "http://flux.internal:8000", bootstrapToken: token,
///                                 concurrency: 4, labels: ["gpu"])
/// ```
public struct WorkerOptions: Sendable {
    public var name: String
    public var serverURL: URL
    public var bootstrapToken: String
    /// Executions run at once.
    public var concurrency: Int
    public var labels: [String]
    /// How long a SIGTERM waits for executions in flight before the worker exits (their leases then lapse and
    /// other workers continue them).
    public var shutdownGrace: Duration
    /// Longest pause between reconnection attempts.
    public var maxBackoff: Duration

    public init(name: String, serverURL: String, bootstrapToken: String, concurrency: Int = 8, labels: [String] = [],
                shutdownGrace: Duration = .seconds(10), maxBackoff: Duration = .seconds(10)) throws(WorkerError) {
        guard (1...64).contains(name.utf8.count),
              name.unicodeScalars.allSatisfy({ CharacterSet.alphanumerics.contains($0) && $0.isASCII || "_.-".unicodeScalars.contains($0) })
        else { throw .invalidOptions("a worker name must be 1 to 64 letters, digits, _, . or -, got \(name)") }
        guard let url = URL(string: serverURL), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https", url.host != nil else {
            throw .invalidOptions("the server URL must be an http:// or https:// URL, got \(serverURL)")
        }
        guard !bootstrapToken.isEmpty else {
            throw .invalidOptions("a worker needs the server's bootstrap token: set workers.bootstrap_token (FLUX_WORKERS__BOOTSTRAP_TOKEN) or pass --bootstrap-token")
        }
        guard concurrency >= 1 else { throw .invalidOptions("concurrency must be 1 or more, got \(concurrency)") }
        self.name = name
        self.serverURL = url
        self.bootstrapToken = bootstrapToken
        self.concurrency = concurrency
        self.labels = labels
        self.shutdownGrace = shutdownGrace
        self.maxBackoff = maxBackoff
    }

    /// The host name, made into a valid worker name.
    public static var defaultName: String {
        let host = ProcessInfo.processInfo.hostName
        let cleaned = String(host.unicodeScalars.map { CharacterSet.alphanumerics.contains($0) && $0.isASCII ? Character($0) : "-" }.prefix(64))
        return cleaned.isEmpty ? "worker" : cleaned
    }
}
