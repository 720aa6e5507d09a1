import Foundation
import Testing

/// `--workflow-tools`: one tool per registered workflow, and `notifications/tools/list_changed` when the
/// catalog changes through upload_workflow or delete_workflow.
@Suite("per-workflow tools")
struct WorkflowToolsTests {
    static func messages(_ server: FluxServerProcess) -> [[String: Any]] {
        server.stdout.lines.compactMap { (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any] }
    }

    static func answer(_ server: FluxServerProcess, _ id: Int) async throws -> [String: Any] {
        try await server.stdout.wait(timeout: Deadline.event, "the answer to \(id)") { lines in lines.contains { $0.contains("\"id\":\(id),") } }
        return try #require(messages(server).first { ($0["id"] as? Int) == id })
    }

    static func send(_ server: FluxServerProcess, _ id: Int, _ method: String, _ params: [String: Any]) {
        server.send(HostileMessages.json(["jsonrpc": "2.0", "id": id, "method": method, "params": params]))
    }

    static func listChangedCount(_ server: FluxServerProcess) -> Int {
        messages(server).filter { $0["method"] as? String == "notifications/tools/list_changed" }.count
    }

    @Test("a tool per workflow, with its input schema, and list_changed on upload and delete")
    func workflowTools() async throws {
        let server = try FluxServerProcess(arguments: ["--transport", "stdio", "--workflow-tools"])
        defer { server.stop() }
        server.send(HostileMessages.initialize)
        let initialized = try await Self.answer(server, 1)
        #expect(initialized[path: "result", "capabilities", "tools", "listChanged"] as? Bool == true)
        server.send(#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#)

        for (id, file) in [(2, "hello_world.yaml"), (3, "nested_tasks.yaml")] {
            let document = try String(contentsOf: Paths.examples.appendingPathComponent(file), encoding: .utf8)
            Self.send(server, id, "tools/call", ["name": "upload_workflow", "arguments": ["file_content": document]])
            _ = try await Self.answer(server, id)
        }
        try await server.stdout.wait(timeout: Deadline.event, "list_changed") { _ in Self.listChangedCount(server) >= 2 }

        Self.send(server, 4, "tools/list", [:])
        let tools = try await Self.answer(server, 4)[path: "result", "tools"] as? [[String: Any]] ?? []
        let hello = try #require(tools.first { $0["name"] as? String == "hello_world" })
        #expect(hello[path: "inputSchema", "properties", "input", "type"] as? String == "string")
        #expect(hello[path: "inputSchema", "required"] as? [String] == ["input"])
        let nested = try #require(tools.first { $0["name"] as? String == "nested_tasks" })
        #expect(nested[path: "inputSchema", "properties", "words", "type"] as? String == "array")
        #expect(tools.contains { $0["name"] as? String == "list_workflows" })

        Self.send(server, 5, "tools/call", ["name": "hello_world", "arguments": ["input": "Tool"], "_meta": ["progressToken": 5]])
        let run = try await Self.answer(server, 5)
        #expect(run[path: "result", "structuredContent", "output"] as? String == "Hello, Tool")
        #expect(Self.messages(server).contains { $0["method"] as? String == "notifications/progress" })

        Self.send(server, 6, "tools/call", ["name": "nested_tasks", "arguments": ["words": ["a", "bc"]]])
        let nestedRun = try await Self.answer(server, 6)
        #expect(nestedRun[path: "result", "structuredContent", "state"] as? String == "COMPLETED")

        Self.send(server, 7, "tools/call", ["name": "nested_tasks", "arguments": ["words": "not a list"]])
        let invalid = try await Self.answer(server, 7)
        #expect(invalid[path: "result", "isError"] as? Bool == true)

        let before = Self.listChangedCount(server)
        Self.send(server, 8, "tools/call", ["name": "delete_workflow", "arguments": ["workflow_name": "hello_world"]])
        _ = try await Self.answer(server, 8)
        try await server.stdout.wait(timeout: Deadline.event, "list_changed after delete") { _ in Self.listChangedCount(server) > before }
        Self.send(server, 9, "tools/list", [:])
        let after = try await Self.answer(server, 9)[path: "result", "tools"] as? [[String: Any]] ?? []
        #expect(!after.contains { $0["name"] as? String == "hello_world" })
        Self.send(server, 10, "tools/call", ["name": "hello_world", "arguments": ["input": "gone"]])
        let gone = try await Self.answer(server, 10)
        #expect(gone[path: "error", "code"] as? Int == -32602)
    }
}
