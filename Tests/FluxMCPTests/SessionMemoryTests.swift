import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Issue #15 item 8: what one MCP session holds is bounded in bytes, not only in messages. Many calls with large
/// answers once raised one streamable-HTTP session by hundreds of MiB (every answer stored for `Last-Event-ID`), and a
/// 2024-11-05 SSE client that never read its stream made the server hold every answer until the socket closed. These
/// tests repeat both attacks against a real `flux start mcp` and bound the server's memory; a memory bound is a claim
/// about the fix, a time bound would not be.
@Suite("MCP session memory is bounded in bytes")
struct SessionMemoryTests {
    /// The largest resident set the server may have after an attack. It idles at about 85 MiB (debug build); without
    /// the bounds each attack below adds more than 250 MiB.
    static let residentBound = 200 << 20

    /// A workflow named `name` whose document is about `bytes` long (comment lines), so that `get_workflow_details`
    /// answers with about twice that (the document is in `structuredContent` and again, escaped, in the text).
    static func bigDocument(name: String, bytes: Int) -> String {
        var text = "flux: 1\nname: \(name)\ndescription: a large document\nsteps:\n  - id: one\n    set: 1\n"
        let line = "# " + String(repeating: "padding-", count: 12) + "\n"
        while text.utf8.count < bytes { text += line }
        return text
    }

    /// `VmRSS` or `VmHWM` of `pid` in bytes, from /proc.
    static func memory(_ pid: Int32, _ field: String = "VmRSS") -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        for line in status.split(separator: "\n") where line.hasPrefix(field + ":") {
            let kilobytes = line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first.flatMap { Int($0) }
            return kilobytes.map { $0 * 1024 }
        }
        return nil
    }

    static func mebibytes(_ bytes: Int?) -> String { bytes.map { String(format: "%.1f MiB", Double($0) / 1_048_576) } ?? "?" }

    /// Registers `document` through a streamable-HTTP session.
    static func upload(_ document: String, port: Int) async throws {
        var client = StreamableClient(port: port)
        _ = try await client.initialize()
        let uploaded = try await client.callTool("upload_workflow", ["file_content": document])
        guard uploaded.status == 200, (uploaded.events.last?[path: "result", "isError"] as? Bool) == false else {
            throw TestFailure("upload_workflow failed: \(uploaded.status) \(uploaded.body.prefix(300))")
        }
    }

    @Test("a legacy SSE client that never reads is dropped once its unsent answers pass mcp.max_unsent_bytes")
    func legacyClientThatDoesNotReadIsDropped() async throws {
        let limit = 262_144
        let (server, port) = try await FluxServerProcess.http(transport: "sse", environment: ["FLUX_MCP__MAX_UNSENT_BYTES": String(limit)])
        defer { server.stop() }
        let pid = server.process.processIdentifier
        try await Self.upload(Self.bigDocument(name: "big_legacy", bytes: 900_000), port: port)
        try await Self.upload(Self.bigDocument(name: "small_legacy", bytes: 200_000), port: port)
        let http = RawHTTP(port: port)
        /// Opens GET /sse and reads its endpoint; returns the connection and the endpoint.
        func open() async throws -> (OpenConnection, String) {
            let stream = try OpenConnection(port: port, request: http.request("GET", "/sse", headers: ["Accept": "text/event-stream", "Connection": "keep-alive"]))
            await stream.read(timeout: Deadline.event) { $0.contains("event: endpoint\ndata: ") && $0.contains("\n\n") }
            let endpoint = try #require(stream.body.split(separator: "\n").first { $0.hasPrefix("data: /messages") }?.dropFirst(6))
            return (stream, String(endpoint))
        }
        func post(_ message: String, to endpoint: String) async throws -> Int {
            try await http.send(http.request("POST", endpoint, headers: StreamableClient.jsonHeaders, body: Data(message.utf8))).status
        }
        func details(_ workflow: String, id: Int) -> String {
            HostileMessages.json(["jsonrpc": "2.0", "id": id, "method": "tools/call",
                                  "params": ["name": "get_workflow_details", "arguments": ["workflow_name": workflow]]])
        }
        let initialized = #"{"jsonrpc":"2.0","method":"notifications/initialized"}"#

        // A client that reads gets answers larger than the limit, one after another: only the unsent bytes count.
        let (reader, readerEndpoint) = try await open()
        func messages() -> Int { reader.body.components(separatedBy: "event: message\n").count - 1 }
        #expect(try await post(HostileMessages.initialize, to: readerEndpoint) == 202)
        await reader.read(timeout: Deadline.event) { $0.components(separatedBy: "event: message\n").count - 1 >= 1 }
        #expect(try await post(initialized, to: readerEndpoint) == 202)
        for i in 0..<3 {
            #expect(try await post(details("small_legacy", id: 10 + i), to: readerEndpoint) == 202)
            await reader.read(timeout: Deadline.event) { $0.components(separatedBy: "event: message\n").count - 1 >= 2 + i }
        }
        #expect(messages() == 4, "the reading client got every answer")
        let answer = reader.body.components(separatedBy: "event: message\n").last ?? ""
        #expect(answer.utf8.count > limit && answer.contains("small_legacy"), "each answer is larger than the limit")
        #expect(try await post(#"{"jsonrpc":"2.0","id":99,"method":"ping"}"#, to: readerEndpoint) == 202, "and its session lives on")
        let before = Self.memory(pid)

        // The attack as found: open GET /sse, read the endpoint, then never read again while answers pile up.
        let (stream, endpoint) = try await open()
        let sessionID = try #require(endpoint.split(separator: "=").last.map(String.init))
        #expect(try await post(HostileMessages.initialize, to: endpoint) == 202)
        #expect(try await post(initialized, to: endpoint) == 202)

        // Each answer is about 2 MB; 100 of them held would be far past the memory bound. The calls are spaced a
        // little so that the server answers them about as they come (the pause is pacing, not a verdict).
        let calls = 100
        var accepted = 0
        var refused: Int?
        for i in 0..<calls {
            let status = try await post(details("big_legacy", id: 10 + i), to: endpoint)
            if status == 202 {
                accepted += 1
                try await Task.sleep(for: .milliseconds(50))
                continue
            }
            refused = status
            break
        }
        let after = Self.memory(pid)
        print("""
            legacy SSE client that does not read: \(accepted) calls accepted before the session was dropped (refused with \
            \(refused.map(String.init) ?? "nothing")); server VmRSS \(Self.mebibytes(before)) before, \(Self.mebibytes(after)) after, \
            peak VmHWM \(Self.mebibytes(Self.memory(pid, "VmHWM")))
            """)
        let status = try #require(refused, "all \(calls) calls were accepted: the session that does not read was never dropped")
        #expect(status == 404)
        try await server.stderr.wait(timeout: Deadline.event, "the drop logged with the session id") { lines in
            lines.contains { $0.contains(sessionID) && $0.contains("max_unsent_bytes") }
        }
        #expect(server.stderr.lines.contains { $0.contains(sessionID) && $0.contains("notice") }, "logged at notice level")
        #expect(try #require(after) < Self.residentBound, "VmRSS \(Self.mebibytes(after)) after the attack")
        // The server closed the stream of the client it dropped (reading now drains what the kernel held, then EOF).
        #expect(await stream.read(timeout: Deadline.event), "the dropped client's stream was closed")
        // The server still serves others.
        var other = StreamableClient(port: port)
        #expect(try await other.initialize().status == 200)
        #expect(server.process.isRunning)
    }

    @Test("a streamable-HTTP session stores at most mcp.max_stored_event_bytes of events for Last-Event-ID")
    func storedEventsAreBoundedInBytes() async throws {
        let limit = 4 << 20
        let (server, port) = try await FluxServerProcess.http(environment: ["FLUX_MCP__MAX_STORED_EVENT_BYTES": String(limit)])
        defer { server.stop() }
        let pid = server.process.processIdentifier
        try await Self.upload(Self.bigDocument(name: "big_stored", bytes: 900_000), port: port)
        let before = Self.memory(pid)

        var client = StreamableClient(port: port)
        _ = try await client.initialize()
        let session = try #require(client.sessionID)
        // Each answer (about 2 MB) is read in full; the default count limit (1,000 events) would store them all.
        var answers: [(id: Int, bytes: Int)] = []
        for i in 0..<100 {
            let response = try await client.callTool("get_workflow_details", ["workflow_name": "big_stored"], id: 10 + i)
            let lines = response.body.split(separator: "\n")
            guard response.status == 200, let idLine = lines.first(where: { $0.hasPrefix("id: ") }), let id = Int(idLine.dropFirst(4)),
                  let data = lines.first(where: { $0.hasPrefix("data: ") }) else {
                throw TestFailure("call \(i): \(response.status) \(response.body.prefix(300))")
            }
            answers.append((id, data.utf8.count - 6))
        }
        let after = Self.memory(pid)

        // Which answers can still be resumed: a stored event id answers 200 (its stream, which the answer ended), an
        // evicted one 400.
        var stored: [(id: Int, bytes: Int)] = []
        for answer in answers {
            let resumed = try await client.http.send(client.http.request("GET", "/mcp", headers: [
                "Accept": "text/event-stream", "Mcp-Session-Id": session, "Last-Event-ID": String(answer.id)]), until: { _ in true })
            switch resumed.status {
            case 200: stored.append(answer)
            case 400: break
            default: Issue.record("resuming after event \(answer.id): \(resumed.status) \(resumed.body.prefix(300))")
            }
        }
        let storedBytes = stored.reduce(0) { $0 + $1.bytes }
        print("""
            streamable HTTP, 100 answers of \(answers[0].bytes) bytes: \(stored.count) still stored (\(storedBytes) bytes, limit \(limit)); \
            server VmRSS \(Self.mebibytes(before)) before, \(Self.mebibytes(after)) after, peak VmHWM \(Self.mebibytes(Self.memory(pid, "VmHWM")))
            """)
        #expect(storedBytes <= limit, "\(stored.count) events of \(storedBytes) bytes are stored")
        #expect(stored.last?.id == answers.last?.id, "the newest event is kept")
        #expect(stored.count >= 1 && stored.count < answers.count, "the oldest events were evicted first")
        #expect(stored.map(\.id) == answers.suffix(stored.count).map(\.id), "the stored events are the newest ones")
        #expect(try #require(after) < Self.residentBound, "VmRSS \(Self.mebibytes(after)) after 100 large answers")
    }
}
