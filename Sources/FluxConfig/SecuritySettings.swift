/// The `[flux.security]` table: secrets and the limits on what workflows may reach.
///
/// ```toml
/// [flux.security]
/// exec_allowlist = ["git", "make"]
/// http_deny_hosts = ["169.254.169.254"]
/// ```
/// Secrets are best set through the environment (`FLUX_SECURITY__ENCRYPTION_KEY`).
public struct SecuritySettings: Sendable, Equatable {
    /// `security.encryption_key`: key for the secret vault. Secret.
    public var encryptionKey: String?
    /// `security.admin_token`: bearer token for administrative endpoints. Secret.
    public var adminToken: String?
    /// `security.auth_token`: bearer token for the API. Secret.
    public var authToken: String?
    /// `security.exec_allowlist`: programs the exec task may run. Default empty (none).
    public var execAllowlist: [String]
    /// `security.http_allow_hosts`: hosts the HTTP task may reach; empty means no allow-list.
    public var httpAllowHosts: [String]
    /// `security.http_deny_hosts`: hosts the HTTP task must never reach.
    public var httpDenyHosts: [String]
    /// `security.max_body_bytes`: largest accepted request or response body (≥ 1). Default 10 MiB.
    public var maxBodyBytes: Int
    /// `security.max_open_streams`: event streams (SSE) the REST server keeps open at once (≥ 1). Default 256.
    public var maxOpenStreams: Int
    /// `security.max_executions_per_client`: unfinished executions one client address may have started through the
    /// REST server (≥ 1). Default 1000.
    public var maxExecutionsPerClient: Int
    /// `security.allowed_origins`: browser origins (`https://app.example.com`) the REST server accepts in `Origin`
    /// besides local ones, whose hosts are also accepted in `Host`; `*` accepts any `Origin`. Default empty.
    public var allowedOrigins: [String]
    /// `security.trusted_local_operator`: the local CLI and `flux start mcp --transport stdio` act as the operator,
    /// who may register documents that request secrets and see which secrets workflows request. Default false.
    public var trustedLocalOperator: Bool

    /// Creates security settings; every argument defaults to the built-in default.
    ///
    /// ```swift
    /// let security = SecuritySettings(authToken: "t0k3n")
    /// ```
    public init(
        encryptionKey: String? = nil,
        adminToken: String? = nil,
        authToken: String? = nil,
        execAllowlist: [String] = [],
        httpAllowHosts: [String] = [],
        httpDenyHosts: [String] = [],
        maxBodyBytes: Int = 10_485_760,
        maxOpenStreams: Int = 256,
        maxExecutionsPerClient: Int = 1000,
        allowedOrigins: [String] = [],
        trustedLocalOperator: Bool = false
    ) {
        self.encryptionKey = encryptionKey
        self.adminToken = adminToken
        self.authToken = authToken
        self.execAllowlist = execAllowlist
        self.httpAllowHosts = httpAllowHosts
        self.httpDenyHosts = httpDenyHosts
        self.maxBodyBytes = maxBodyBytes
        self.maxOpenStreams = maxOpenStreams
        self.maxExecutionsPerClient = maxExecutionsPerClient
        self.allowedOrigins = allowedOrigins
        self.trustedLocalOperator = trustedLocalOperator
    }
}
