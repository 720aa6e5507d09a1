import Flux
@testable import FluxMCP
import FluxService
import Foundation
import Hummingbird
import Logging
import MCP
import ServiceLifecycle
import Synchronization
import Testing

/// A service on a private store in a temporary directory.
func makeService() async throws -> (FluxService, URL) {
    let directory = try Paths.temporaryDirectory("service")
    let service = try await FluxService.open(configuration: FluxConfiguration(home: directory.appendingPathComponent(".flux").path))
    return (service, directory)
}

@Suite("in process")
struct InProcessTests {
    @Test("mcp-manifest.json lists exactly the tools the server lists, with the same descriptions")
    func manifestMatchesServer() async throws {
        let (service, directory) = try await makeService()
        defer { try? FileManager.default.removeItem(at: directory) }
        let mcp = FluxMCPServer(service: service)
        let tools = await mcp.listTools()
        let data = try Data(contentsOf: Paths.root.appendingPathComponent("mcp-manifest.json"))
        let manifest = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(manifest["name"] as? String == mcp.options.name)
        #expect(manifest["version"] as? String == FluxMCPServer.version)
        #expect(manifest["args"] as? [String] == ["start", "mcp", "--transport", "stdio"])
        let listed = try #require(manifest["tools"] as? [[String: String]])
        #expect(listed.map { $0["name"] ?? "" } == tools.map(\.name), "regenerate mcp-manifest.json (see docs/mcp.md)")
        for tool in tools {
            let entry = listed.first { $0["name"] == tool.name }
            #expect(entry?["description"] == tool.description, "the manifest's description of \(tool.name) differs from the server's")
        }
        let prompts = try #require(manifest["prompts"] as? [[String: String]])
        #expect(prompts.map { $0["name"] ?? "" } == mcp.prompts().map(\.name))
        // Every tool has both schemas, objects at the top.
        for tool in tools {
            #expect(tool.inputSchema.objectValue?["type"] == .string("object"), "\(tool.name) inputSchema")
            #expect(tool.outputSchema?.objectValue?["type"] == .string("object"), "\(tool.name) outputSchema")
            #expect((tool.description ?? "").count > 40, "\(tool.name) needs an actionable description")
        }
    }

    @Test("the embedded documents are the repository's (regenerate with Tests/FluxMCPTests/Scripts/embed_resources.py)")
    func embeddedResourcesAreCurrent() throws {
        var expected = ["docs/workflow-format.md", "docs/workflow.schema.json"]
        expected += try FileManager.default.contentsOfDirectory(atPath: Paths.examples.path)
            .filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") || $0.hasSuffix(".json") }.sorted().map { "examples/documents/" + $0 }
        #expect(EmbeddedResources.files.map(\.path) == expected, "run python3 Tests/FluxMCPTests/Scripts/embed_resources.py")
        for file in EmbeddedResources.files {
            let onDisk = try String(contentsOf: Paths.root.appendingPathComponent(file.path), encoding: .utf8)
            #expect(onDisk == file.text, "\(file.path) changed: run python3 Tests/FluxMCPTests/Scripts/embed_resources.py")
        }
    }

    @Test("a session keeps at most max_stored_events events; Last-Event-ID replays what is kept")
    func boundedEventStore() async throws {
        let transport = HTTPSessionTransport(sessionID: "s", maxStoredEvents: 5, maxMessageBytes: 1 << 20, logger: Logger(label: "test"))
        for i in 1...20 {
            try await transport.send(Data(#"{"jsonrpc":"2.0","method":"notifications/message","params":{"n":\#(i)}}"#.utf8))
        }
        #expect(await transport.storedEventCount == 5)
        guard case .status(let status, _, _) = await transport.get(lastEventID: "3") else {
            Issue.record("an evicted event id must be refused")
            return
        }
        #expect(status == 400)
        guard case .stream(let stream, _, _) = await transport.get(lastEventID: "17") else {
            Issue.record("a kept event id must replay")
            return
        }
        var replayed: [String] = []
        for try await chunk in stream {
            replayed.append(String(decoding: chunk, as: UTF8.self))
            if replayed.count == 3 { break }
        }
        #expect(replayed.map { $0.split(separator: "\n").first.map(String.init) ?? "" } == ["id: 18", "id: 19", "id: 20"])
        #expect(await transport.isIdle(for: .seconds(3600)) == false)
        await transport.terminate()
        #expect(await transport.storedEventCount == 0)
    }

    @Test("MCPHTTPHandler mounts on any router; SSE streams get ': ping' heartbeats; shutdown closes them")
    func mountedHandler() async throws {
        let (service, directory) = try await makeService()
        defer { try? FileManager.default.removeItem(at: directory) }
        let mcp = FluxMCPServer(service: service)
        var configuration = MCPHTTPHandler.Configuration()
        configuration.heartbeatInterval = .milliseconds(100)
        let handler = MCPHTTPHandler(mcp: mcp, configuration: configuration)
        let router = Router()
        router.get("/health") { _, _ in "ok" }
        handler.addRoutes(to: router)
        let port = Mutex<Int?>(nil)
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                              onServerRunning: { channel in port.withLock { $0 = channel.localAddress?.port } })
        let group = ServiceGroup(configuration: .init(services: [app, handler.sessionService], logger: Logger(label: "test")))
        let running = Task { try await group.run() }
        var bound: Int?
        let listeningBy = ContinuousClock.now + Deadline.startUp
        while bound == nil, ContinuousClock.now < listeningBy {
            try await Task.sleep(for: .milliseconds(10))
            bound = port.withLock { $0 }
        }
        let listening = try #require(bound, "the application did not listen within \(Deadline.startUp)")
        let http = RawHTTP(port: listening)
        let stream = try OpenConnection(port: listening, request: http.request("GET", "/sse", headers: ["Accept": "text/event-stream", "Connection": "keep-alive"]))
        await stream.read(timeout: Deadline.event) { $0.components(separatedBy: ": ping").count >= 3 }
        #expect(stream.body.hasPrefix("event: endpoint\ndata: /messages?sessionId="))
        #expect(stream.body.components(separatedBy: ": ping").count >= 3, "heartbeats: \(stream.body)")
        #expect(await handler.sessionCounts().sse == 1)
        #expect(try await http.send(http.request("GET", "/health")).body == "ok")

        let start = ContinuousClock.now
        await group.triggerGracefulShutdown()
        // Bounded: a shutdown that waits for the open stream must fail the test, not hang the run. How fast it ends is
        // a figure for a benchmark.
        let done = Mutex(false)
        Task {
            _ = try? await running.value
            done.withLock { $0 = true }
        }
        var stopped = false
        let stoppedBy = ContinuousClock.now + Deadline.exit
        while !stopped, ContinuousClock.now < stoppedBy {
            try await Task.sleep(for: .milliseconds(10))
            stopped = done.withLock { $0 }
        }
        #expect(stopped, "graceful shutdown did not finish within \(Deadline.exit)")
        print("the graceful shutdown with an open SSE stream took \(ContinuousClock.now - start)")
        #expect(await stream.read(timeout: Deadline.event), "the stream was closed")
        #expect(await handler.sessionCounts() == (0, 0))
    }

    @Test("a sync call past the wait limit answers RUNNING and the execution goes on")
    func syncWaitLimit() async throws {
        let (service, directory) = try await makeService()
        defer { try? FileManager.default.removeItem(at: directory) }
        // A limit far below the run's hour and long enough for the run's first commit (which the answer reads) on a
        // busy machine.
        let mcp = FluxMCPServer(service: service, options: FluxMCPOptions(syncWaitLimit: .seconds(5)))
        let server = await mcp.makeServer()
        let reference = ServerReference(server)
        let document = try String(contentsOf: Paths.examples.appendingPathComponent("cancellation.yaml"), encoding: .utf8)
        let upload = try await mcp.callTool(.init(name: "upload_workflow", arguments: ["file_content": .string(document)]), server: reference)
        #expect(upload.isError == false)
        // The run sleeps an hour: an answer saying RUNNING means the call did not wait for it.
        let run = try await mcp.callTool(.init(name: "execute_workflow_sync", arguments: ["workflow_name": "cancellation"]), server: reference)
        let summary = try #require(run.structuredContent?.objectValue)
        #expect(summary["state"] == "RUNNING")
        #expect(summary["message"]?.stringValue?.contains("get_execution_status") == true)
        let id = try #require(summary["execution_id"]?.stringValue)
        #expect(try await service.status(workflow: nil, executionID: id).record.state == .running)
        let cancel = try await mcp.callTool(.init(name: "cancel_execution", arguments: [
            "workflow_name": "cancellation", "execution_id": .string(id), "mode": "sync"]), server: reference)
        #expect(cancel.structuredContent?.objectValue?["status"] == "CANCELLED")
        // Unknown namespaces and arguments are tool errors that say what is accepted.
        let namespaced = try await mcp.callTool(.init(name: "list_workflows", arguments: ["workflow_namespace": "other"]), server: reference)
        #expect(namespaced.isError == true)
        let ok = try await mcp.callTool(.init(name: "list_workflows", arguments: ["workflow_namespace": "default"]), server: reference)
        #expect(ok.isError == false)
        await mcp.closed(server)
    }

    @Test("input_data: JSON values, strings holding JSON, and plain text")
    func inputData() {
        let args = ToolArguments(tool: "t", values: [
            "object": ["a": 1], "json": .string("{\"a\": 1}"), "text": .string("World"), "quoted": .string("\"World\""),
        ])
        #expect(args.input("object") == ["a": 1])
        #expect(args.input("json") == ["a": 1])
        #expect(args.input("text") == "World")
        #expect(args.input("quoted") == "World")
        #expect(args.input("missing") == .null)
    }
}
