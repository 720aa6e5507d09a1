import Foundation

/// One configuration key: its dotted name, how a raw value is checked and stored,
/// and how the effective value is read back (for rendering, validation and equality).
struct ConfigurationKey: Sendable {
    /// The dotted key, relative to the `[flux]` table (`"workers.concurrency"`).
    let name: String
    /// Whether the value is a secret, masked when the configuration is shown.
    let isSecret: Bool
    /// Parses `raw` with `parser` and stores it into the configuration.
    let assign: @Sendable (inout FluxConfiguration, ConfigValue, ValueParser) throws(ConfigurationError) -> Void
    /// The effective value as a TOML-typed raw value, or `nil` when an optional key is not set.
    let read: @Sendable (FluxConfiguration) -> ConfigValue?

    /// The table the key lives in (`"workers"`), or `nil` for top-level keys.
    var section: String? {
        guard let dot = name.firstIndex(of: ".") else { return nil }
        return String(name[..<dot])
    }

    /// The key's name inside its table (`"concurrency"`).
    var leaf: String {
        guard let dot = name.firstIndex(of: ".") else { return name }
        return String(name[name.index(after: dot)...])
    }

    /// A key stored at `path` and read back from the same place.
    init<Value: ConfigurationEncodable>(
        _ name: String,
        _ path: any WritableKeyPath<FluxConfiguration, Value> & Sendable,
        secret: Bool = false,
        _ parse: @escaping @Sendable (ValueParser, ConfigValue) throws(ConfigurationError) -> Value
    ) {
        self.init(name, path, secret: secret, read: { $0[keyPath: path].configurationValue }, parse)
    }

    /// A key stored at `path` whose effective value is computed by `read` (for values derived from `home`).
    init<Value>(
        _ name: String,
        _ path: any WritableKeyPath<FluxConfiguration, Value> & Sendable,
        secret: Bool = false,
        read: @escaping @Sendable (FluxConfiguration) -> ConfigValue?,
        _ parse: @escaping @Sendable (ValueParser, ConfigValue) throws(ConfigurationError) -> Value
    ) {
        self.name = name
        self.isSecret = secret
        self.read = read
        self.assign = { configuration, raw, parser throws(ConfigurationError) in
            configuration[keyPath: path] = try parse(parser, raw)
        }
    }
}

/// A Swift value that can be shown as a TOML-typed ``ConfigValue``.
protocol ConfigurationEncodable: Sendable {
    /// The value as TOML would hold it, or `nil` for "not set".
    var configurationValue: ConfigValue? { get }
}

extension Bool: ConfigurationEncodable {
    var configurationValue: ConfigValue? { .boolean(self) }
}

extension Int: ConfigurationEncodable {
    var configurationValue: ConfigValue? { .integer(self) }
}

extension Double: ConfigurationEncodable {
    var configurationValue: ConfigValue? { .float(self) }
}

extension String: ConfigurationEncodable {
    var configurationValue: ConfigValue? { .string(self) }
}

extension Optional: ConfigurationEncodable where Wrapped: ConfigurationEncodable {
    var configurationValue: ConfigValue? { self?.configurationValue }
}

extension Array: ConfigurationEncodable where Element == String {
    var configurationValue: ConfigValue? { .array(map { .string($0) }) }
}

extension LogLevel: ConfigurationEncodable {
    var configurationValue: ConfigValue? { .string(rawValue) }
}

extension LogFormat: ConfigurationEncodable {
    var configurationValue: ConfigValue? { .string(rawValue) }
}

extension Serializer: ConfigurationEncodable {
    var configurationValue: ConfigValue? { .string(rawValue) }
}

extension SynchronousMode: ConfigurationEncodable {
    var configurationValue: ConfigValue? { .string(rawValue) }
}

extension MCPTransport: ConfigurationEncodable {
    var configurationValue: ConfigValue? { .string(rawValue) }
}

/// The registry of every key Flux understands. Loading, overriding and the
/// unknown-key warnings all go through this table.
enum ConfigurationKeys {
    /// The sub-tables of `[flux]`.
    static let sections: [String] = ["store", "workers", "security", "mcp", "executor"]

    static let all: [ConfigurationKey] = [
        // Top level.
        ConfigurationKey("debug", \.debug) { p, r throws(ConfigurationError) in try p.boolean(r) },
        ConfigurationKey("log_level", \.logLevel) { p, r throws(ConfigurationError) in try p.choice(r, as: LogLevel.self) },
        ConfigurationKey("log_format", \.logFormat) { p, r throws(ConfigurationError) in try p.choice(r, as: LogFormat.self) },
        ConfigurationKey("server_host", \.serverHost) { p, r throws(ConfigurationError) in try p.string(r) },
        ConfigurationKey("server_port", \.serverPort) { p, r throws(ConfigurationError) in
            try p.integer(r, minimum: 1, maximum: 65_535)
        },
        ConfigurationKey("home", \.home) { p, r throws(ConfigurationError) in try p.string(r) },
        ConfigurationKey("database_url", \.explicitDatabaseURL, read: { .string($0.databaseURL) }) {
            p, r throws(ConfigurationError) in
            guard let url = try p.optionalString(r) else { return nil }
            _ = try DatabaseLocation(url: url, key: p.key, source: p.source)
            return url
        },
        ConfigurationKey("serializer", \.serializer) { p, r throws(ConfigurationError) in try p.choice(r, as: Serializer.self) },
        ConfigurationKey("cache_path", \.explicitCachePath, read: { .string($0.cachePath) }) {
            p, r throws(ConfigurationError) in try p.optionalString(r)
        },
        ConfigurationKey("local_storage_path", \.explicitLocalStoragePath, read: { .string($0.localStoragePath) }) {
            p, r throws(ConfigurationError) in try p.optionalString(r)
        },

        // [flux.store]
        ConfigurationKey("store.synchronous", \.store.synchronous) { p, r throws(ConfigurationError) in
            try p.choice(r, as: SynchronousMode.self)
        },
        ConfigurationKey("store.busy_timeout_ms", \.store.busyTimeoutMilliseconds) { p, r throws(ConfigurationError) in
            try p.integer(r, minimum: 0)
        },

        // [flux.workers]
        ConfigurationKey("workers.bootstrap_token", \.workers.bootstrapToken, secret: true) { p, r throws(ConfigurationError) in
            try p.optionalString(r)
        },
        ConfigurationKey("workers.server_url", \.workers.serverURL) { p, r throws(ConfigurationError) in try p.httpURL(r) },
        ConfigurationKey("workers.default_timeout", \.workers.defaultTimeout) { p, r throws(ConfigurationError) in
            try p.number(r, lowerBound: .atLeast(0))
        },
        ConfigurationKey("workers.retry_attempts", \.workers.retryAttempts) { p, r throws(ConfigurationError) in
            try p.integer(r, minimum: 0)
        },
        ConfigurationKey("workers.retry_delay", \.workers.retryDelay) { p, r throws(ConfigurationError) in
            try p.number(r, lowerBound: .atLeast(0))
        },
        ConfigurationKey("workers.retry_backoff", \.workers.retryBackoff) { p, r throws(ConfigurationError) in
            try p.number(r, lowerBound: .atLeast(1))
        },
        ConfigurationKey("workers.concurrency", \.workers.concurrency) { p, r throws(ConfigurationError) in
            try p.integer(r, minimum: 1)
        },
        ConfigurationKey("workers.heartbeat_interval", \.workers.heartbeatInterval) { p, r throws(ConfigurationError) in
            try p.number(r, lowerBound: .greaterThan(0))
        },
        ConfigurationKey("workers.lease_timeout", \.workers.leaseTimeout) { p, r throws(ConfigurationError) in
            try p.number(r, lowerBound: .greaterThan(0))
        },
        ConfigurationKey("workers.embedded", \.workers.embedded) { p, r throws(ConfigurationError) in try p.boolean(r) },
        ConfigurationKey("workers.labels", \.workers.labels) { p, r throws(ConfigurationError) in try p.stringList(r) },

        // [flux.security]
        ConfigurationKey("security.encryption_key", \.security.encryptionKey, secret: true) { p, r throws(ConfigurationError) in
            try p.optionalString(r)
        },
        ConfigurationKey("security.admin_token", \.security.adminToken, secret: true) { p, r throws(ConfigurationError) in
            try p.optionalString(r)
        },
        ConfigurationKey("security.auth_token", \.security.authToken, secret: true) { p, r throws(ConfigurationError) in
            try p.optionalString(r)
        },
        ConfigurationKey("security.exec_allowlist", \.security.execAllowlist) { p, r throws(ConfigurationError) in
            try p.stringList(r)
        },
        ConfigurationKey("security.http_allow_hosts", \.security.httpAllowHosts) { p, r throws(ConfigurationError) in
            try p.stringList(r)
        },
        ConfigurationKey("security.http_deny_hosts", \.security.httpDenyHosts) { p, r throws(ConfigurationError) in
            try p.stringList(r)
        },
        ConfigurationKey("security.max_body_bytes", \.security.maxBodyBytes) { p, r throws(ConfigurationError) in
            try p.integer(r, minimum: 1)
        },
        ConfigurationKey("security.max_open_streams", \.security.maxOpenStreams) { p, r throws(ConfigurationError) in
            try p.integer(r, minimum: 1)
        },
        ConfigurationKey("security.max_executions_per_client", \.security.maxExecutionsPerClient) { p, r throws(ConfigurationError) in
            try p.integer(r, minimum: 1)
        },
        ConfigurationKey("security.allowed_origins", \.security.allowedOrigins) { p, r throws(ConfigurationError) in
            try p.stringList(r)
        },
        ConfigurationKey("security.trusted_local_operator", \.security.trustedLocalOperator) { p, r throws(ConfigurationError) in
            try p.boolean(r)
        },

        // [flux.mcp]
        ConfigurationKey("mcp.name", \.mcp.name) { p, r throws(ConfigurationError) in try p.string(r) },
        ConfigurationKey("mcp.host", \.mcp.host) { p, r throws(ConfigurationError) in try p.string(r) },
        ConfigurationKey("mcp.port", \.mcp.port) { p, r throws(ConfigurationError) in
            try p.integer(r, minimum: 1, maximum: 65_535)
        },
        ConfigurationKey("mcp.transport", \.mcp.transport) { p, r throws(ConfigurationError) in
            try p.choice(r, as: MCPTransport.self)
        },
        ConfigurationKey("mcp.server_url", \.mcp.serverURL) { p, r throws(ConfigurationError) in try p.optionalHTTPURL(r) },
        ConfigurationKey("mcp.auth_token", \.mcp.authToken, secret: true) { p, r throws(ConfigurationError) in
            try p.optionalString(r)
        },
        ConfigurationKey("mcp.workflow_tools", \.mcp.workflowTools) { p, r throws(ConfigurationError) in try p.boolean(r) },
        ConfigurationKey("mcp.allowed_origins", \.mcp.allowedOrigins) { p, r throws(ConfigurationError) in
            try p.stringList(r)
        },
        ConfigurationKey("mcp.session_idle_timeout", \.mcp.sessionIdleTimeout) { p, r throws(ConfigurationError) in
            try p.number(r, lowerBound: .greaterThan(0))
        },
        ConfigurationKey("mcp.max_stored_events", \.mcp.maxStoredEvents) { p, r throws(ConfigurationError) in
            try p.integer(r, minimum: 1)
        },
        ConfigurationKey("mcp.max_stored_event_bytes", \.mcp.maxStoredEventBytes) { p, r throws(ConfigurationError) in
            try p.integer(r, minimum: 65_536)
        },
        ConfigurationKey("mcp.max_unsent_bytes", \.mcp.maxUnsentBytes) { p, r throws(ConfigurationError) in
            try p.integer(r, minimum: 65_536)
        },

        // [flux.executor]
        ConfigurationKey("executor.max_concurrent_executions", \.executor.maxConcurrentExecutions) {
            p, r throws(ConfigurationError) in try p.integer(r, minimum: 1)
        },
        ConfigurationKey("executor.map_concurrency", \.executor.mapConcurrency) { p, r throws(ConfigurationError) in
            try p.integer(r, minimum: 1)
        },
        ConfigurationKey("executor.max_map_items", \.executor.maxMapItems) { p, r throws(ConfigurationError) in
            try p.integer(r, minimum: 1)
        },
        ConfigurationKey("executor.max_recorded_bytes", \.executor.maxRecordedBytes) { p, r throws(ConfigurationError) in
            try p.integer(r, minimum: 1_024)
        },
        ConfigurationKey("executor.max_call_depth", \.executor.maxCallDepth) { p, r throws(ConfigurationError) in
            try p.integer(r, minimum: 1)
        },
        ConfigurationKey("executor.max_descendants", \.executor.maxDescendants) { p, r throws(ConfigurationError) in
            try p.integer(r, minimum: 1)
        },
    ]

    static let byName: [String: ConfigurationKey] = Dictionary(all.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })

    /// The known key closest to `name`, for "did you mean" hints; `nil` if none is close.
    static func suggestion(for name: String) -> String? {
        let candidates = all.map(\.name) + sections
        var best: (name: String, distance: Int)?
        for candidate in candidates {
            let distance = editDistance(name, candidate)
            if distance <= max(2, name.count / 4), distance < (best?.distance ?? Int.max) {
                best = (candidate, distance)
            }
        }
        return best?.name
    }

    private static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}
