import FluxCore
import Foundation
import Logging
import MCP

/// What an HTTP endpoint answers: a status with an optional JSON body, or an SSE stream.
enum MCPHTTPReply: Sendable {
    case status(Int, headers: [String: String] = [:], body: Data? = nil)
    case stream(BoundedFrameStream, headers: [String: String] = [:], onEnd: (@Sendable () async -> Void)? = nil)

    static func jsonError(_ status: Int, id: JSONValue = .null, code: Int, _ message: String, headers: [String: String] = [:]) -> MCPHTTPReply {
        var all = headers
        all["Content-Type"] = "application/json"
        return .status(status, headers: all, body: MessageGuard.error(id: id, code: code, message))
    }
}

/// One streamable-HTTP session (MCP 2025-03-26 and later): requests arrive as POSTs and are answered on an SSE
/// stream of their own, server-initiated messages go to the session's GET stream. Unlike the SDK's
/// `StatefulHTTPServerTransport` it keeps at most `maxStoredEvents` events of at most `maxStoredEventBytes` in all
/// for `Last-Event-ID` resumption, drops a client that lets more than `maxUnsentBytes` pile up on one of its streams
/// (``BoundedFrameStream``), sends a request's progress notifications on that request's stream, and validates every
/// message with ``MessageGuard`` first.
actor HTTPSessionTransport: Transport {
    nonisolated let logger: Logger
    nonisolated let sessionID: String
    private let maxStoredEvents: Int
    private let maxStoredEventBytes: Int
    private let maxUnsentBytes: Int
    /// Told when the session ends because a client does not read (the HTTP handler forgets the session).
    private var dropped: (@Sendable () async -> Void)?
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
        let frames: BoundedFrameStream
        func finish() { frames.finish() }
    }
    private var streamTags = 0

    /// A new stream whose end is reported to ``streamEnded(key:tag:)``; it may hold `maxUnsentBytes + allowance`
    /// unsent bytes.
    private func openStream(key: String, allowance: Int = 0) -> (BoundedFrameStream, OpenStream) {
        streamTags += 1
        let tag = streamTags
        let frames = BoundedFrameStream(limit: maxUnsentBytes + allowance) { [weak self] in
            Task { await self?.streamEnded(key: key, tag: tag) }
        }
        return (frames, OpenStream(tag: tag, frames: frames))
    }

    /// Writes `frame` on `stream`; a client that lets more than `maxUnsentBytes` pile up there is dropped.
    private func write(_ frame: Data, on stream: OpenStream) {
        if let overflow = stream.frames.yield(frame) { drop(overflow) }
    }

    /// Ends the session of a client that does not read, and tells the HTTP handler. Its other streams end with the
    /// same error, so that their connections close at once too instead of waiting for a client that does not read.
    private func drop(_ overflow: BoundedFrameStream.Overflow) {
        guard !terminated else { return }
        logger.notice("MCP session \(sessionID) dropped: \(overflow)")
        for stream in requestStreams.values { stream.frames.abort(overflow) }
        standalone?.frames.abort(overflow)
        terminate()
        if let dropped { Task { await dropped() } }
    }

    /// Lets the HTTP handler forget this session when it ends because its client does not read.
    func whenDropped(_ action: @escaping @Sendable () async -> Void) {
        dropped = action
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
        let isResponse: Bool
    }
    private var events: [StoredEvent] = []
    /// The bytes of `events`' messages.
    private var storedBytes = 0
    private var eventCounter = 0
    private(set) var lastActivity = ContinuousClock.now

    init(sessionID: String, maxStoredEvents: Int, maxStoredEventBytes: Int = 4 << 20, maxUnsentBytes: Int = 8 << 20,
         maxMessageBytes: Int, logger: Logger) {
        self.sessionID = sessionID
        self.maxStoredEvents = max(1, maxStoredEvents)
        self.maxStoredEventBytes = max(1, maxStoredEventBytes)
        self.maxUnsentBytes = max(1, maxUnsentBytes)
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
        let eventID = store(data, streamKey: key, isResponse: isResponse)
        let frame = Self.frame(data, id: eventID)
        if let stream = key == Self.standaloneKey ? standalone : requestStreams[key] {
            write(frame, on: stream)
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

    /// Keeps a message for resumption within `maxStoredEvents` and `maxStoredEventBytes`, evicting the oldest
    /// first; returns its event id. A message larger than `maxStoredEventBytes` is not kept, nor are the earlier
    /// events of its stream (a resumption there would miss it: it is refused instead).
    private func store(_ data: Data, streamKey: String, isResponse: Bool) -> Int {
        eventCounter += 1
        guard data.count <= maxStoredEventBytes else {
            events.removeAll { $0.streamKey == streamKey }
            storedBytes = events.reduce(0) { $0 + $1.data.count }
            return eventCounter
        }
        events.append(StoredEvent(id: eventCounter, streamKey: streamKey, data: data, isResponse: isResponse))
        storedBytes += data.count
        var evicted = 0
        while events.count - evicted > maxStoredEvents || storedBytes > maxStoredEventBytes {
            storedBytes -= events[evicted].data.count
            evicted += 1
        }
        events.removeFirst(evicted)
        return eventCounter
    }

    var storedEventCount: Int { events.count }
    var storedEventBytes: Int { storedBytes }

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
        var answered = false
        if let lastEventID {
            guard let last = Int(lastEventID), let index = events.firstIndex(where: { $0.id == last }) else {
                return .jsonError(400, code: -32600, "Bad Request: event \(lastEventID) is no longer stored; reconnect without Last-Event-ID",
                                  headers: sessionHeaders)
            }
            key = events[index].streamKey
            replay = events[(index + 1)...].filter { $0.streamKey == key }
            answered = events[index...].contains { $0.streamKey == key && $0.isResponse }
        } else if standalone != nil {
            return .jsonError(409, code: -32600, "Conflict: this session already has a GET stream open", headers: sessionHeaders)
        }
        // The replay is bounded by `maxStoredEventBytes`; the client may take its time reading it.
        let replayFrames = replay.map { Self.frame($0.data, id: $0.id) }
        let (stream, open) = openStream(key: key, allowance: replayFrames.reduce(0) { $0 + $1.count })
        for frame in replayFrames { open.frames.yield(frame) }
        if key == Self.standaloneKey {
            standalone?.finish()
            standalone = open
        } else if answered {
            open.finish()  // the request has been answered (maybe by the event resumed after): nothing more will come
        } else {
            requestStreams[key]?.finish()
            requestStreams[key] = open
        }
        return .stream(stream, headers: sessionHeaders.merging(Self.streamHeaders) { $1 })
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
        storedBytes = 0
        incomingContinuation.finish()
    }
}
