@testable import FluxMCP
import Foundation
import Logging
import Synchronization
import Testing

/// The byte bounds of one MCP session, in process: ``BoundedFrameStream`` (unsent output) and the byte-bounded event
/// store of ``HTTPSessionTransport``. `SessionMemoryTests` repeats the attacks against a real server.
@Suite("session byte bounds, in process")
struct BoundedFrameStreamTests {
    static func notification(_ n: Int, padding: Int) -> Data {
        Data(#"{"jsonrpc":"2.0","method":"notifications/message","params":{"n":\#(n),"pad":"\#(String(repeating: "x", count: padding))"}}"#.utf8)
    }

    @Test("a frame is accepted while nothing is unsent; past the limit the stream ends with Overflow")
    func overflow() async throws {
        let frames = BoundedFrameStream(limit: 100)
        #expect(frames.yield(Data(count: 150)) == nil, "one frame larger than the limit goes out when nothing waits")
        #expect(frames.unsentBytes == 150)
        frames.taken(150)
        #expect(frames.yield(Data(count: 60)) == nil)
        #expect(frames.yield(Data(count: 40)) == nil, "exactly the limit is within it")
        let overflow = try #require(frames.yield(Data(count: 1)))
        #expect(overflow.unsent == 101 && overflow.limit == 100)
        #expect("\(overflow)".contains("mcp.max_unsent_bytes"))
        #expect(frames.yield(Data(count: 1)) == nil, "the overflow is reported once")
        var received: [Int] = []
        do {
            for try await frame in frames { received.append(frame.count) }
            Issue.record("the stream must end with Overflow")
        } catch is BoundedFrameStream.Overflow {}
        #expect(received == [150, 60, 40], "what was queued before the overflow is still delivered")
    }

    @Test("stored events are bounded by max_stored_event_bytes, oldest first; a larger event is sent but not stored")
    func storedBytes() async throws {
        let transport = HTTPSessionTransport(sessionID: "s", maxStoredEvents: 1000, maxStoredEventBytes: 65_536,
                                             maxUnsentBytes: 8 << 20, maxMessageBytes: 1 << 20, logger: Logger(label: "test"))
        guard case .stream(let stream, _, _) = await transport.get(lastEventID: nil) else {
            Issue.record("GET must open the session's stream")
            return
        }
        let size = Self.notification(40, padding: 5000).count
        for i in 1...40 { try await transport.send(Self.notification(i, padding: 5000)) }
        #expect(await transport.storedEventBytes <= 65_536)
        #expect(await transport.storedEventCount == 65_536 / size)
        // The oldest went first: event 40 - kept + 1 is the oldest one still stored.
        let kept = await transport.storedEventCount
        guard case .status(400, _, _) = await transport.get(lastEventID: String(40 - kept)) else {
            Issue.record("an evicted event must be refused")
            return
        }
        // One event larger than the limit: sent on the stream, not stored, and earlier events of its stream are
        // forgotten (resuming there would miss it).
        try await transport.send(Self.notification(41, padding: 70_000))
        #expect(await transport.storedEventCount == 0)
        #expect(await transport.storedEventBytes == 0)
        var ids: [String] = []
        for try await frame in stream {
            ids.append(String(decoding: frame.prefix(12), as: UTF8.self).split(separator: "\n").first.map(String.init) ?? "")
            if ids.count == 41 { break }
        }
        #expect(ids.last == "id: 41")
        await transport.terminate()
    }

    @Test("a client that does not read its stream is dropped once max_unsent_bytes pile up; the session ends")
    func dropsAClientThatDoesNotRead() async throws {
        let transport = HTTPSessionTransport(sessionID: "s", maxStoredEvents: 1000, maxStoredEventBytes: 65_536,
                                             maxUnsentBytes: 65_536, maxMessageBytes: 1 << 20, logger: Logger(label: "test"))
        let dropped = Mutex(false)
        await transport.whenDropped { dropped.withLock { $0 = true } }
        guard case .stream(let pending, _, _) = await transport.post(Data(HostileMessages.initialize.utf8)) else {
            Issue.record("initialize must open its request stream")
            return
        }
        guard case .stream(let stream, _, _) = await transport.get(lastEventID: nil) else {
            Issue.record("GET must open the session's stream")
            return
        }
        try await transport.send(Self.notification(1, padding: 40_000))
        #expect(stream.unsentBytes ?? 0 > 40_000)
        try await transport.send(Self.notification(2, padding: 40_000))  // passes the limit: the session ends
        #expect(stream.unsentBytes == nil)
        await #expect(throws: (any Error).self, "the session has ended") {
            try await transport.send(Self.notification(3, padding: 40_000))
        }
        guard case .status(404, _, _) = await transport.post(Data(#"{"jsonrpc":"2.0","id":2,"method":"ping"}"#.utf8)) else {
            Issue.record("a dropped session answers 404")
            return
        }
        let deadline = ContinuousClock.now + Deadline.event
        while !dropped.withLock({ $0 }), ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(5)) }
        #expect(dropped.withLock { $0 }, "the HTTP handler is told, so that it forgets the session")
        await #expect(throws: BoundedFrameStream.Overflow.self) {
            for try await _ in stream {}
        }
        await #expect(throws: BoundedFrameStream.Overflow.self, "the client's other streams are closed at once too") {
            for try await _ in pending {}
        }
    }

    @Test("resuming after a request's answer ends the stream at once (nothing more will come on it)")
    func resumingAfterTheAnswerEnds() async throws {
        let transport = HTTPSessionTransport(sessionID: "s", maxStoredEvents: 10, maxMessageBytes: 1 << 20, logger: Logger(label: "test"))
        guard case .stream = await transport.post(Data(HostileMessages.initialize.utf8)) else {
            Issue.record("initialize must open its request stream")
            return
        }
        try await transport.send(Data(#"{"jsonrpc":"2.0","id":1,"result":{}}"#.utf8))
        guard case .stream(let resumed, _, _) = await transport.get(lastEventID: "1") else {
            Issue.record("a stored event id must resume")
            return
        }
        var frames = 0
        for try await _ in resumed { frames += 1 }
        #expect(frames == 0)
        #expect(await transport.isIdle(for: .zero), "no stream is left open for the answered request")
        await transport.terminate()
    }
}
