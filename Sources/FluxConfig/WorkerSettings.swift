/// The `[flux.workers]` table: how workers connect, retry, and lease work.
///
/// Durations are in seconds.
///
/// ```toml
/// [flux.workers]
/// server_url = "http://flux.internal:8000"
/// concurrency = 4
/// labels = ["gpu", "eu-west"]
/// ```
public struct WorkerSettings: Sendable, Equatable {
    /// `workers.bootstrap_token`: the shared token workers present to register. Secret; never generated.
    public var bootstrapToken: String?
    /// `workers.server_url`: the server workers connect to. Default `"http://127.0.0.1:8000"`.
    public var serverURL: String
    /// `workers.default_timeout`: default task timeout in seconds; `0` means none.
    public var defaultTimeout: Double
    /// `workers.retry_attempts`: default number of retries for a failed task (≥ 0). Default 3.
    public var retryAttempts: Int
    /// `workers.retry_delay`: seconds before the first retry (≥ 0). Default 1.0.
    public var retryDelay: Double
    /// `workers.retry_backoff`: multiplier applied to the delay after each retry (≥ 1). Default 2.0.
    public var retryBackoff: Double
    /// `workers.concurrency`: tasks one worker runs at a time (≥ 1). Default 8.
    public var concurrency: Int
    /// `workers.heartbeat_interval`: seconds between worker heartbeats (> 0, < lease timeout). Default 5.
    public var heartbeatInterval: Double
    /// `workers.lease_timeout`: seconds after which an unrenewed lease expires (> 0). Default 30.
    public var leaseTimeout: Double
    /// `workers.embedded`: run a worker inside the server process. Default `true`.
    public var embedded: Bool
    /// `workers.labels`: labels this worker (or a server's embedded executor) carries; workflows whose `requests.labels` name them run only there. Default empty.
    public var labels: [String]

    /// Creates worker settings; every argument defaults to the built-in default.
    ///
    /// ```swift
    /// let workers = WorkerSettings(concurrency: 2, embedded: false)
    /// ```
    public init(
        bootstrapToken: String? = nil,
        serverURL: String = "http://127.0.0.1:8000",
        defaultTimeout: Double = 0,
        retryAttempts: Int = 3,
        retryDelay: Double = 1.0,
        retryBackoff: Double = 2.0,
        concurrency: Int = 8,
        heartbeatInterval: Double = 5,
        leaseTimeout: Double = 30,
        embedded: Bool = true,
        labels: [String] = []
    ) {
        self.bootstrapToken = bootstrapToken
        self.serverURL = serverURL
        self.defaultTimeout = defaultTimeout
        self.retryAttempts = retryAttempts
        self.retryDelay = retryDelay
        self.retryBackoff = retryBackoff
        self.concurrency = concurrency
        self.heartbeatInterval = heartbeatInterval
        self.leaseTimeout = leaseTimeout
        self.embedded = embedded
        self.labels = labels
    }
}
