import FluxConfig
import FluxCore
import FluxService
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import MCP
import NIOCore
import ServiceLifecycle

/// The MCP endpoints over HTTP, for any Hummingbird router: streamable HTTP at `/mcp` (POST, GET, DELETE;
/// one session per `initialize`) and the 2024-11-05 SSE transport at `GET /sse` + `POST /messages?sessionId=`.
/// Every request is checked first: `Origin` (403 unless local or allowed) and `Host` (421 unless it names this
/// server), by the ``HTTPOriginPolicy`` the REST server applies too, so that web pages cannot reach a local server;
/// then the bearer token (when configured; the scheme in any case).
///
/// ```swift
/// let handler = MCPHTTPHandler(mcp: mcp, configuration: .init(settings: configuration.mcp))
/// let router = Router()
/// handler.addRoutes(to: router)
/// // run handler.sessionService beside the application: it expires idle sessions and closes every
/// // stream on shutdown, so that SIGTERM does not wait for open streams
/// ```
public final class MCPHTTPHandler: Sendable {
    public struct Configuration: Sendable {
        public var mcpPath: String = "/mcp"
        public var ssePath: String = "/sse"
        public var messagesPath: String = "/messages"
        /// Required as `Authorization: Bearer <token>` on every request when set.
        public var authToken: String?
        /// Origins accepted besides local ones (`http://localhost:*`, `http://127.0.0.1:*`, `http://[::1]:*`); `*` accepts any.
        /// Their hosts are accepted in `Host` too.
        public var allowedOrigins: [String]
        /// The address the server listens on. `Host` must be a loopback name, this address or an allowed origin's
        /// host; bound to every interface, also an address literal or this machine's name (``HTTPOriginPolicy``).
        public var bindHost: String
        /// Streamable-HTTP sessions with nothing in flight and no open stream for this long are closed.
        public var sessionIdleTimeout: Duration
        /// Events kept per session for `Last-Event-ID` resumption.
        public var maxStoredEvents: Int
        /// Bytes of events kept per session for `Last-Event-ID` resumption (the oldest go first; a larger event is not kept).
        public var maxStoredEventBytes: Int = 4 << 20
        /// Bytes an open SSE stream may hold that its client has not taken; past it the client is dropped (its session ends).
        public var maxUnsentBytes: Int = 8 << 20
        /// A `: ping` comment is written on every open SSE stream this often (it also detects gone clients).
        public var heartbeatInterval: Duration = .seconds(15)
        /// The largest request body accepted.
        public var maxMessageBytes: Int
        /// At most this many sessions at once (streamable and SSE together).
        public var maxSessions: Int = 1000

        public init(authToken: String? = nil, allowedOrigins: [String] = [], bindHost: String = "127.0.0.1",
                    sessionIdleTimeout: Duration = .seconds(600), maxStoredEvents: Int = 1000, maxMessageBytes: Int = 4 << 20) {
            self.authToken = authToken
            self.allowedOrigins = allowedOrigins
            self.bindHost = bindHost
            self.sessionIdleTimeout = sessionIdleTimeout
            self.maxStoredEvents = maxStoredEvents
            self.maxMessageBytes = maxMessageBytes
        }

        /// The configuration `[flux.mcp]` describes.
        public init(settings: MCPSettings, maxMessageBytes: Int = 4 << 20) {
            self.init(authToken: settings.authToken.flatMap { $0.isEmpty ? nil : $0 }, allowedOrigins: settings.allowedOrigins,
                      bindHost: settings.host, sessionIdleTimeout: .milliseconds(Int(settings.sessionIdleTimeout * 1000)),
                      maxStoredEvents: settings.maxStoredEvents, maxMessageBytes: maxMessageBytes)
            maxStoredEventBytes = settings.maxStoredEventBytes
            maxUnsentBytes = settings.maxUnsentBytes
        }
    }

    public let mcp: FluxMCPServer
    public let configuration: Configuration
    /// Which `Origin` and `Host` headers get in: `configuration.allowedOrigins` on `configuration.bindHost`.
    public let originPolicy: HTTPOriginPolicy
    let logger: Logger
    let sessions = SessionTable()

    public init(mcp: FluxMCPServer, configuration: Configuration, logger: Logger = Logger(label: "flux.mcp.http")) {
        self.mcp = mcp
        self.configuration = configuration
        originPolicy = HTTPOriginPolicy(allowedOrigins: configuration.allowedOrigins, bindHost: configuration.bindHost)
        self.logger = logger
    }

    /// Adds the MCP routes to `router`. Warns when they are reachable from every interface without a token.
    public func addRoutes<Context: Hummingbird.RequestContext>(to router: Router<Context>) {
        if originPolicy.bindsEveryInterface, configuration.authToken == nil {
            logger.warning("""
                MCP over HTTP listens on every interface (\(configuration.bindHost)) without mcp.auth_token: anyone who can \
                reach this machine can run workflows; set mcp.auth_token (FLUX_MCP__AUTH_TOKEN) or listen on 127.0.0.1
                """)
        }
        for path in [configuration.mcpPath, configuration.ssePath, configuration.messagesPath] {
            for method in [HTTPRequest.Method.get, .post, .delete, .options, .put, .patch] {
                router.on(RouterPath(path), method: method) { request, context in
                    await self.respond(to: request, context: context)
                }
            }
        }
    }

    /// A `Service` that expires idle sessions while the application runs and closes every session (and so
    /// every open SSE stream) at graceful shutdown. List it after the application in the `ServiceGroup`:
    /// services stop in reverse order, so the streams close before the HTTP server drains its connections.
    public var sessionService: some Service { SessionService(handler: self) }

    /// The number of open sessions (streamable HTTP, SSE).
    public func sessionCounts() async -> (streamable: Int, sse: Int) { await sessions.counts() }

    // MARK: - Dispatch

    public func respond<Context: Hummingbird.RequestContext>(to request: Request, context: Context) async -> Response {
        let reply = await reply(to: request)
        return Self.response(reply, heartbeat: configuration.heartbeatInterval, origin: allowedOriginHeader(request))
    }

    func reply(to request: Request) async -> MCPHTTPReply {
        if let refusal = checkAccess(request) { return refusal }
        let path = request.uri.path
        if request.method == .options {
            return .status(204, headers: [
                "Access-Control-Allow-Methods": "GET, POST, DELETE, OPTIONS",
                "Access-Control-Allow-Headers": "Content-Type, Accept, Authorization, Mcp-Session-Id, MCP-Protocol-Version, Last-Event-ID",
                "Access-Control-Max-Age": "600",
            ])
        }
        switch path {
        case configuration.mcpPath:
            switch request.method {
            case .post: return await streamablePost(request)
            case .get: return await streamableGet(request)
            case .delete: return await streamableDelete(request)
            default: return .jsonError(405, code: -32600, "Method Not Allowed: use POST, GET or DELETE", headers: ["Allow": "GET, POST, DELETE"])
            }
        case configuration.ssePath:
            guard request.method == .get else {
                return .jsonError(405, code: -32600, "Method Not Allowed: open the SSE stream with GET", headers: ["Allow": "GET"])
            }
            return await openLegacyStream()
        case configuration.messagesPath:
            guard request.method == .post else {
                return .jsonError(405, code: -32600, "Method Not Allowed: POST messages", headers: ["Allow": "POST"])
            }
            return await legacyPost(request)
        default:
            return .jsonError(404, code: -32600, "Not Found")
        }
    }

    // MARK: - Access checks

    func checkAccess(_ request: Request) -> MCPHTTPReply? {
        // Origin and Host first (HTTPOriginPolicy, the rule the REST door applies too), so that a foreign page
        // learns nothing, not even whether a token is needed.
        switch originPolicy.check(origin: request.headers[.origin], host: request.head.authority) {
        case .origin(let origin)?:
            return .jsonError(403, code: -32600, "Forbidden: Origin \(origin) is not allowed (add it to mcp.allowed_origins)")
        case .host(let host)?:
            return .jsonError(421, code: -32600, "Misdirected Request: Host \(host) does not name this server "
                + "(add an origin with that host to mcp.allowed_origins)")
        case nil:
            break
        }
        // CORS preflights carry no credentials; they are answered (for allowed origins) without the token.
        if let token = configuration.authToken, request.method != .options {
            let presented = request.headers[.authorization].flatMap(BearerCredential.token(inAuthorization:))
            guard let presented, BearerCredential.constantTimeEquals(presented, token) else {
                return .jsonError(401, code: -32600, "Unauthorized: send Authorization: Bearer <mcp.auth_token>",
                                  headers: ["WWW-Authenticate": "Bearer realm=\"flux-mcp\""])
            }
        }
        return nil
    }

    func allowedOriginHeader(_ request: Request) -> String? {
        guard let origin = request.headers[.origin], originPolicy.allows(origin: origin) else { return nil }
        return origin
    }

    // MARK: - Streamable HTTP

    static let sessionHeader = HTTPField.Name("Mcp-Session-Id")!
    static let protocolHeader = HTTPField.Name("MCP-Protocol-Version")!
    static let lastEventHeader = HTTPField.Name("Last-Event-ID")!

    func accepts(_ request: Request, _ type: String) -> Bool {
        let accept = request.headers[values: .accept].joined(separator: ",").lowercased()
        return accept.contains(type) || accept.contains("*/*")
    }

    func readBody(_ request: Request) async -> BodyRead {
        do {
            let buffer = try await request.body.collect(upTo: configuration.maxMessageBytes)
            return .data(Data(buffer: buffer))
        } catch is NIOTooManyBytesError {
            return .failed(.jsonError(413, code: -32600, "Payload Too Large: the limit is \(configuration.maxMessageBytes) bytes"))
        } catch {
            return .failed(.jsonError(400, code: -32700, "Parse error: could not read the request body"))
        }
    }

    func checkProtocolVersion(_ request: Request) -> MCPHTTPReply? {
        guard let version = request.headers[Self.protocolHeader] else { return nil }
        guard Version.supported.contains(version) else {
            return .jsonError(400, code: -32600, "Bad Request: unsupported MCP-Protocol-Version \(version); supported: "
                + Version.supported.sorted().joined(separator: ", "))
        }
        return nil
    }

    func streamablePost(_ request: Request) async -> MCPHTTPReply {
        guard accepts(request, "application/json"), accepts(request, "text/event-stream") else {
            return .jsonError(406, code: -32600, "Not Acceptable: Accept must list application/json and text/event-stream")
        }
        let contentType = request.headers[.contentType]?.lowercased() ?? ""
        guard contentType.hasPrefix("application/json") else {
            return .jsonError(415, code: -32600, "Unsupported Media Type: Content-Type must be application/json")
        }
        if let refusal = checkProtocolVersion(request) { return refusal }
        let body: Data
        switch await readBody(request) {
        case .data(let data): body = data
        case .failed(let reply): return reply
        }
        if let id = request.headers[Self.sessionHeader] {
            guard let session = await sessions.streamable(id) else {
                return .jsonError(404, code: -32600, "Not Found: no session \(id) (it ended or expired); send initialize without Mcp-Session-Id")
            }
            return await session.transport.post(body)
        }
        // No session yet: only an initialize request may start one.
        switch MessageGuard(maxBytes: configuration.maxMessageBytes).check(body, initialized: false) {
        case .reject(let error):
            return .status(400, headers: ["Content-Type": "application/json"], body: error)
        case .forward(.request(_, "initialize", _)):
            break
        default:
            return .jsonError(400, code: -32600, "Bad Request: Mcp-Session-Id header missing; start a session with initialize")
        }
        guard await sessions.total() < configuration.maxSessions else {
            return .jsonError(503, code: -32603, "Service Unavailable: too many open sessions; close some (DELETE /mcp) or retry later")
        }
        let sessionID = UUID().uuidString.lowercased()
        let transport = HTTPSessionTransport(sessionID: sessionID, maxStoredEvents: configuration.maxStoredEvents,
                                             maxStoredEventBytes: configuration.maxStoredEventBytes,
                                             maxUnsentBytes: configuration.maxUnsentBytes,
                                             maxMessageBytes: configuration.maxMessageBytes, logger: logger)
        let server = await mcp.makeServer()
        do {
            try await server.start(transport: transport)
        } catch {
            await mcp.closed(server)
            return .jsonError(500, code: -32603, "Internal error: could not start a session: \(error)")
        }
        let reference = ServerReference(server)
        await transport.answerToolCallsDirectly { [mcp] id, params in await mcp.answerToolCall(id: id, params: params, server: reference) }
        await transport.whenDropped { [self] in
            if let session = await sessions.removeStreamable(sessionID) { await close(session) }
        }
        let session = Session(transport: transport, server: server)
        guard await sessions.add(streamable: session, id: sessionID) else {
            await close(session)
            return .jsonError(503, code: -32603, "Service Unavailable: the server is shutting down")
        }
        logger.debug("streamable HTTP session \(sessionID) started")
        return await transport.post(body)
    }

    func streamableGet(_ request: Request) async -> MCPHTTPReply {
        guard accepts(request, "text/event-stream") else {
            return .jsonError(406, code: -32600, "Not Acceptable: Accept must list text/event-stream")
        }
        if let refusal = checkProtocolVersion(request) { return refusal }
        guard let id = request.headers[Self.sessionHeader] else {
            return .jsonError(400, code: -32600, "Bad Request: Mcp-Session-Id header missing; start a session with POST initialize")
        }
        guard let session = await sessions.streamable(id) else {
            return .jsonError(404, code: -32600, "Not Found: no session \(id) (it ended or expired)")
        }
        return await session.transport.get(lastEventID: request.headers[Self.lastEventHeader])
    }

    func streamableDelete(_ request: Request) async -> MCPHTTPReply {
        guard let id = request.headers[Self.sessionHeader] else {
            return .jsonError(400, code: -32600, "Bad Request: Mcp-Session-Id header missing")
        }
        guard let session = await sessions.removeStreamable(id) else {
            return .jsonError(404, code: -32600, "Not Found: no session \(id) (it ended or expired)")
        }
        await close(session)
        logger.debug("streamable HTTP session \(id) ended by the client")
        return .status(200)
    }

    // MARK: - 2024-11-05 SSE

    func openLegacyStream() async -> MCPHTTPReply {
        guard await sessions.total() < configuration.maxSessions else {
            return .jsonError(503, code: -32603, "Service Unavailable: too many open sessions; retry later")
        }
        let sessionID = UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        let transport = LegacySSETransport(sessionID: sessionID, endpoint: "\(configuration.messagesPath)?sessionId=\(sessionID)",
                                           maxMessageBytes: configuration.maxMessageBytes, maxUnsentBytes: configuration.maxUnsentBytes,
                                           logger: logger)
        let server = await mcp.makeServer()
        do {
            try await server.start(transport: transport)
        } catch {
            await mcp.closed(server)
            return .jsonError(500, code: -32603, "Internal error: could not start a session: \(error)")
        }
        guard await sessions.add(legacy: LegacySession(transport: transport, server: server), id: sessionID) else {
            await transport.close()
            await server.stop()
            await mcp.closed(server)
            return .jsonError(503, code: -32603, "Service Unavailable: the server is shutting down")
        }
        logger.debug("SSE session \(sessionID) started")
        return .stream(transport.outgoing, headers: ["Content-Type": "text/event-stream", "Cache-Control": "no-cache, no-transform"],
                       onEnd: { [self] in
                           if let session = await sessions.removeLegacy(sessionID) {
                               await session.transport.close()
                               await session.server.stop()
                               await mcp.closed(session.server)
                               logger.debug("SSE session \(sessionID) ended")
                           }
                       })
    }

    func legacyPost(_ request: Request) async -> MCPHTTPReply {
        guard let id = request.uri.queryParameters["sessionId"].map(String.init), !id.isEmpty else {
            return .jsonError(400, code: -32600, "Bad Request: the sessionId query parameter is missing; GET \(configuration.ssePath) first")
        }
        guard let session = await sessions.legacy(id) else {
            return .jsonError(404, code: -32600, "Not Found: no SSE session \(id); open \(configuration.ssePath) again")
        }
        let body: Data
        switch await readBody(request) {
        case .data(let data): body = data
        case .failed(let reply): return reply
        }
        return await session.transport.deliver(body)
    }

    // MARK: - Sessions

    func close(_ session: Session) async {
        await session.transport.terminate()
        await session.server.stop()
        await mcp.closed(session.server)
    }

    /// Closes the streamable sessions idle for longer than the configured timeout; returns how many.
    @discardableResult
    public func expireIdleSessions() async -> Int {
        var expired = 0
        for (id, session) in await sessions.allStreamable() where await session.transport.isIdle(for: configuration.sessionIdleTimeout) {
            if let removed = await sessions.removeStreamable(id) {
                await close(removed)
                expired += 1
                logger.debug("streamable HTTP session \(id) expired")
            }
        }
        return expired
    }

    /// Closes every session and so every open stream.
    public func closeAll() async {
        await sessions.close()
        for (_, session) in await sessions.removeAllStreamable() { await close(session) }
        for (_, session) in await sessions.removeAllLegacy() {
            await session.transport.close()
            await session.server.stop()
            await mcp.closed(session.server)
        }
    }

    // MARK: - Responses

    static func response(_ reply: MCPHTTPReply, heartbeat: Duration, origin: String?) -> Response {
        var fields = HTTPFields()
        if let origin {
            fields[.accessControlAllowOrigin] = origin
            fields[HTTPField.Name("Access-Control-Expose-Headers")!] = "Mcp-Session-Id"
            fields[.vary] = "Origin"
        }
        switch reply {
        case .status(let code, let headers, let body):
            for (name, value) in headers { if let field = HTTPField.Name(name) { fields[field] = value } }
            return Response(status: .init(code: code), headers: fields,
                            body: body.map { ResponseBody(byteBuffer: ByteBuffer(bytes: $0)) } ?? ResponseBody())
        case .stream(let source, let headers, let onEnd):
            for (name, value) in headers { if let field = HTTPField.Name(name) { fields[field] = value } }
            return Response(status: .ok, headers: fields, body: sseBody(source, heartbeat: heartbeat, onEnd: onEnd))
        }
    }

    /// Writes `source` as it comes, with a `: ping` comment every `heartbeat`, and tells `source` what the writer
    /// has taken; `onEnd` runs when the stream ends or the client goes away (the next write fails). A source that
    /// overflows (its client does not read) ends the response at once, a write waiting on the socket included, and
    /// so closes the connection.
    static func sseBody(_ source: BoundedFrameStream, heartbeat: Duration,
                        onEnd: (@Sendable () async -> Void)?) -> ResponseBody {
        ResponseBody { writer in
            // Frames with the bytes to report taken once written (0 for pings), in the order they come.
            let (merged, continuation) = AsyncStream<(ByteBuffer, Int)>.makeStream()
            let output = WriterBox(writer)
            do {
                try await withThrowingTaskGroup(of: Bool.self) { group in
                    group.addTask {  // frames; throws BoundedFrameStream.Overflow when the client does not read
                        defer { continuation.finish() }
                        for try await frame in source { continuation.yield((ByteBuffer(bytes: frame), frame.count)) }
                        return false
                    }
                    group.addTask {  // heartbeats
                        while !Task.isCancelled {
                            try await Task.sleep(for: heartbeat)
                            continuation.yield((ByteBuffer(string: ": ping\n\n"), 0))
                        }
                        return false
                    }
                    group.addTask {  // the writer: true once everything is written
                        for await (chunk, count) in merged {
                            try await output.writer.write(chunk)
                            source.taken(count)
                        }
                        return true
                    }
                    while let written = try await group.next(), !written {}
                    group.cancelAll()
                }
            } catch {
                await onEnd?()
                throw error
            }
            await onEnd?()
            try await writer.finish(nil)
        }
    }
}

/// The response body writer, for the task of ``MCPHTTPHandler/sseBody(_:heartbeat:onEnd:)`` that alone writes with it
/// (in a task of its own so that a write waiting on a client that does not read can be cancelled).
final class WriterBox: @unchecked Sendable {
    var writer: any ResponseBodyWriter
    init(_ writer: any ResponseBodyWriter) { self.writer = writer }
}

enum BodyRead: Sendable {
    case data(Data)
    case failed(MCPHTTPReply)
}

struct Session: Sendable {
    let transport: HTTPSessionTransport
    let server: Server
}

struct LegacySession: Sendable {
    let transport: LegacySSETransport
    let server: Server
}

/// The open sessions of both HTTP transports.
actor SessionTable {
    private var streamableSessions: [String: Session] = [:]
    private var legacySessions: [String: LegacySession] = [:]
    /// Set at shutdown: no new session may start, or its stream would hold up the HTTP server's drain.
    private(set) var closing = false

    /// Adds the session unless the server is shutting down; returns whether it was added.
    func add(streamable session: Session, id: String) -> Bool {
        guard !closing else { return false }
        streamableSessions[id] = session
        return true
    }
    func add(legacy session: LegacySession, id: String) -> Bool {
        guard !closing else { return false }
        legacySessions[id] = session
        return true
    }
    func streamable(_ id: String) -> Session? { streamableSessions[id] }
    func legacy(_ id: String) -> LegacySession? { legacySessions[id] }
    func removeStreamable(_ id: String) -> Session? { streamableSessions.removeValue(forKey: id) }
    func removeLegacy(_ id: String) -> LegacySession? { legacySessions.removeValue(forKey: id) }
    func allStreamable() -> [(String, Session)] { streamableSessions.map { ($0.key, $0.value) } }
    func close() { closing = true }
    func removeAllStreamable() -> [String: Session] { defer { streamableSessions = [:] }; return streamableSessions }
    func removeAllLegacy() -> [String: LegacySession] { defer { legacySessions = [:] }; return legacySessions }
    func total() -> Int { streamableSessions.count + legacySessions.count }
    func counts() -> (streamable: Int, sse: Int) { (streamableSessions.count, legacySessions.count) }
}

/// Expires idle sessions while running; closes every session at graceful shutdown.
struct SessionService: Service {
    let handler: MCPHTTPHandler

    func run() async throws {
        let timeout = handler.configuration.sessionIdleTimeout
        let period = min(timeout / 2, .seconds(30))
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do { try await Task.sleep(for: period) } catch { return }
                await handler.expireIdleSessions()
            }
        }
        await handler.closeAll()
    }
}
