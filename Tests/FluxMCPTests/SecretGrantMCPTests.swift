import Foundation
import Testing

/// Using a secret is a grant (issue #15, item 1) over MCP: over stdio only a server configured with
/// `security.trusted_local_operator` may upload a document that requests secrets, and only it sees which secrets a
/// workflow requests; over HTTP no client may, whatever the configuration.
@Suite("secret grants over MCP")
struct SecretGrantMCPTests {
    static let exfiltrate = """
        flux: 1
        name: exfiltrate
        secrets: [API_KEY]
        steps:
          - id: spaced
            set: "${{ split(secrets.API_KEY, '') }}"
        """

    static func messages(_ server: FluxServerProcess) -> [[String: Any]] {
        server.stdout.lines.compactMap { (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any] }
    }

    static func call(_ server: FluxServerProcess, _ id: Int, _ method: String, _ params: [String: Any]) async throws -> [String: Any] {
        server.send(HostileMessages.json(["jsonrpc": "2.0", "id": id, "method": method, "params": params]))
        try await server.stdout.wait(timeout: Deadline.event, "the answer to \(id)") { lines in lines.contains { $0.contains("\"id\":\(id),") } }
        return try #require(messages(server).first { ($0["id"] as? Int) == id })
    }

    static func stdio(in directory: URL, trusted: Bool?) async throws -> FluxServerProcess {
        var environment: [String: String] = [:]
        if let trusted { environment["FLUX_SECURITY__TRUSTED_LOCAL_OPERATOR"] = String(trusted) }
        let server = try FluxServerProcess(arguments: ["--transport", "stdio"], environment: environment, directory: directory)
        server.send(HostileMessages.initialize)
        try await server.stdout.wait(timeout: Deadline.startUp, "the initialize result") { lines in lines.contains { $0.contains("\"id\":1,") } }
        server.send(#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#)
        return server
    }

    static func upload(_ server: FluxServerProcess, _ id: Int) async throws -> [String: Any] {
        try await call(server, id, "tools/call", ["name": "upload_workflow", "arguments": ["file_content": exfiltrate, "source_name": "x.yaml"]])
    }

    @Test("stdio: refused unless trusted, and secret names shown only when trusted")
    func stdio() async throws {
        let directory = try Paths.temporaryDirectory("grants")

        // No token, no flag: the upload is a tool error naming the secret and the setting; nothing is registered.
        let untrusted = try await Self.stdio(in: directory, trusted: nil)
        let refused = try await Self.upload(untrusted, 2)
        #expect(refused[path: "result", "isError"] as? Bool == true, "\(refused)")
        #expect(refused[path: "result", "structuredContent", "error_code"] as? String == "forbidden", "\(refused)")
        let message = refused[path: "result", "structuredContent", "error"] as? String ?? ""
        #expect(message.contains("API_KEY") && message.contains("security.trusted_local_operator"), "\(message)")
        let listed = try await Self.call(untrusted, 3, "tools/call", ["name": "list_workflows", "arguments": [:]])
        #expect(listed[path: "result", "structuredContent", "count"] as? Int == 0, "\(listed)")
        _ = await untrusted.terminate()

        // Trusted by configuration: accepted, and the details name the secret.
        let trusted = try await Self.stdio(in: directory, trusted: true)
        let accepted = try await Self.upload(trusted, 2)
        #expect(accepted[path: "result", "isError"] as? Bool == false, "\(accepted)")
        let details = try await Self.call(trusted, 3, "tools/call", ["name": "get_workflow_details", "arguments": ["workflow_name": "exfiltrate"]])
        #expect(details[path: "result", "structuredContent", "workflow", "secrets"] as? [String] == ["API_KEY"], "\(details)")
        let resource = try await Self.call(trusted, 4, "resources/read", ["uri": "flux://workflows/exfiltrate"])
        #expect(String(describing: resource).contains("secrets: [API_KEY]"), "\(resource)")
        _ = await trusted.terminate()

        // Untrusted again, on the same store: the workflow is listed and runnable, but nothing names its secret.
        let reader = try await Self.stdio(in: directory, trusted: false)
        let shown = try await Self.call(reader, 2, "tools/call", ["name": "get_workflow_details", "arguments": ["workflow_name": "exfiltrate"]])
        #expect(shown[path: "result", "isError"] as? Bool == false, "\(shown)")
        #expect(shown[path: "result", "structuredContent", "workflow", "steps"] as? [String] == ["spaced"], "\(shown)")
        #expect(!String(describing: shown).contains("API_KEY"), "\(shown)")
        let read = try await Self.call(reader, 3, "resources/read", ["uri": "flux://workflows/exfiltrate"])
        #expect(read["error"] != nil, "\(read)")
        #expect(!String(describing: read).contains("secrets: [API_KEY]"), "\(read)")
        let resources = try await Self.call(reader, 4, "resources/list", [:])
        #expect(!String(describing: resources).contains("flux://workflows/exfiltrate"), "\(resources)")
        _ = await reader.terminate()
        try? FileManager.default.removeItem(at: directory)
    }

    @Test("streamable HTTP: refused even with trusted_local_operator and the MCP token")
    func http() async throws {
        let (server, port) = try await FluxServerProcess.http(environment: [
            "FLUX_SECURITY__TRUSTED_LOCAL_OPERATOR": "true", "FLUX_MCP__AUTH_TOKEN": "mcp-token-for-grant-tests",
        ])
        defer { server.stop() }
        var client = StreamableClient(port: port)
        let auth = ["Authorization": "Bearer mcp-token-for-grant-tests"]
        #expect(try await client.initialize(extraHeaders: auth).status == 200)
        let body = HostileMessages.json(["jsonrpc": "2.0", "id": 9, "method": "tools/call",
                                         "params": ["name": "upload_workflow", "arguments": ["file_content": Self.exfiltrate]]])
        let reply = try await client.post(body, headers: auth)
        #expect(reply.status == 200, "\(reply.body.prefix(500))")
        let result = reply.events.last
        #expect(result?[path: "result", "isError"] as? Bool == true, "\(reply.body.prefix(500))")
        #expect(result?[path: "result", "structuredContent", "error_code"] as? String == "forbidden", "\(reply.body.prefix(500))")
    }
}
