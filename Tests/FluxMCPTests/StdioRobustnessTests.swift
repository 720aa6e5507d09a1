import Foundation
import Testing

/// A thousand malformed and hostile messages over stdio: each gets the JSON-RPC error (or tool error) it
/// should, none gets an answer it should not, and the server keeps answering afterwards.
@Suite("stdio robustness")
struct StdioRobustnessTests {
    static let limit = 1 << 20

    static func answers(_ server: FluxServerProcess) -> [[String: Any]] {
        server.stdout.lines.compactMap { line in
            guard let object = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any] else { return nil }
            return object["method"] == nil ? object : nil  // leave out the server's notifications
        }
    }

    @Test("1,000 hostile messages, then normal service")
    func hostileMessages() async throws {
        let server = try FluxServerProcess(arguments: ["--transport", "stdio"], environment: ["FLUX_SECURITY__MAX_BODY_BYTES": String(Self.limit)])
        defer { server.stop() }

        // Before initialize.
        let early = HostileMessages.beforeInitialize()
        for message in early { server.send(message.body + Data("\n".utf8)) }
        try await server.stdout.wait(timeout: Deadline.event, "answers before initialize") { _ in Self.answers(server).count >= answerCount(early) }
        var problems = compare(expected: early, answers: Self.answers(server))
        #expect(problems.isEmpty, "before initialize: \(problems.prefix(10))")

        server.send(HostileMessages.initialize)
        server.send(#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#)
        try await server.stdout.wait(timeout: Deadline.event, "the initialize result") { lines in lines.contains { $0.contains("\"id\":1,") && $0.contains("protocolVersion") } }
        let before = Self.answers(server).count

        var generator = HostileMessages(seed: 20_261_126)
        var messages: [HostileMessage] = []
        for i in 0..<1000 {
            let message = generator.message(i, oversized: Self.limit + 1000)
            messages.append(message)
            server.send(message.body + Data("\n".utf8))
        }
        let expectedCount = before + answerCount(messages)
        try await server.stdout.wait(timeout: Deadline.event, "answers to the hostile messages") { _ in Self.answers(server).count >= expectedCount }
        // A moment for any answer that should not come.
        try await Task.sleep(for: .milliseconds(300))
        let answers = Array(Self.answers(server).dropFirst(before))
        problems = compare(expected: messages, answers: answers)
        #expect(problems.isEmpty, "\(problems.count) problems: \(problems.prefix(10))")
        #expect(answers.count == answerCount(messages))

        // Still answering, and still correct.
        server.send(#"{"jsonrpc":"2.0","id":"after","method":"tools/call","params":{"name":"health_check","arguments":{}}}"#)
        try await server.stdout.wait(timeout: Deadline.event, "health_check after the storm") { lines in lines.contains { $0.contains("\"id\":\"after\"") } }
        let health = Self.answers(server).first { ($0["id"] as? String) == "after" }
        #expect((health?[path: "result", "structuredContent", "status"] as? String) == "healthy")
        #expect(server.process.isRunning)
    }

    @Test("notifications/cancelled stops only the waiting: the run goes on")
    func cancelStopsWaitingOnly() async throws {
        let server = try FluxServerProcess(arguments: ["--transport", "stdio"])
        defer { server.stop() }
        server.send(HostileMessages.initialize)
        server.send(#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#)
        let document = try String(contentsOf: Paths.examples.appendingPathComponent("cancellation.yaml"), encoding: .utf8)
        server.send(HostileMessages.json(["jsonrpc": "2.0", "id": 2, "method": "tools/call",
                                          "params": ["name": "upload_workflow", "arguments": ["file_content": document]]]))
        try await server.stdout.wait(timeout: Deadline.event, "the upload") { lines in lines.contains { $0.contains("\"id\":2,") } }
        server.send(#"{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"execute_workflow_sync","arguments":{"workflow_name":"cancellation"}}}"#)
        // Wait until the execution exists, then cancel the request.
        var executionID: String?
        let deadline = ContinuousClock.now + Deadline.event
        while executionID == nil, ContinuousClock.now < deadline {
            server.send(#"{"jsonrpc":"2.0","id":"list","method":"tools/call","params":{"name":"list_executions","arguments":{"workflow_name":"cancellation"}}}"#)
            try await Task.sleep(for: .milliseconds(50))
            let lists = Self.answers(server).filter { ($0["id"] as? String) == "list" }
            executionID = lists.lazy.compactMap { ($0[path: "result", "structuredContent", "executions"] as? [[String: Any]])?.first?["execution_id"] as? String }.first
        }
        let id = try #require(executionID, "no execution of cancellation within \(Deadline.event); stderr: \(server.stderr.text)")
        server.send(#"{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":3,"reason":"user gave up"}}"#)
        try await Task.sleep(for: .milliseconds(500))
        server.send(HostileMessages.json(["jsonrpc": "2.0", "id": 4, "method": "tools/call", "params": [
            "name": "get_execution_status", "arguments": ["workflow_name": "cancellation", "execution_id": id]]]))
        try await server.stdout.wait(timeout: Deadline.event, "the status") { lines in lines.contains { $0.contains("\"id\":4,") } }
        let status = Self.answers(server).first { ($0["id"] as? Int) == 4 }
        #expect((status?[path: "result", "structuredContent", "state"] as? String) == "RUNNING")
        #expect(!Self.answers(server).contains { ($0["id"] as? Int) == 3 }, "a cancelled request gets no answer")
        // It can still be cancelled for real.
        server.send(HostileMessages.json(["jsonrpc": "2.0", "id": 5, "method": "tools/call", "params": [
            "name": "cancel_execution", "arguments": ["workflow_name": "cancellation", "execution_id": id, "mode": "sync"]]]))
        try await server.stdout.wait(timeout: Deadline.event, "the cancellation") { lines in lines.contains { $0.contains("\"id\":5,") } }
        let cancelled = Self.answers(server).first { ($0["id"] as? Int) == 5 }
        #expect((cancelled?[path: "result", "structuredContent", "status"] as? String) == "CANCELLED")
    }

    @Test("standard output carries only protocol messages")
    func stdoutIsProtocolOnly() async throws {
        let server = try FluxServerProcess(arguments: ["--transport", "stdio"])
        defer { server.stop() }
        server.send(HostileMessages.initialize)
        server.send(#"{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"health_check","arguments":{}}}"#)
        try await server.stdout.wait(timeout: Deadline.event, "two answers") { $0.count >= 2 }
        try server.stdin.fileHandleForWriting.close()
        try await server.stdout.wait(timeout: Deadline.event, "the end of output") { _ in server.stdout.closed }
        for line in server.stdout.lines {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            #expect(object?["jsonrpc"] as? String == "2.0", "not a JSON-RPC message on stdout: \(line.prefix(200))")
        }
        #expect(server.stderr.lines.contains { $0.contains("serving on standard input and output") }, "logs go to stderr")
    }
}
