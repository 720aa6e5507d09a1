import Foundation

/// The effective configuration of Flux: built-in defaults, overridden by the `[flux]`
/// table of `flux.toml` (or `[tool.flux]` of `pyproject.toml`), overridden by
/// `FLUX_…` environment variables.
///
/// Load it once at startup and pass it down; the type has no global mutable state.
///
/// ```swift
/// let configuration = try FluxConfiguration.load(logger: logger)
/// print(configuration.serverPort)              // 8000
/// print(configuration.workers.concurrency)     // 8
/// print(configuration)                         // effective TOML, secrets masked
/// ```
///
/// `database_url`, `cache_path` and `local_storage_path` default to paths inside
/// ``home``; they follow ``home`` until they are set explicitly.
public struct FluxConfiguration: Sendable, Equatable {
    /// `debug`: enables debug behaviour. Default `false`.
    public var debug: Bool
    /// `log_level`: minimum log severity. Default ``LogLevel/info``.
    public var logLevel: LogLevel
    /// `log_format`: log line format. Default ``LogFormat/text``.
    public var logFormat: LogFormat
    /// `server_host`: address the HTTP server binds. Default `"127.0.0.1"`.
    public var serverHost: String
    /// `server_port`: port the HTTP server binds (1–65535). Default 8000.
    public var serverPort: Int
    /// `home`: directory for Flux's own files. Default `".flux"` (relative to the working directory).
    public var home: String
    /// `serializer`: value serialization format. Only ``Serializer/json``.
    public var serializer: Serializer
    /// `[flux.store]` settings.
    public var store: StoreSettings
    /// `[flux.workers]` settings.
    public var workers: WorkerSettings
    /// `[flux.security]` settings.
    public var security: SecuritySettings
    /// `[flux.mcp]` settings.
    public var mcp: MCPSettings
    /// `[flux.executor]` settings.
    public var executor: ExecutorSettings
    /// Problems found while loading that did not stop it, such as unknown keys.
    public var warnings: [String]

    /// Explicitly configured `database_url`, or `nil` to derive it from ``home``.
    var explicitDatabaseURL: String?
    /// Explicitly configured `cache_path`, or `nil` to derive it from ``home``.
    var explicitCachePath: String?
    /// Explicitly configured `local_storage_path`, or `nil` to derive it from ``home``.
    var explicitLocalStoragePath: String?

    /// `database_url`: where the store lives. Default `"sqlite:///<home>/flux.db"`.
    ///
    /// Accepted forms are described by ``DatabaseLocation``; use ``databaseLocation()`` to resolve it.
    public var databaseURL: String {
        get { explicitDatabaseURL ?? "sqlite:///\(home)/flux.db" }
        set { explicitDatabaseURL = newValue }
    }

    /// `cache_path`: directory for cached task results. Default `"<home>/cache"`.
    public var cachePath: String {
        get { explicitCachePath ?? "\(home)/cache" }
        set { explicitCachePath = newValue }
    }

    /// `local_storage_path`: directory for the local object store. Default `"<home>/storage"`.
    public var localStoragePath: String {
        get { explicitLocalStoragePath ?? "\(home)/storage" }
        set { explicitLocalStoragePath = newValue }
    }

    /// The built-in defaults, with nothing read from files or the environment.
    ///
    /// ```swift
    /// var configuration = FluxConfiguration.defaults
    /// configuration.workers.concurrency = 2
    /// try configuration.validate()
    /// ```
    public static let defaults = FluxConfiguration()

    /// Creates a configuration; every argument defaults to the built-in default.
    ///
    /// Passing `nil` for `databaseURL`, `cachePath` or `localStoragePath` derives them from `home`.
    /// Values are not validated here; call ``validate()`` when they come from people.
    ///
    /// ```swift
    /// let configuration = FluxConfiguration(home: "/var/lib/flux", workers: WorkerSettings(concurrency: 2))
    /// configuration.databaseURL // "sqlite:////var/lib/flux/flux.db"
    /// ```
    public init(
        debug: Bool = false,
        logLevel: LogLevel = .info,
        logFormat: LogFormat = .text,
        serverHost: String = "127.0.0.1",
        serverPort: Int = 8000,
        home: String = ".flux",
        databaseURL: String? = nil,
        serializer: Serializer = .json,
        cachePath: String? = nil,
        localStoragePath: String? = nil,
        store: StoreSettings = StoreSettings(),
        workers: WorkerSettings = WorkerSettings(),
        security: SecuritySettings = SecuritySettings(),
        mcp: MCPSettings = MCPSettings(),
        executor: ExecutorSettings = ExecutorSettings(),
        warnings: [String] = []
    ) {
        self.debug = debug
        self.logLevel = logLevel
        self.logFormat = logFormat
        self.serverHost = serverHost
        self.serverPort = serverPort
        self.home = home
        self.explicitDatabaseURL = databaseURL
        self.serializer = serializer
        self.explicitCachePath = cachePath
        self.explicitLocalStoragePath = localStoragePath
        self.store = store
        self.workers = workers
        self.security = security
        self.mcp = mcp
        self.executor = executor
        self.warnings = warnings
    }

    /// Resolves ``databaseURL`` into a ``DatabaseLocation``.
    ///
    /// ```swift
    /// switch try configuration.databaseLocation() {
    /// case .sqlite(let path): print("SQLite at \(path)")   // ".flux/flux.db" by default
    /// case .postgres(let url): print("Postgres at \(url)")
    /// }
    /// ```
    /// - Throws: ``ConfigurationError`` naming `database_url` when the URL has an unsupported form.
    public func databaseLocation() throws(ConfigurationError) -> DatabaseLocation {
        try DatabaseLocation(url: databaseURL, key: "database_url", source: .programmatic)
    }
}
