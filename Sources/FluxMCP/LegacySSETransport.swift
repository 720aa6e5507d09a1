import FluxCore
import Foundation
import Logging
import MCP

/// The 2024-11-05 HTTP+SSE transport (the SDK has none): the client holds `GET /sse` open, learns from its
/// first `endpoint` event where to POST (`/messages?sessionId=…`), and every server message arrives as an
/// SSE `message` event on that stream. A client that lets more than `maxUnsentBytes` pile up on it is dropped: the
/// stream ends with ``BoundedFrameStream/Overflow``, which closes the connection and so the session.
actor LegacySSETransport: Transport {
    nonisolated let logger: Logger
    nonisolated let sessionID: String
    nonisolated let outgoing: BoundedFrameStream
    private let incoming: AsyncThrowingStream<Data, any Error>
    private let incomingContinuation: AsyncThrowingStream<Data, any Error>.Continuation
    private let messageGuard: MessageGuard
    private var initialized = false
    private var closed = false
    private(set) var lastActivity = ContinuousClock.now

    init(sessionID: String, endpoint: String, maxMessageBytes: Int, maxUnsentBytes: Int = 8 << 20, logger: Logger) {
        self.sessionID = sessionID
        self.logger = logger
        messageGuard = MessageGuard(maxBytes: maxMessageBytes)
        outgoing = BoundedFrameStream(limit: maxUnsentBytes)
        (incoming, incomingContinuation) = AsyncThrowingStream.makeStream()
        outgoing.yield(Data("event: endpoint\ndata: \(endpoint)\n\n".utf8))
    }

    func connect() async throws {}

    func disconnect() async { close() }

    func receive() -> AsyncThrowingStream<Data, any Error> { incoming }

    func send(_ data: Data) async throws {
        guard !closed else { throw MCPError.connectionClosed }
        var frame = Data("event: message\ndata: ".utf8)
        frame.append(data)
        frame.append(contentsOf: Array("\n\n".utf8))
        if let overflow = outgoing.yield(frame) {
            logger.notice("MCP SSE session \(sessionID) dropped: \(overflow)")
            close()
            throw MCPError.connectionClosed
        }
    }

    /// A message POSTed to `/messages`: 202 when it goes to the server, 400 with the JSON-RPC error otherwise.
    func deliver(_ body: Data) -> MCPHTTPReply {
        lastActivity = .now
        guard !closed else { return .jsonError(404, code: -32600, "Not Found: the session has ended; reconnect to /sse") }
        switch messageGuard.check(body, initialized: initialized) {
        case .reject(let error):
            return .status(400, headers: ["Content-Type": "application/json"], body: error)
        case .drop(let reason):
            logger.debug("dropped a message: \(reason)")
            return .status(202, body: Data("Accepted".utf8))
        case .forward(let kind):
            if case .request(_, "initialize", _) = kind { initialized = true }
            incomingContinuation.yield(body)
            return .status(202, body: Data("Accepted".utf8))
        }
    }

    func close() {
        guard !closed else { return }
        closed = true
        outgoing.finish()
        incomingContinuation.finish()
    }
}
