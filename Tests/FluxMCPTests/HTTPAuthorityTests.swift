import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The bearer scheme, `Origin` and `Host` as a hostile page or client sends them to `flux start mcp` over HTTP.
@Suite("HTTP authority checks")
struct HTTPAuthorityTests {
    @Test("the Bearer scheme is matched case-insensitively (RFC 7235)")
    func bearerSchemeIgnoresCase() async throws {
        let (server, port) = try await FluxServerProcess.http(environment: ["FLUX_MCP__AUTH_TOKEN": "s3cret"])
        defer { server.stop() }
        for scheme in ["Bearer", "bearer", "BEARER", "bEARER"] {
            var client = StreamableClient(port: port)
            let reply = try await client.initialize(extraHeaders: ["Authorization": "\(scheme) s3cret"])
            #expect(reply.status == 200, "\(scheme): \(reply.body)")
            #expect(client.sessionID != nil)
        }
        for refused in ["bearer wrong", "Basic s3cret", "s3cret", "Bearer", "Bearers3cret", "Bearer s3cret2"] {
            var client = StreamableClient(port: port)
            #expect(try await client.initialize(extraHeaders: ["Authorization": refused]).status == 401, "\(refused)")
        }
    }

    @Test("an address literal followed by more text is no local origin and no host of this server")
    func bracketTricksAreRefused() async throws {
        let (server, port) = try await FluxServerProcess.http()
        defer { server.stop() }
        for origin in ["http://[::1].evil.example", "http://[::1]evil.example", "http://[::1]evil.example:\(port)",
                       "https://[::1]@evil.example", "http://localhost.evil.example", "http://127.0.0.1.evil.example"] {
            var client = StreamableClient(port: port)
            let reply = try await client.initialize(extraHeaders: ["Origin": origin])
            #expect(reply.status == 403, "Origin \(origin): \(reply.status) \(reply.body)")
        }
        for host in ["[::1]evil.example", "[::1].evil.example", "[::1]evil.example:\(port)", "[::1]:\(port)x", "localhost:\(port):1",
                     "127.0.0.1.evil.example:\(port)"] {
            var client = StreamableClient(port: port)
            let reply = try await client.initialize(extraHeaders: ["Host": host])
            #expect(reply.status == 421, "Host \(host): \(reply.status) \(reply.body)")
        }
        // The real loopback forms still pass.
        for headers in [["Origin": "http://[::1]:5173"], ["Host": "[::1]:\(port)"], ["Host": "[::1]"], ["Origin": "http://127.0.0.1:\(port)"]] {
            var client = StreamableClient(port: port)
            #expect(try await client.initialize(extraHeaders: headers).status == 200, "\(headers)")
        }
    }

    @Test("bound to every interface without a token: a warning, and Host is still checked", .timeLimit(Deadline.wholeTest))
    func wildcardBind() async throws {
        let server = try await Self.wildcardServer()
        defer { server.stop() }
        let log = server.stderr.lines.joined(separator: "\n")
        #expect(log.contains("every interface"), "\(log)")
        #expect(log.contains("mcp.auth_token"), "\(log)")
        guard let line = server.stderr.lines.first(where: { $0.contains("listening on http://") }),
              let portText = line.split(separator: ":").last?.split(separator: "/").first, let port = Int(portText) else {
            throw TestFailure("no port in \(server.stderr.lines)")
        }
        var machine = [CChar](repeating: 0, count: 256)
        _ = gethostname(&machine, 255)
        for (host, status) in [("evil.example", 421), ("evil.example:\(port)", 421), ("[::1]evil.example", 421),
                               ("127.0.0.1:\(port)", 200), ("localhost", 200), ("192.0.2.10:\(port)", 200),
                               ("[2001:db8::1]:\(port)", 200), ("\(String(cString: machine)):\(port)", 200)] {
            var client = StreamableClient(port: port)
            let reply = try await client.initialize(extraHeaders: ["Host": host])
            #expect(reply.status == status, "Host \(host): \(reply.status) \(reply.body)")
        }
        #expect(await server.terminate())

        let guarded = try await Self.wildcardServer(environment: ["FLUX_MCP__AUTH_TOKEN": "s3cret"])
        defer { guarded.stop() }
        #expect(!guarded.stderr.lines.contains { $0.contains("every interface") }, "\(guarded.stderr.lines)")
        #expect(await guarded.terminate())
    }

    /// `flux start mcp` on streamable HTTP bound to every interface, once it says where it listens (at most
    /// ``Deadline/startUp``, counted once ``StartGate`` lets it start).
    static func wildcardServer(environment: [String: String] = [:]) async throws -> FluxServerProcess {
        try await StartGate.starting {
            let server = try FluxServerProcess(arguments: ["--transport", "streamable-http", "--host", "0.0.0.0", "--port", "0"],
                                               environment: environment)
            do {
                try await server.stderr.wait(timeout: Deadline.startUp, "the listening line") { lines in
                    lines.contains { $0.contains("listening on http://") } || !server.process.isRunning
                }
            } catch {
                server.stop()
                throw TestFailure("flux start mcp did not say where it listens within \(Deadline.startUp); stderr: \(server.stderr.text)")
            }
            return server
        }
    }
}
