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

/// How long the tests wait for what must happen. None of these is a claim about speed: each only bounds a wait for an
/// event (a line in a log, a state in the store, a process's exit) so that a broken build fails instead of hanging,
/// and each is generous enough for a machine busy with parallel tests and a build beside them. Figures about speed
/// belong to the benchmarks (bench/, `flux-benchmark`), never to a test's verdict.
enum Deadline {
    /// A child process reports where it listens (or that it connected).
    static let startUp: Duration = .seconds(300)
    /// Something the test has caused shows up: a state, a log line, a row.
    static let event: Duration = .seconds(300)
    /// A process exits after SIGTERM.
    static let exit: Duration = .seconds(120)
    /// One HTTP request (URLSession's inactivity timeout, in seconds).
    static let request: TimeInterval = 300
    /// A whole test that runs real processes: only a hang reaches it.
    static let wholeTest: TimeLimitTrait.Duration = .minutes(30)
}

/// Child servers of this test target that start at the same time. With every test running in parallel (plain
/// `swift test`) on a small machine, dozens of servers starting at once each take minutes to report their address;
/// a few at a time start in seconds. A place is held only from `process.run()` until the server reported its address
/// (or failed), never across a test, so a test that starts several servers cannot deadlock on it.
actor StartGate {
    static let shared = StartGate(places: 4)

    private let places: Int
    private var taken = 0
    private var waiting: [CheckedContinuation<Void, Never>] = []

    init(places: Int) { self.places = places }

    private func acquire() async {
        if taken < places {
            taken += 1
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    private func release() {
        if waiting.isEmpty { taken -= 1 } else { waiting.removeFirst().resume() }
    }

    /// Runs `body` (which starts a child and waits until it is ready) holding one place.
    static func starting<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        await shared.acquire()
        do {
            let value = try await body()
            await shared.release()
            return value
        } catch {
            await shared.release()
            throw error
        }
    }
}

enum TestPaths {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let examples = root.appendingPathComponent("examples/documents")

    static var flux: URL {
        get throws { try built("flux") }
    }

    /// `FluxTestBinary`: `flux` with tasks that misbehave on purpose (Tests/FluxTestBinary).
    static var testBinary: URL {
        get throws { try built("FluxTestBinary") }
    }

    /// The executable `name` of the debug build.
    static func built(_ name: String) throws -> URL {
        for directory in [".build/debug", ".build/x86_64-unknown-linux-gnu/debug", ".build/aarch64-unknown-linux-gnu/debug"] {
            let url = root.appendingPathComponent(directory).appendingPathComponent(name)
            if FileManager.default.isExecutableFile(atPath: url.path) { return url }
        }
        throw TestFailure("\(name) is not built: run `swift build --build-tests` first (looked under \(root.path)/.build/debug)")
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
    /// The `flux` executable, or another build of the command line (``TestPaths/testBinary``).
    let executable: URL?
    private(set) var process: Process?
    private(set) var port = 0
    private let log = LogBuffer()
    let heartbeat: Double

    var baseURL: URL { URL(string: "http://127.0.0.1:\(port)")! }
    var stderr: String { log.text }

    /// Starts a server; `environment` adds FLUX_* settings (the caller's own FLUX_* variables are dropped).
    /// The port to listen on; 0 picks a free one at each start.
    let requestedPort: Int

    init(executable: URL? = nil, environment: [String: String] = [:], directory: URL? = nil, heartbeat: Double = 15,
         port: Int = 0) async throws {
        self.executable = executable
        requestedPort = port
        self.directory = directory ?? FileManager.default.temporaryDirectory.appendingPathComponent("flux-http-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: self.directory, withIntermediateDirectories: true)
        var env = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("FLUX_") }
        env.merge(environment) { _, new in new }
        self.environment = env
        self.heartbeat = heartbeat
        try await start()
    }

    /// Starts (or starts again, after ``stop(timeout:)``) the server in the same directory, and waits until it says
    /// where it listens (at most ``Deadline/startUp``, counted once ``StartGate`` lets it start).
    func start() async throws {
        log.reset()
        let process = Process()
        process.executableURL = try executable ?? TestPaths.flux
        process.arguments = ["start", "server", "--host", "127.0.0.1", "--port", String(requestedPort), "--heartbeat-seconds", String(heartbeat)]
        process.currentDirectoryURL = directory
        process.environment = environment
        log.capture(standardErrorOf: process)
        try await StartGate.starting {
            try process.run()
            self.process = process
            let deadline = ContinuousClock.now + Deadline.startUp
            while ContinuousClock.now < deadline {
                if let port = Self.listeningPort(in: stderr) {
                    self.port = port
                    return
                }
                if !process.isRunning {
                    throw TestFailure("flux start server exited with \(process.terminationStatus) before it listened; stderr: \(stderr)")
                }
                try await Task.sleep(for: .milliseconds(20))
            }
            kill(process.processIdentifier, SIGKILL)
            throw TestFailure("flux start server did not report its address within \(Deadline.startUp); stderr: \(stderr)")
        }
    }

    static func listeningPort(in log: String) -> Int? {
        guard let range = log.range(of: "listening on http://127.0.0.1:") else { return nil }
        return Int(log[range.upperBound...].prefix { $0.isNumber })
    }

    /// Sends SIGTERM and waits for the exit; returns the exit status and how long it took.
    @discardableResult
    func stop(timeout: Duration = Deadline.exit) async throws -> (status: Int32, elapsed: Duration) {
        guard let process, process.isRunning else { return (process?.terminationStatus ?? 0, .zero) }
        let start = ContinuousClock.now
        process.terminate()
        while process.isRunning {
            if ContinuousClock.now - start > timeout {
                kill(process.processIdentifier, SIGKILL)
                throw TestFailure("the server did not exit within \(timeout) of SIGTERM; stderr: \(stderr)")
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
        configuration.timeoutIntervalForRequest = Deadline.request
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

    /// Polls the execution until `done` holds (at most ``Deadline/event``).
    func waitForExecution(_ id: String, headers: [String: String] = [:], until done: (JSONValue) -> Bool) async throws -> JSONValue {
        let deadline = ContinuousClock.now + Deadline.event
        var last = JSONValue.null
        while ContinuousClock.now < deadline {
            last = try await get("/executions/\(id)", headers: headers).json
            if done(last) { return last }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw TestFailure("execution \(id) did not reach the expected state within \(Deadline.event): \(last); stderr: \(stderr.suffix(4000))")
    }

    /// Polls until `condition` holds (at most ``Deadline/event``); `what` names it in the failure.
    func waitUntil(_ what: String, _ condition: () async throws -> Bool) async throws {
        let deadline = ContinuousClock.now + Deadline.event
        while ContinuousClock.now < deadline {
            if try await condition() { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        if try await condition() { return }
        throw TestFailure("\(what) did not happen within \(Deadline.event); stderr: \(stderr.suffix(4000))")
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

/// `curl -sN` reading a response as it arrives, so that a test can watch a stream while it goes on.
///
/// curl writes to a file, not a pipe: a pipe's end of file can come long after curl exited, when a process started
/// at the same moment by another test inherited its write end.
final class StreamingCurl: @unchecked Sendable {
    let process = Process()
    private let file: URL

    /// Everything curl has written so far.
    var text: String { (try? String(contentsOf: file, encoding: .utf8)) ?? "" }

    init(_ arguments: [String]) throws {
        file = FileManager.default.temporaryDirectory.appendingPathComponent("flux-curl-\(UUID().uuidString).txt")
        guard FileManager.default.createFile(atPath: file.path, contents: nil) else { throw TestFailure("cannot create \(file.path)") }
        process.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        process.arguments = ["-sN"] + arguments
        process.standardInput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        process.standardOutput = try FileHandle(forWritingTo: file)
        try process.run()
    }

    /// Waits until `condition` holds for what was read (at most ``Deadline/event``).
    func waitUntil(_ what: String, _ condition: (String) -> Bool) async throws {
        let deadline = ContinuousClock.now + Deadline.event
        while ContinuousClock.now < deadline {
            if condition(text) { return }
            if !process.isRunning { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        if condition(text) { return }
        throw TestFailure("curl never read \(what)\(process.isRunning ? "" : " (it exited with \(process.terminationStatus))"); it read: \(text.suffix(2000))")
    }

    /// Waits until curl has exited; answers all it read.
    @discardableResult
    func waitForEnd() async throws -> String {
        let deadline = ContinuousClock.now + Deadline.event
        while process.isRunning {
            guard ContinuousClock.now < deadline else {
                process.terminate()
                throw TestFailure("curl did not finish within \(Deadline.event); it read: \(text.suffix(2000))")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        return text
    }

    deinit {
        if process.isRunning { process.terminate() }
        try? FileManager.default.removeItem(at: file)
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
