import Foundation
import Synchronization
import Testing
#if canImport(Glibc)
import Glibc
#endif

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// How long the tests wait for what must happen. None of these is a claim about speed: each only bounds a wait for an
/// event (an answer, a line in a log, a process's exit) so that a broken build fails instead of hanging, and each is
/// generous enough for a machine busy with parallel tests and a build beside them. Figures about speed belong to the
/// benchmarks, never to a test's verdict.
enum Deadline {
    /// A child process reports where it listens.
    static let startUp: Duration = .seconds(300)
    /// An answer, a line, a state the test has caused.
    static let event: Duration = .seconds(300)
    /// A process exits after SIGTERM.
    static let exit: Duration = .seconds(120)
    /// A program run to its end (the Python client's whole scenario).
    static let program: Duration = .seconds(900)
    /// A whole test that runs real processes: only a hang reaches it.
    static let wholeTest: TimeLimitTrait.Duration = .minutes(30)
}

/// Child servers of this test target that start at the same time: with every test running in parallel on a small
/// machine, dozens of servers starting at once each take minutes to listen; a few at a time start in seconds. A place
/// is held only from `process.run()` until the server said where it listens (or failed), never across a test.
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

/// Paths of the repository, the built `flux` binary and the Python venv with the MCP SDK.
enum Paths {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let examples = root.appendingPathComponent("examples/documents")
    static let scripts = root.appendingPathComponent("Tests/FluxMCPTests/Scripts")

    static var flux: URL {
        get throws {
            for candidate in [".build/debug/flux", ".build/x86_64-unknown-linux-gnu/debug/flux", ".build/aarch64-unknown-linux-gnu/debug/flux"] {
                let url = root.appendingPathComponent(candidate)
                if FileManager.default.isExecutableFile(atPath: url.path) { return url }
            }
            throw TestFailure("the flux executable is not built: run `swift build` first (looked under \(root.path)/.build/debug)")
        }
    }

    /// The venv scripts/test.sh creates; its absence fails the test (the interop tests are not optional).
    static var python: URL {
        get throws {
            let url = root.appendingPathComponent(".build/mcp-venv/bin/python")
            guard FileManager.default.isExecutableFile(atPath: url.path) else {
                throw TestFailure("""
                    the Python MCP SDK venv is missing at \(url.path): run scripts/test.sh, or \
                    `python3 -m venv .build/mcp-venv && .build/mcp-venv/bin/pip install 'mcp>=1.20,<3'`
                    """)
            }
            return url
        }
    }

    /// A new empty directory of its own.
    static func temporaryDirectory(_ label: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("flux-mcp-\(label)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// The environment without FLUX_* variables, plus `extra`.
    static func environment(_ extra: [String: String] = [:]) -> [String: String] {
        var env = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("FLUX_") }
        env.merge(extra) { _, new in new }
        return env
    }
}

/// Lines read from a pipe on a thread of their own.
final class LineCollector: Sendable {
    private let state = Mutex<(lines: [String], partial: Data, closed: Bool)>(([], Data(), false))

    init(_ handle: FileHandle) {
        let thread = Thread { [self] in
            while true {
                let data = handle.availableData
                if data.isEmpty { break }
                self.append(data)
            }
            self.state.withLock { $0.closed = true }
        }
        thread.start()
    }

    private func append(_ data: Data) {
        state.withLock { state in
            state.partial.append(data)
            while let newline = state.partial.firstIndex(of: UInt8(ascii: "\n")) {
                let line = state.partial[state.partial.startIndex..<newline]
                state.lines.append(String(decoding: line, as: UTF8.self))
                state.partial.removeSubrange(state.partial.startIndex...newline)
            }
        }
    }

    var lines: [String] { state.withLock { $0.lines } }
    var closed: Bool { state.withLock { $0.closed } }
    /// Everything read so far (the last 8,000 characters), for failure messages.
    var text: String { String(state.withLock { $0.lines.joined(separator: "\n") + "\n" + String(decoding: $0.partial, as: UTF8.self) }.suffix(8000)) }

    /// Waits until `predicate` holds for the lines read so far.
    func wait(timeout: Duration, _ what: String, until predicate: ([String]) -> Bool) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if predicate(lines) { return }
            try await Task.sleep(for: .milliseconds(10))
        }
        if predicate(lines) { return }
        throw TestFailure("timed out waiting for \(what); last lines: \(lines.suffix(5).map { String($0.prefix(300)) })")
    }
}

/// A running `flux start mcp` process.
final class FluxServerProcess: @unchecked Sendable {
    let process = Process()
    let stdin = Pipe()
    let stdout: LineCollector
    let stderr: LineCollector
    let directory: URL

    init(arguments: [String], environment: [String: String] = [:], directory: URL? = nil) throws {
        self.directory = try directory ?? Paths.temporaryDirectory("server")
        process.executableURL = try Paths.flux
        process.arguments = ["start", "mcp"] + arguments
        process.currentDirectoryURL = self.directory
        process.environment = Paths.environment(environment)
        let out = Pipe(), err = Pipe()
        process.standardInput = stdin
        process.standardOutput = out
        process.standardError = err
        try process.run()
        stdout = LineCollector(out.fileHandleForReading)
        stderr = LineCollector(err.fileHandleForReading)
    }

    /// Starts an HTTP server on a free port and waits until it listens (at most ``Deadline/startUp``, counted once
    /// ``StartGate`` lets it start).
    static func http(transport: String = "streamable-http", environment: [String: String] = [:]) async throws -> (FluxServerProcess, Int) {
        try await StartGate.starting {
            let server = try FluxServerProcess(arguments: ["--transport", transport, "--host", "127.0.0.1", "--port", "0"], environment: environment)
            do {
                try await server.stderr.wait(timeout: Deadline.startUp, "the listening line") { lines in
                    lines.contains { $0.contains("listening on http://") } || !server.process.isRunning
                }
            } catch {
                server.stop()
                throw TestFailure("flux start mcp did not say where it listens within \(Deadline.startUp); stderr: \(server.stderr.text)")
            }
            guard let line = server.stderr.lines.first(where: { $0.contains("listening on http://") }),
                  let portText = line.split(separator: ":").last?.split(separator: "/").first, let port = Int(portText) else {
                server.stop()
                throw TestFailure("flux start mcp \(server.process.isRunning ? "runs" : "exited with \(server.process.terminationStatus)") "
                    + "without saying where it listens; stderr: \(server.stderr.text)")
            }
            return (server, port)
        }
    }

    func send(_ line: String) { send(Data((line + "\n").utf8)) }

    func send(_ data: Data) {
        stdin.fileHandleForWriting.write(data)
    }

    /// SIGTERM, then waits up to `timeout` for the exit; returns whether it exited in time.
    @discardableResult
    func terminate(timeout: Duration = Deadline.exit) async -> Bool {
        guard process.isRunning else { return true }
        kill(process.processIdentifier, SIGTERM)
        let deadline = ContinuousClock.now + timeout
        while process.isRunning, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(10)) }
        let exited = !process.isRunning
        if !exited { stop() }
        return exited
    }

    func stop() {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        try? stdin.fileHandleForWriting.close()
    }

    deinit { stop() }
}

/// Runs a program to completion and returns its exit status and output.
func runProgram(_ executable: URL, _ arguments: [String], directory: URL? = nil, timeout: Duration = Deadline.program) async throws -> (status: Int32, stdout: String, stderr: String) {
    let process = Process()
    process.executableURL = executable
    process.arguments = arguments
    if let directory { process.currentDirectoryURL = directory }
    process.environment = Paths.environment()
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    process.standardInput = FileHandle.nullDevice
    try process.run()
    let stdout = LineCollector(out.fileHandleForReading)
    let stderr = LineCollector(err.fileHandleForReading)
    let deadline = ContinuousClock.now + timeout
    while process.isRunning, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
    if process.isRunning {
        kill(process.processIdentifier, SIGKILL)
        throw TestFailure("\(executable.lastPathComponent) \(arguments.joined(separator: " ")) did not finish in time; stderr: \(stderr.lines.suffix(20))")
    }
    while !(stdout.closed && stderr.closed) { try await Task.sleep(for: .milliseconds(5)) }
    return (process.terminationStatus, stdout.lines.joined(separator: "\n"), stderr.lines.joined(separator: "\n"))
}

/// A minimal HTTP/1.1 client on a raw socket, so that tests can send anything (bad Host headers, garbage,
/// oversized bodies) and read streams as they come.
struct RawHTTP {
    let port: Int

    struct Response {
        var status: Int
        var headers: [String: String]
        var body: String
        var json: [String: Any]? {
            (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any]
        }
        /// The JSON of each `data:` line of an SSE body.
        var events: [[String: Any]] {
            body.split(separator: "\n").compactMap { line -> [String: Any]? in
                guard line.hasPrefix("data: ") else { return nil }
                return (try? JSONSerialization.jsonObject(with: Data(line.dropFirst(6).utf8))) as? [String: Any]
            }
        }
    }

    func request(_ method: String, _ path: String, headers: [String: String] = [:], body: Data? = nil, omitHost: Bool = false) -> Data {
        var head = "\(method) \(path) HTTP/1.1\r\n"
        var all = headers
        if !omitHost, all["Host"] == nil { all["Host"] = "127.0.0.1:\(port)" }
        all["Connection"] = all["Connection"] ?? "close"
        if let body { all["Content-Length"] = String(body.count) }
        for (name, value) in all.sorted(by: { $0.key < $1.key }) { head += "\(name): \(value)\r\n" }
        head += "\r\n"
        var data = Data(head.utf8)
        if let body { data.append(body) }
        return data
    }

    /// Sends `raw` and reads the response until the connection closes, `until` holds for the body so far, or `timeout`.
    /// The blocking socket work runs on a thread of its own, so that the concurrency pool (which in-process servers
    /// share with the tests) is never held.
    func send(_ raw: Data, timeout: Duration = Deadline.event, until: (@Sendable (String) -> Bool)? = nil) async throws -> Response {
        try await onThread { try sendBlocking(raw, timeout: timeout, until: until) }
    }

    func sendBlocking(_ raw: Data, timeout: Duration, until: ((String) -> Bool)?) throws -> Response {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestFailure("socket() failed") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw TestFailure("connect to port \(port) failed: errno \(errno)") }
        var offset = 0
        try raw.withUnsafeBytes { buffer in
            while offset < buffer.count {
                let n = Glibc.send(fd, buffer.baseAddress?.advanced(by: offset), buffer.count - offset, Int32(MSG_NOSIGNAL))
                if n < 0 {
                    if errno == EINTR { continue }
                    // The server may answer and close before reading everything (e.g. 413): read what it said.
                    if errno == EPIPE || errno == ECONNRESET { break }
                    throw TestFailure("send failed: errno \(errno)")
                }
                offset += n
            }
        }
        var received = Data()
        let deadline = ContinuousClock.now + timeout
        var chunk = [UInt8](repeating: 0, count: 65536)
        while ContinuousClock.now < deadline {
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&pfd, 1, 50)
            if ready < 0 { if errno == EINTR { continue }; break }
            if ready == 0 {
                if let until, let response = Self.parse(received), until(response.body) { return response }
                continue
            }
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { break }
            received.append(contentsOf: chunk[0..<n])
            if let until, let response = Self.parse(received), until(response.body) { return response }
        }
        guard let response = Self.parse(received) else {
            throw TestFailure("no HTTP response (got \(received.count) bytes: \(String(decoding: received.prefix(200), as: UTF8.self)))")
        }
        return response
    }

    static func parse(_ data: Data) -> Response? {
        guard let end = data.range(of: Data("\r\n\r\n".utf8)) else { return nil }
        let head = String(decoding: data[data.startIndex..<end.lowerBound], as: UTF8.self)
        var lines = head.components(separatedBy: "\r\n")
        guard !lines.isEmpty else { return nil }
        let statusLine = lines.removeFirst().split(separator: " ")
        guard statusLine.count >= 2, let status = Int(statusLine[1]) else { return nil }
        var headers: [String: String] = [:]
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        var body = Data(data[end.upperBound...])
        if headers["transfer-encoding"]?.lowercased() == "chunked" { body = dechunk(body) }
        return Response(status: status, headers: headers, body: String(decoding: body, as: UTF8.self))
    }

    /// The chunks that have fully arrived.
    static func dechunk(_ data: Data) -> Data {
        var result = Data()
        var index = data.startIndex
        while let lineEnd = data[index...].range(of: Data("\r\n".utf8)) {
            let sizeText = String(decoding: data[index..<lineEnd.lowerBound], as: UTF8.self).split(separator: ";").first ?? ""
            guard let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16), size > 0 else { break }
            let start = lineEnd.upperBound
            guard data.distance(from: start, to: data.endIndex) >= size else { break }
            let stop = data.index(start, offsetBy: size)
            result.append(data[start..<stop])
            index = min(data.index(stop, offsetBy: 2, limitedBy: data.endIndex) ?? data.endIndex, data.endIndex)
        }
        return result
    }
}

extension Dictionary where Key == String, Value == Any {
    subscript(path path: String...) -> Any? {
        var current: Any? = self
        for key in path { current = (current as? [String: Any])?[key] }
        return current
    }
}

/// An HTTP connection left open to read a stream as it comes (SSE).
/// Runs blocking work on a new thread and awaits its result.
func onThread<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try work() }) }.start()
    }
}

final class OpenConnection: @unchecked Sendable {
    let fd: Int32
    private(set) var received = Data()

    init(port: Int, request: Data) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestFailure("socket() failed") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { close(fd); throw TestFailure("connect failed: errno \(errno)") }
        _ = request.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }

    /// Reads until `predicate` holds for the (de-chunked) body, the peer closes, or `timeout`. Returns whether the peer closed.
    @discardableResult
    func read(timeout: Duration, until predicate: @escaping @Sendable (String) -> Bool = { _ in false }) async -> Bool {
        (try? await onThread { self.readBlocking(timeout: timeout, until: predicate) }) ?? false
    }

    func readBlocking(timeout: Duration, until predicate: (String) -> Bool) -> Bool {
        let deadline = ContinuousClock.now + timeout
        var chunk = [UInt8](repeating: 0, count: 65536)
        while ContinuousClock.now < deadline {
            if predicate(body) { return false }
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&pfd, 1, 20)
            if ready <= 0 { continue }
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { return true }
            received.append(contentsOf: chunk[0..<n])
        }
        return false
    }

    /// Reads until the response's status line and headers have arrived (or the peer closes, or `timeout`).
    func readHead(timeout: Duration = Deadline.event) async {
        _ = try? await onThread {
            let deadline = ContinuousClock.now + timeout
            while self.response == nil, ContinuousClock.now < deadline {
                if self.readBlocking(timeout: .milliseconds(100), until: { _ in false }) { return }
            }
        }
    }

    var response: RawHTTP.Response? { RawHTTP.parse(received) }
    var body: String { response?.body ?? "" }

    deinit { close(fd) }
}
