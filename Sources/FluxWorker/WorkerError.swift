/// Why a call from a worker to its server failed, with what to do about it.
public enum WorkerError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The server could not be reached or broke the connection; calls are retried with backoff.
    case unreachable(String)
    /// The bootstrap token was refused (401/403 on registration): check `workers.bootstrap_token`.
    case registrationRefused(String)
    /// The server answered 404.
    case notFound(String)
    /// The server answered 409: another worker holds the execution, or this claim went stale.
    case conflict(String)
    /// Any other answer the worker cannot act on.
    case rejected(status: Int, message: String)
    /// The worker's options are not usable.
    case invalidOptions(String)

    public var description: String {
        switch self {
        case .unreachable(let why): return "cannot reach the Flux server: \(why)"
        case .registrationRefused(let why): return "the server refused the registration (check workers.bootstrap_token): \(why)"
        case .notFound(let why): return why
        case .conflict(let why): return why
        case .rejected(let status, let message): return "the server answered \(status): \(message)"
        case .invalidOptions(let why): return why
        }
    }

    /// True for failures worth retrying (network, 5xx).
    var isTransient: Bool {
        switch self {
        case .unreachable: return true
        case .rejected(let status, _): return status >= 500 || status == 429
        default: return false
        }
    }
}
