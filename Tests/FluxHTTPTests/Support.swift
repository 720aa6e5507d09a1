import FluxCore
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Synchronization
import Testing

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

enum TestPaths {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let examples = root.appendingPathComponent("examples/documents")

    static var flux: URL {
        get throws {
            for candidate in [".build/debug/flux", ".build/x86_64-unknown-linux-gnu/debug/flux", ".build/aarch64-unknown-linux-gnu/debug/flux"] {
                let url = root.appendingPathComponent(candidate)
                if FileManager.default.isExecutableFile(atPath: url.path) { return url }
            }
            throw TestFailure("the flux executable is not built: run `swift build` first (looked under \(root.path)/.build/debug)")
        }
    }

    static func example(_ name: String) throws -> String {
        try String(contentsOf: examples.appendingPathComponent(name), encoding: .utf8)
    }
}

/// A real `flux start server` process on a free loopback port (port 0, read back from its log), in a
/// directory of its own so its `.flux/flux.db` is private to the test.
final class ServerProcess: @unchecked Sendable {
    let directory: URL
    let environment: [String: String]
    private(set) var process: Process?
    private(set) var port = 0
    private let log = LogBuffer()
    let heartbeat: Double

    var baseURL: URL { URL(string: "http://127.0.0.1:\(port)")! }
    var stderr: String { log.text }

    /// Starts a server; `environment` adds FLUX_* settings (the caller's own FLUX_* variables are dropped).
    /// The port to listen on; 0 picks a free one at each start.
    let requestedPort: Int

    init(environment: [String: String] = [:], directory: URL? = nil, heartbeat: Double = 15, port: Int = 0) async throws {
        requestedPort = port
        self.directory = directory ?? FileManager.default.temporaryDirectory.appendingPathComponent("flux-http-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: self.directory, withIntermediateDirectories: true)
        var env = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("FLUX_") }
        env.merge(environment) { _, new in new }
        self.environment = env
        self.heartbeat = heartbeat
        try await start()
    }

    /// Starts (or starts again, after ``stop(timeout:)``) the server in the same directory.
    func start() async throws {
        log.reset()
        let process = Process()
        process.executableURL = try TestPaths.flux
        process.arguments = ["start", "server", "--host", "127.0.0.1", "--port", String(requestedPort), "--heartbeat-seconds", String(heartbeat)]
        process.currentDirectoryURL = directory
        process.environment = environment
        log.capture(standardErrorOf: process)
        try process.run()
        self.process = process
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            if let port = Self.listeningPort(in: stderr) {
                self.port = port
                return
            }
            if !process.isRunning { throw TestFailure("flux start server exited with \(process.terminationStatus): \(stderr)") }
            try await Task.sleep(for: .milliseconds(20))
        }
        process.terminate()
        throw TestFailure("flux start server did not report its address within 30 s: \(stderr)")
    }

    static func listeningPort(in log: String) -> Int? {
        guard let range = log.range(of: "listening on http://127.0.0.1:") else { return nil }
        return Int(log[range.upperBound...].prefix { $0.isNumber })
    }

    /// Sends SIGTERM and waits for the exit; returns the exit status and how long it took.
    @discardableResult
    func stop(timeout: Duration = .seconds(10)) async throws -> (status: Int32, elapsed: Duration) {
        guard let process, process.isRunning else { return (process?.terminationStatus ?? 0, .zero) }
        let start = ContinuousClock.now
        process.terminate()
        while process.isRunning {
            if ContinuousClock.now - start > timeout {
                kill(process.processIdentifier, SIGKILL)
                throw TestFailure("the server did not exit within \(timeout) of SIGTERM")
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        return (process.terminationStatus, ContinuousClock.now - start)
    }

    deinit {
        if let process, process.isRunning { kill(process.processIdentifier, SIGKILL) }
        try? FileManager.default.removeItem(at: directory)
    }

    // MARK: - HTTP

    struct Reply: Sendable {
        let status: Int
        let headers: [String: String]
        let body: Data
        var text: String { String(decoding: body, as: UTF8.self) }
        var json: JSONValue { (try? JSONValue(parsing: body)) ?? .null }
        func header(_ name: String) -> String? {
            headers.first { $0.key.lowercased() == name.lowercased() }?.value
        }
        /// The `{"error": {"code"}}` of an error reply.
        var errorCode: String? { json["error"]?["code"]?.stringValue }
    }

    static let session: URLSession = {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = 120
        configuration.httpMaximumConnectionsPerHost = 16
        return URLSession(configuration: configuration)
    }()

    func request(_ method: String, _ path: String, body: Data? = nil, headers: [String: String] = [:]) async throws -> Reply {
        guard let url = URL(string: path, relativeTo: baseURL) else { throw TestFailure("bad path \(path)") }
        var request = URLRequest(url: url)
        request.httpMethod = method
        request.httpBody = body
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        let (data, response) = try await Self.session.data(for: request)
        guard let http = response as? HTTPURLResponse else { throw TestFailure("not an HTTP response") }
        var fields: [String: String] = [:]
        for (key, value) in http.allHeaderFields {
            if let key = key as? String, let value = value as? String { fields[key] = value }
        }
        return Reply(status: http.statusCode, headers: fields, body: data)
    }

    func get(_ path: String, headers: [String: String] = [:]) async throws -> Reply {
        try await request("GET", path, headers: headers)
    }

    func post(_ path: String, json: String? = nil, headers: [String: String] = [:]) async throws -> Reply {
        var headers = headers
        if json != nil, headers["Content-Type"] == nil { headers["Content-Type"] = "application/json" }
        return try await request("POST", path, body: json.map { Data($0.utf8) }, headers: headers)
    }

    /// Registers a document (raw YAML body) and expects 200.
    @discardableResult
    func register(_ text: String, headers: [String: String] = [:]) async throws -> JSONValue {
        let reply = try await request("POST", "/workflows", body: Data(text.utf8), headers: headers.merging(["Content-Type": "application/yaml"]) { a, _ in a })
        guard reply.status == 200 else { throw TestFailure("register answered \(reply.status): \(reply.text)") }
        return reply.json
    }

    /// Polls the execution until `done` holds (or 20 s pass).
    func waitForExecution(_ id: String, until done: (JSONValue) -> Bool) async throws -> JSONValue {
        let deadline = ContinuousClock.now + .seconds(20)
        var last = JSONValue.null
        while ContinuousClock.now < deadline {
            last = try await get("/executions/\(id)").json
            if done(last) { return last }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw TestFailure("execution \(id) did not reach the expected state: \(last)")
    }
}

/// The server's standard error as it arrives.
final class LogBuffer: Sendable {
    private let storage = Mutex("")
    var text: String { storage.withLock { $0 } }
    func append(_ more: String) { storage.withLock { $0 += more } }
    func reset() { storage.withLock { $0 = "" } }

    /// Collects the standard error of `process` (to be run) here; its standard input and output go nowhere.
    func capture(standardErrorOf process: Process) {
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        let pipe = Pipe()
        process.standardError = pipe
        pipe.fileHandleForReading.readabilityHandler = { [self] handle in
            let data = handle.availableData
            if !data.isEmpty { append(String(decoding: data, as: UTF8.self)) }
        }
    }
}

/// One parsed Server-Sent Events frame.
struct SSEFrame: Sendable, Equatable {
    var id: String?
    var event: String?
    var data: [String] = []
    /// The frame's `data` as JSON (nil unless it is exactly one line of JSON).
    var json: JSONValue? { data.count == 1 ? try? JSONValue(parsing: data[0]) : nil }
}

/// Parses an SSE body (per the WHATWG rules that matter here): frames end at a blank line, comment lines start
/// with `:`. Returns the frames and the comments, each in order.
func parseSSE(_ text: String) -> (frames: [SSEFrame], comments: [String]) {
    var frames: [SSEFrame] = []
    var comments: [String] = []
    var current = SSEFrame()
    var hasField = false
    for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
        if line.isEmpty {
            if hasField { frames.append(current) }
            current = SSEFrame()
            hasField = false
            continue
        }
        if line.hasPrefix(":") {
            comments.append(String(line.dropFirst()).trimmingCharacters(in: .whitespaces))
            continue
        }
        let parts = line.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        let field = String(parts[0])
        var value = parts.count > 1 ? String(parts[1]) : ""
        if value.hasPrefix(" ") { value.removeFirst() }
        hasField = true
        switch field {
        case "id": current.id = value
        case "event": current.event = value
        case "data": current.data.append(value)
        default: break
        }
    }
    return (frames, comments)
}

/// A minimal multipart/form-data body with one file field.
func multipartBody(field: String, filename: String, content: String, boundary: String) -> Data {
    var text = "--\(boundary)\r\n"
    text += "Content-Disposition: form-data; name=\"\(field)\"; filename=\"\(filename)\"\r\n"
    text += "Content-Type: application/yaml\r\n\r\n"
    text += content
    text += "\r\n--\(boundary)--\r\n"
    return Data(text.utf8)
}

/// A document that sleeps `seconds`, for streams and shutdowns that need an execution still running.
func sleepDocument(name: String, seconds: Double) -> String {
    """
    flux: 1
    name: \(name)
    steps:
      - id: wait
        builtin: sleep
        with: { seconds: \(seconds) }
      - id: done
        set: "slept"
    output: "${{ steps.done.output }}"
    """
}
