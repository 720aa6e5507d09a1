import FluxConfig

/// Who asks the service for something, as far as permissions go. Every door says who its caller is; the rules
/// that depend on it are decided here, in the service layer, so that every door obeys them alike.
///
/// Until roles exist a caller either is the operator (``mayUseSecrets``) or is not. Using a secret is a grant: a
/// document that requests secrets (`secrets:`) can be registered only by the operator, and only the operator is
/// shown which secrets a workflow requests.
///
/// ```swift
/// let caller = Caller.restRequest(authorization: request.headers[.authorization], security: configuration.security)
/// try await service.register(document: text, sourceName: "upload.yaml", caller: caller)
/// ```
public struct Caller: Sendable, Hashable {
    /// May register documents that request secrets and see which secrets a workflow requests.
    public let mayUseSecrets: Bool
    /// What this caller would do to be the operator, said when something is refused.
    public let howToBeTrusted: String

    public init(mayUseSecrets: Bool, howToBeTrusted: String) {
        self.mayUseSecrets = mayUseSecrets
        self.howToBeTrusted = howToBeTrusted
    }

    /// The operator (Swift code in the binary, a test, a door that has checked an admin credential).
    public static let trusted = Caller(mayUseSecrets: true, howToBeTrusted: "")

    /// Anyone else; what the service assumes when a caller is not named.
    public static let untrusted = Caller(
        mayUseSecrets: false,
        howToBeTrusted: "register it as the operator: through the REST API with Authorization: Bearer <security.admin_token>, "
            + "or with the local CLI or MCP over stdio when security.trusted_local_operator is true (FLUX_SECURITY__TRUSTED_LOCAL_OPERATOR=true)")

    /// A REST request: the operator when it presents `security.admin_token` as its bearer token (compared in
    /// constant time); without an admin token configured, nobody is.
    public static func restRequest(authorization: String?, security: SecuritySettings) -> Caller {
        if let expected = security.adminToken, !expected.isEmpty, let header = authorization,
           let token = BearerCredential.token(inAuthorization: header), BearerCredential.constantTimeEquals(token, expected) {
            return .trusted
        }
        return Caller(
            mayUseSecrets: false,
            howToBeTrusted: security.adminToken == nil
                ? "this server has no security.admin_token, so no REST request may: set one (FLUX_SECURITY__ADMIN_TOKEN) and send it as Authorization: Bearer <token>"
                : "send security.admin_token as Authorization: Bearer <token> (the auth token is not enough)")
    }

    /// The local CLI (`flux run`, `flux workflow …` on the local store) and `flux start mcp --transport stdio`: the
    /// operator only when `security.trusted_local_operator` is true, since the process on the other end of a pipe
    /// may be an assistant following someone else's instructions.
    public static func localOperator(_ security: SecuritySettings) -> Caller {
        security.trustedLocalOperator ? .trusted : Caller(
            mayUseSecrets: false,
            howToBeTrusted: "this local process is not trusted with secrets: set security.trusted_local_operator = true "
                + "(FLUX_SECURITY__TRUSTED_LOCAL_OPERATOR=true) if whoever runs it is the operator")
    }

    /// An MCP client of `flux start mcp` over `transport`: over stdio, as ``localOperator(_:)``; over HTTP never
    /// (`mcp.auth_token` lets a client in, it does not make it the operator).
    public static func mcpClient(transport: MCPTransport, security: SecuritySettings) -> Caller {
        switch transport {
        case .stdio: return localOperator(security)
        case .sse, .streamableHTTP:
            return Caller(
                mayUseSecrets: false,
                howToBeTrusted: "MCP clients over HTTP may not: register it through the REST API with security.admin_token, "
                    + "or with the local CLI when security.trusted_local_operator is true")
        }
    }
}
