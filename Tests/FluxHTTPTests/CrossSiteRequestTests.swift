import FluxCore
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// What a web page in the operator's browser can do to a `flux start server` on the same machine: post a simple
/// cross-site request (no CORS preflight), send a foreign `Origin`, or rebind a DNS name to 127.0.0.1 so that its
/// requests carry `Host: evil.example`. Each request is written byte for byte on a socket, as a browser would send
/// it (URLSession would add its own Content-Type and Host).
@Suite struct CrossSiteRequestTests {
    static var hello: String { get throws { try TestPaths.example("hello_world.yaml") } }

    /// This machine's name as `gethostname` reports it.
    static var machineName: String {
        var buffer = [CChar](repeating: 0, count: 256)
        _ = gethostname(&buffer, 255)
        return String(cString: buffer)
    }

    @Test func simpleCrossSiteBodiesAreRefusedAndChangeNothing() async throws {
        let server = try await ServerProcess()
        let wire = CrossSiteWire(port: server.port)
        let document = Data(try TestPaths.example("hello_world.yaml").utf8)

        // The three content types an HTML form (or a no-cors fetch) may send without a preflight, and none at all.
        for contentType in ["text/plain", "text/plain;charset=UTF-8", "application/x-www-form-urlencoded", nil] {
            var headers: [String: String] = [:]
            if let contentType { headers["Content-Type"] = contentType }
            let reply = try await wire.send("POST", "/workflows", headers: headers, body: document)
            #expect(reply.status == 415, "\(contentType ?? "no Content-Type"): \(reply.body)")
            #expect(reply.errorCode == "unsupported_media_type")
            #expect(reply.body.contains("application/yaml"), "the message names the expected type: \(reply.body)")
        }
        #expect(try await wire.send("GET", "/workflows").json == [], "nothing was registered")

        // The real registration still works, as YAML, as JSON and as the original's multipart upload.
        #expect(try await wire.send("POST", "/workflows", headers: ["Content-Type": "application/yaml"], body: document).status == 200)
        let boundary = "flux-cross-site"
        let upload = try await wire.send("POST", "/workflows", headers: ["Content-Type": "multipart/form-data; boundary=\(boundary)"],
                                         body: multipartBody(field: "file", filename: "hello.yaml", content: try Self.hello, boundary: boundary))
        #expect(upload.status == 200, "\(upload.body)")

        // A run whose body is read as JSON needs Content-Type: application/json.
        for contentType in ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", nil] {
            var headers: [String: String] = [:]
            if let contentType { headers["Content-Type"] = contentType }
            let reply = try await wire.send("POST", "/workflows/hello_world/run/sync", headers: headers, body: Data("\"World\"".utf8))
            #expect(reply.status == 415, "\(contentType ?? "no Content-Type"): \(reply.body)")
            #expect(reply.body.contains("application/json"), "\(reply.body)")
        }
        #expect(try await wire.send("GET", "/executions").json["executions"] == [], "nothing ran")

        let run = try await wire.send("POST", "/workflows/hello_world/run/sync", headers: ["Content-Type": "application/json; charset=utf-8"],
                                      body: Data("\"World\"".utf8))
        #expect(run.status == 200, "\(run.body)")
        #expect(run.json["output"] == "Hello, World")
        let structured = try await wire.send("POST", "/workflows/hello_world/run/sync", headers: ["Content-Type": "application/vnd.flux+json"],
                                             body: Data("\"Ada\"".utf8))
        #expect(structured.json["output"] == "Hello, Ada", "\(structured.body)")
        // No body at all needs no Content-Type: the input is null (which hello_world's input schema then refuses).
        let empty = try await wire.send("POST", "/workflows/hello_world/run/sync")
        #expect(empty.status == 400, "\(empty.body)")
        #expect(empty.errorCode == "invalid_input")
        try await server.stop()
    }

    @Test func aForeignOriginIsRefusedOnEveryRoute() async throws {
        let server = try await ServerProcess()
        let wire = CrossSiteWire(port: server.port)
        let yaml = ["Content-Type": "application/yaml"]
        let document = Data(try TestPaths.example("hello_world.yaml").utf8)

        for origin in ["https://evil.example", "null", "http://[::1].evil.example", "http://[::1]evil.example:8000",
                       "http://localhost.evil.example", "file://"] {
            let get = try await wire.send("GET", "/executions", headers: ["Origin": origin])
            #expect(get.status == 403, "GET with Origin \(origin): \(get.body)")
            #expect(get.errorCode == "forbidden_origin")
            let post = try await wire.send("POST", "/workflows", headers: yaml.merging(["Origin": origin]) { $1 }, body: document)
            #expect(post.status == 403, "POST with Origin \(origin): \(post.body)")
            let unknown = try await wire.send("GET", "/no/such/route", headers: ["Origin": origin])
            #expect(unknown.status == 403, "before the router answers 404: \(unknown.body)")
        }
        // The multipart upload a cross-site form can post carries the page's Origin: refused.
        let boundary = "evil"
        let form = try await wire.send("POST", "/workflows", headers: ["Content-Type": "multipart/form-data; boundary=\(boundary)",
                                                                       "Origin": "https://evil.example"],
                                       body: multipartBody(field: "file", filename: "x.yaml", content: try Self.hello, boundary: boundary))
        #expect(form.status == 403)
        #expect(try await wire.send("GET", "/workflows").json == [], "nothing was registered")

        // Local pages and the server's own origin pass.
        for origin in ["http://localhost:5173", "http://127.0.0.1:3000", "http://[::1]:8080", "https://localhost",
                       "http://127.0.0.1:\(server.port)"] {
            let reply = try await wire.send("POST", "/workflows", headers: yaml.merging(["Origin": origin]) { $1 }, body: document)
            #expect(reply.status == 200, "Origin \(origin): \(reply.body)")
        }
        try await server.stop()
    }

    @Test func aHostNotNamingTheServerIsRefused() async throws {
        let server = try await ServerProcess()
        let wire = CrossSiteWire(port: server.port)
        for host in ["evil.example", "evil.example:\(server.port)", "[::1]evil.example", "[::1].evil.example:\(server.port)",
                     "127.0.0.1.evil.example", "localhost:\(server.port):1", "10.0.0.7:\(server.port)"] {
            let reply = try await wire.send("GET", "/executions", headers: ["Host": host])
            #expect(reply.status == 421, "Host \(host): \(reply.body)")
            #expect(reply.errorCode == "misdirected_request")
            #expect(try await wire.send("POST", "/workflows/x/run/async", headers: ["Host": host, "Content-Type": "application/json"],
                                        body: Data("1".utf8)).status == 421)
        }
        for host in ["127.0.0.1:\(server.port)", "localhost:\(server.port)", "LOCALHOST", "[::1]:\(server.port)"] {
            #expect(try await wire.send("GET", "/executions", headers: ["Host": host]).status == 200, "Host \(host)")
        }
        try await server.stop()
    }

    @Test func readsNeedTheTokenWhenOneIsSetAndTheSchemeIsCaseInsensitive() async throws {
        let server = try await ServerProcess(environment: ["FLUX_SECURITY__AUTH_TOKEN": "s3cret"])
        let wire = CrossSiteWire(port: server.port)
        let good = ["Authorization": "Bearer s3cret"]
        #expect(try await wire.send("POST", "/workflows", headers: good.merging(["Content-Type": "application/yaml"]) { $1 },
                                    body: Data(try TestPaths.example("hello_world.yaml").utf8)).status == 200)
        let run = try await wire.send("POST", "/workflows/hello_world/run/sync", headers: good.merging(["Content-Type": "application/json"]) { $1 },
                                      body: Data("\"World\"".utf8))
        let id = try #require(run.json["execution_id"]?.stringValue)

        let reads = ["/workflows", "/workflows/hello_world", "/workflows/hello_world/status/\(id)", "/executions",
                     "/executions/\(id)", "/executions/\(id)/events", "/executions/\(id)/stream", "/metrics", "/workers"]
        for path in reads {
            let missing = try await wire.send("GET", path)
            #expect(missing.status == 401, "GET \(path) without a token: \(missing.body)")
            #expect(missing.header("WWW-Authenticate") == "Bearer")
            #expect(!missing.body.contains("Hello, World"), "no output leaks")
            #expect(try await wire.send("GET", path, headers: ["Authorization": "Bearer wrong"]).status == 403, "GET \(path)")
            for scheme in ["Bearer", "bearer", "BEARER", "bEaReR"] {
                let reply = try await wire.send("GET", path, headers: ["Authorization": "\(scheme) s3cret"])
                #expect(reply.status == 200, "GET \(path) with \(scheme): \(reply.body)")
            }
        }
        #expect(try await wire.send("GET", "/executions/\(id)", headers: ["Authorization": "bearer s3cret"]).json["output"] == "Hello, World")
        // Supervisors' probes and the API's description stay open.
        for path in ["/health", "/ready", "/openapi.json", "/docs"] {
            #expect(try await wire.send("GET", path).status == 200, "GET \(path)")
        }
        try await server.stop()
    }

    @Test func allowedOriginsComeFromTheConfiguration() async throws {
        let server = try await ServerProcess(environment: ["FLUX_SECURITY__ALLOWED_ORIGINS": "https://ui.example.com, https://other.example.com:8443"])
        let wire = CrossSiteWire(port: server.port)
        let yaml = ["Content-Type": "application/yaml"]
        let document = Data(try TestPaths.example("hello_world.yaml").utf8)
        #expect(try await wire.send("POST", "/workflows", headers: yaml.merging(["Origin": "https://ui.example.com"]) { $1 }, body: document).status == 200)
        #expect(try await wire.send("GET", "/workflows", headers: ["Origin": "https://other.example.com:8443"]).status == 200)
        #expect(try await wire.send("GET", "/workflows", headers: ["Origin": "https://evil.example"]).status == 403)
        #expect(try await wire.send("GET", "/workflows", headers: ["Origin": "http://ui.example.com"]).status == 403, "the scheme counts")
        // Behind a reverse proxy that forwards the public name: the allowed origins' hosts name the server.
        #expect(try await wire.send("GET", "/workflows", headers: ["Host": "ui.example.com"]).status == 200)
        #expect(try await wire.send("GET", "/workflows", headers: ["Host": "ui.example.com:443", "Origin": "https://ui.example.com"]).status == 200)
        #expect(try await wire.send("GET", "/workflows", headers: ["Host": "evil.example"]).status == 421)
        try await server.stop()
    }

    @Test(.timeLimit(Deadline.wholeTest))
    func listeningOnEveryInterfaceWithoutATokenWarns() async throws {
        let open = try await WildcardServer.start(environment: [:])
        defer { open.kill() }
        #expect(open.stderr.contains("every interface"), "\(open.stderr)")
        #expect(open.stderr.contains("security.auth_token"), "\(open.stderr)")
        // Listening everywhere, it still checks Host: address literals and this machine's name pass, other names do not.
        let wire = CrossSiteWire(port: open.port)
        #expect(try await wire.send("GET", "/executions", headers: ["Host": "evil.example:\(open.port)"]).status == 421)
        #expect(try await wire.send("GET", "/executions", headers: ["Host": "192.0.2.10:\(open.port)"]).status == 200)
        #expect(try await wire.send("GET", "/executions", headers: ["Host": "[2001:db8::1]:\(open.port)"]).status == 200)
        #expect(try await wire.send("GET", "/executions", headers: ["Host": "\(Self.machineName):\(open.port)"]).status == 200)
        #expect(try await open.stop() == 0)

        let guarded = try await WildcardServer.start(environment: ["FLUX_SECURITY__AUTH_TOKEN": "s3cret"])
        defer { guarded.kill() }
        #expect(!guarded.stderr.contains("every interface"), "\(guarded.stderr)")
        #expect(try await guarded.stop() == 0)
    }
}

/// `flux start server --host 0.0.0.0 --port 0` in a directory of its own.
final class WildcardServer: @unchecked Sendable {
    let process = Process()
    let log = LogBuffer()
    let directory: URL
    private(set) var port = 0
    var stderr: String { log.text }

    private init() {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("flux-wildcard-\(UUID().uuidString)")
    }

    static func start(environment: [String: String]) async throws -> WildcardServer {
        let server = WildcardServer()
        try FileManager.default.createDirectory(at: server.directory, withIntermediateDirectories: true)
        server.process.executableURL = try TestPaths.flux
        server.process.arguments = ["start", "server", "--host", "0.0.0.0", "--port", "0"]
        server.process.currentDirectoryURL = server.directory
        server.process.environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("FLUX_") }.merging(environment) { $1 }
        server.log.capture(standardErrorOf: server.process)
        return try await StartGate.starting {
            try server.process.run()
            let deadline = ContinuousClock.now + Deadline.startUp
            while ContinuousClock.now < deadline {
                if let range = server.stderr.range(of: "listening on http://0.0.0.0:"),
                   let port = Int(server.stderr[range.upperBound...].prefix { $0.isNumber }) {
                    server.port = port
                    return server
                }
                if !server.process.isRunning { throw TestFailure("flux start server exited: \(server.stderr)") }
                try await Task.sleep(for: .milliseconds(20))
            }
            server.kill()
            throw TestFailure("flux start server --host 0.0.0.0 did not report its address within \(Deadline.startUp): \(server.stderr)")
        }
    }

    /// SIGTERM, then the exit status.
    func stop() async throws -> Int32 {
        process.terminate()
        let deadline = ContinuousClock.now + Deadline.exit
        while process.isRunning {
            if ContinuousClock.now > deadline { kill(); throw TestFailure("no exit within \(Deadline.exit) of SIGTERM: \(stderr)") }
            try await Task.sleep(for: .milliseconds(10))
        }
        return process.terminationStatus
    }

    func kill() {
        if process.isRunning { Glibc.kill(process.processIdentifier, SIGKILL) }
        try? FileManager.default.removeItem(at: directory)
    }
}

/// HTTP/1.1 requests written byte for byte on a loopback socket: the headers are exactly those given (plus `Host`
/// unless one is given, `Content-Length` for a body and `Connection: close`).
struct CrossSiteWire: Sendable {
    let port: Int

    struct Reply: Sendable {
        var status: Int
        var headers: [String: String]
        var body: String
        var json: JSONValue { (try? JSONValue(parsing: body)) ?? .null }
        var errorCode: String? { json["error"]?["code"]?.stringValue }
        func header(_ name: String) -> String? { headers[name.lowercased()] }
    }

    func send(_ method: String, _ path: String, headers: [String: String] = [:], body: Data? = nil) async throws -> Reply {
        var head = "\(method) \(path) HTTP/1.1\r\n"
        var all = headers
        if all["Host"] == nil { all["Host"] = "127.0.0.1:\(port)" }
        all["Connection"] = "close"
        if let body { all["Content-Length"] = String(body.count) }
        for (name, value) in all.sorted(by: { $0.key < $1.key }) { head += "\(name): \(value)\r\n" }
        var raw = Data((head + "\r\n").utf8)
        if let body { raw.append(body) }
        let port = self.port
        let bytes = raw
        // Blocking socket calls on a thread of their own, not on the concurrency pool.
        return try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(with: Result { try Self.exchange(bytes, port: port, isStream: path.hasSuffix("/stream")) })
            }
        }
    }

    /// Sends `raw` and reads until the server closes (or, for an event stream, until the first frames are in).
    static func exchange(_ raw: Data, port: Int, isStream: Bool) throws -> Reply {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestFailure("socket() failed") }
        defer { close(fd) }
        var timeout = timeval(tv_sec: 20, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw TestFailure("connect to port \(port) failed: errno \(errno)") }
        _ = raw.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        var received = Data()
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n <= 0 { break }
            received.append(contentsOf: buffer[0..<n])
            // An open event stream does not end by itself: its head and first frame are enough here.
            if isStream, let text = String(data: received, encoding: .utf8), text.contains("\r\n\r\n"),
               !text.hasPrefix("HTTP/1.1 200") || text.contains("\ndata:") { break }
        }
        let text = String(decoding: received, as: UTF8.self)
        guard let split = text.range(of: "\r\n\r\n") else { throw TestFailure("no HTTP response: \(text.prefix(200))") }
        let lines = text[..<split.lowerBound].split(separator: "\r\n")
        guard let statusLine = lines.first, statusLine.split(separator: " ").count >= 2,
              let status = Int(statusLine.split(separator: " ")[1]) else { throw TestFailure("bad status line: \(text.prefix(200))") }
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        var body = String(text[split.upperBound...])
        if headers["transfer-encoding"]?.lowercased() == "chunked" { body = Self.dechunked(body) }
        return Reply(status: status, headers: headers, body: body)
    }

    static func dechunked(_ text: String) -> String {
        var rest = Substring(text)
        var body = ""
        while let lineEnd = rest.range(of: "\r\n"), let size = Int(rest[..<lineEnd.lowerBound], radix: 16), size > 0 {
            let start = lineEnd.upperBound
            let utf8 = rest[start...].utf8
            guard utf8.count >= size else { body += rest[start...]; break }
            let end = utf8.index(utf8.startIndex, offsetBy: size)
            body += String(rest[start..<end])
            rest = rest[end...].dropFirst(2)
        }
        return body
    }
}
