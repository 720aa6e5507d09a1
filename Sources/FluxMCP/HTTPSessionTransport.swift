import FluxCore
import Foundation
import Logging
import MCP

/// What an HTTP endpoint answers: a status with an optional JSON body, or an SSE stream.
enum MCPHTTPReply: Sendable {
    case status(Int, headers: [String: String] = [:], body: Data? = nil)
    case stream(AsyncThrowingStream<Data, any Error>, headers: [String: String] = [:], onEnd: (@Sendable () async -> Void)? = nil)

    static func jsonError(_ status: Int, id: JSONValue = .null, code: Int, _ message: String, headers: [String: String] = [:]) -> MCPHTTPReply {
        var all = headers
        all["Content-Type"] = "application/json"
        return .status(status, headers: all, body: MessageGuard.error(id: id, code: code, message))
    }
}

/// One streamable-HTTP session (MCP 2025-03-26 and later): requests arrive as POSTs and are answered on an SSE
/// stream of their own, server-initiated messages go to the session's GET stream. Unlike the SDK's
/// `StatefulHTTPServerTransport` it keeps at most `maxStoredEvents` events for `Last-Event-ID` resumption,
/// sends a request's progress notifications on that request's stream, and validates every message
/// with ``MessageGuard`` first.
actor HTTPSessionTransport: Transport {
    nonisolated let logger: Logger
    nonisolated let sessionID: String
    private let maxStoredEvents: Int
    private let messageGuard: MessageGuard
    private let incoming: AsyncThrowingStream<Data, any Error>
    private let incomingContinuation: AsyncThrowingStream<Data, any Error>.Continuation

    private var initialized = false
    private var terminated = false
    /// The open SSE stream of each request in flight, by the canonical JSON of its id.
    private var requestStreams: [String: OpenStream] = [:]
    /// Progress tokens of requests in flight → the request's key.
    private var progressTokens: [String: String] = [:]
    private var standalone: OpenStream?
    private static let standaloneKey = "_GET"
    /// Answers `tools/call` requests without a progress token here instead of through the SDK (see
    /// ``FluxMCPServer/answerToolCall(id:params:server:)``); set once the session's server exists.
    private var directToolCall: (@Sendable (JSONValue, [String: JSONValue]) async -> JSONValue?)?
    /// The tool calls answered directly that are in flight, by request key (to cancel them).
    private var directCalls: [String: Task<Void, Never>] = [:]

    /// An SSE stream being written, tagged so that the end of a replaced stream does not forget its successor.
    private struct OpenStream {
        let tag: Int
        let continuation: AsyncThrowingStream<Data, any Error>.Continuation
        func yield(_ data: Data) { continuation.yield(data) }
        func finish() { continuation.finish() }
    }
    private var streamTags = 0

    /// A new stream whose end is reported to ``streamEnded(key:tag:)``.
    private func openStream(key: String) -> (AsyncThrowingStream<Data, any Error>, OpenStream) {
        let (stream, continuation) = AsyncThrowingStream<Data, any Error>.makeStream()
        streamTags += 1
        let tag = streamTags
        continuation.onTermination = { [weak self] _ in
            Task { await self?.streamEnded(key: key, tag: tag) }
        }
        return (stream, OpenStream(tag: tag, continuation: continuation))
    }

    private func streamEnded(key: String, tag: Int) {
        lastActivity = .now
        if key == Self.standaloneKey {
            if standalone?.tag == tag { standalone = nil }
        } else if requestStreams[key]?.tag == tag {
            requestStreams.removeValue(forKey: key)
        }
    }

    private struct StoredEvent {
        let id: Int
        let streamKey: String
        let data: Data
    }
    private var events: [StoredEvent] = []
    private var eventCounter = 0
    private(set) var lastActivity = ContinuousClock.now

    init(sessionID: String, maxStoredEvents: Int, maxMessageBytes: Int, logger: Logger) {
        self.sessionID = sessionID
        self.maxStoredEvents = max(1, maxStoredEvents)
        self.logger = logger
        messageGuard = MessageGuard(maxBytes: maxMessageBytes)
        (incoming, incomingContinuation) = AsyncThrowingStream.makeStream()
    }

    // MARK: - Transport

    func connect() async throws {}

    func disconnect() async { terminate() }

    func receive() -> AsyncThrowingStream<Data, any Error> { incoming }

    func send(_ data: Data) async throws {
        guard !terminated else { throw MCPError.connectionClosed }
        let message = try? JSONValue(parsing: data)
        let isResponse = message?["method"] == nil && message?["id"] != nil
        var key = Self.standaloneKey
        if let id = message?["id"], isResponse {
            key = id.canonicalJSON
        } else if message?["method"]?.stringValue == "notifications/progress",
                  let token = message?["params"]?["progressToken"], let owner = progressTokens[token.canonicalJSON],
                  requestStreams[owner] != nil {
            key = owner
        }
        deliver(data, key: key, isResponse: isResponse)
    }

    /// Stores a message for resumption and writes it on the stream of `key`; a response ends that stream.
    private func deliver(_ data: Data, key: String, isResponse: Bool) {
        let eventID = store(data, streamKey: key)
        let frame = Self.frame(data, id: eventID)
        if key == Self.standaloneKey {
            standalone?.yield(frame)
        } else if let stream = requestStreams[key] {
            stream.yield(frame)
        }
        if isResponse {
            requestStreams.removeValue(forKey: key)?.finish()
            progressTokens = progressTokens.filter { $0.value != key }
        }
    }

    static func frame(_ data: Data, id: Int) -> Data {
        var frame = Data("id: \(id)\nevent: message\ndata: ".utf8)
        frame.append(data)
        frame.append(contentsOf: Array("\n\n".utf8))
        return frame
    }

    private func store(_ data: Data, streamKey: String) -> Int {
        eventCounter += 1
        events.append(StoredEvent(id: eventCounter, streamKey: streamKey, data: data))
        if events.count > maxStoredEvents { events.removeFirst(events.count - maxStoredEvents) }
        return eventCounter
    }

    var storedEventCount: Int { events.count }

    /// True when no request is in flight, no stream is open and nothing arrived for `timeout`.
    func isIdle(for timeout: Duration) -> Bool {
        requestStreams.isEmpty && standalone == nil && ContinuousClock.now - lastActivity > timeout
    }

    // MARK: - HTTP

    private static let streamHeaders = ["Content-Type": "text/event-stream", "Cache-Control": "no-cache, no-transform", "Connection": "keep-alive"]

    private var sessionHeaders: [String: String] { ["Mcp-Session-Id": sessionID] }

    /// A POST of one JSON-RPC message (already size-checked).
    func post(_ body: Data) -> MCPHTTPReply {
        lastActivity = .now
        guard !terminated else { return .jsonError(404, code: -32600, "Not Found: the session has ended; initialize a new one") }
        switch messageGuard.check(body, initialized: initialized) {
        case .reject(let error):
            return .status(400, headers: sessionHeaders.merging(["Content-Type": "application/json"]) { $1 }, body: error)
        case .drop(let reason):
            logger.debug("dropped a message: \(reason)")
            return .status(202, headers: sessionHeaders)
        case .forward(.notification("notifications/cancelled", let params)):
            if let requestID = params["requestId"], let call = directCalls.removeValue(forKey: requestID.canonicalJSON) {
                call.cancel()
            }
            incomingContinuation.yield(body)
            return .status(202, headers: sessionHeaders)
        case .forward(.response), .forward(.notification):
            incomingContinuation.yield(body)
            return .status(202, headers: sessionHeaders)
        case .forward(.request(let id, let method, let params)):
            if method == "initialize" {
                if initialized {
                    return .jsonError(400, id: id, code: -32600, "Invalid Request: the session is already initialized", headers: sessionHeaders)
                }
                initialized = true
            }
            let key = id.canonicalJSON
            if requestStreams[key] != nil {
                return .jsonError(400, id: id, code: -32600, "Invalid Request: a request with id \(key) is already in flight", headers: sessionHeaders)
            }
            let (stream, open) = openStream(key: key)
            requestStreams[key] = open
            let token = params["_meta"]?["progressToken"]
            if let token { progressTokens[token.canonicalJSON] = key }
            if method == "tools/call", token == nil, let directToolCall {
                directCalls[key] = Task { [weak self] in
                    let response = await directToolCall(id, params)
                    await self?.finishDirectCall(key: key, response: response)
                }
            } else {
                incomingContinuation.yield(body)
            }
            return .stream(stream, headers: sessionHeaders.merging(Self.streamHeaders) { $1 })
        }
    }

    /// Lets this session answer `tools/call` requests without a progress token itself (the HTTP handler sets it
    /// once the session's server exists).
    func answerToolCallsDirectly(_ answer: @escaping @Sendable (JSONValue, [String: JSONValue]) async -> JSONValue?) {
        directToolCall = answer
    }

    /// Sends a directly answered call's response on its request stream; a cancelled call's stream ends without one.
    private func finishDirectCall(key: String, response: JSONValue?) {
        directCalls[key] = nil
        guard !terminated else { return }
        if let response {
            deliver(response.canonicalData, key: key, isResponse: true)
        } else {
            requestStreams.removeValue(forKey: key)?.finish()
        }
    }

    /// The session's GET stream for server-initiated messages, or a replay after `lastEventID`.
    func get(lastEventID: String?) -> MCPHTTPReply {
        lastActivity = .now
        guard !terminated else { return .jsonError(404, code: -32600, "Not Found: the session has ended; initialize a new one") }
        var key = Self.standaloneKey
        var replay: [StoredEvent] = []
        if let lastEventID {
            guard let last = Int(lastEventID), let index = events.firstIndex(where: { $0.id == last }) else {
                return .jsonError(400, code: -32600, "Bad Request: event \(lastEventID) is no longer stored; reconnect without Last-Event-ID",
                                  headers: sessionHeaders)
            }
            key = events[index].streamKey
            replay = events[(index + 1)...].filter { $0.streamKey == key }
        } else if standalone != nil {
            return .jsonError(409, code: -32600, "Conflict: this session already has a GET stream open", headers: sessionHeaders)
        }
        let (stream, open) = openStream(key: key)
        for event in replay { open.yield(Self.frame(event.data, id: event.id)) }
        if key == Self.standaloneKey {
            standalone?.finish()
            standalone = open
        } else if replay.contains(where: { Self.isResponse($0.data) }) {
            open.finish()  // the request has been answered: nothing more will come on its stream
        } else {
            requestStreams[key]?.finish()
            requestStreams[key] = open
        }
        return .stream(stream, headers: sessionHeaders.merging(Self.streamHeaders) { $1 })
    }

    static func isResponse(_ data: Data) -> Bool {
        guard let message = try? JSONValue(parsing: data) else { return false }
        return message["method"] == nil && message["id"] != nil
    }

    /// Ends the session: closes every stream and the server's input.
    func terminate() {
        guard !terminated else { return }
        terminated = true
        for (_, call) in directCalls { call.cancel() }
        directCalls.removeAll()
        for (_, stream) in requestStreams { stream.finish() }
        requestStreams.removeAll()
        standalone?.finish()
        standalone = nil
        events.removeAll()
        incomingContinuation.finish()
    }
}
