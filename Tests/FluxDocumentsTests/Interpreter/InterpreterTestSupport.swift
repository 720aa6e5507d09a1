import FluxCore
import Foundation
import Synchronization
import Testing
@testable import FluxDocuments
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A tiny blocking HTTP/1.1 server on a free loopback port, one thread per connection, for the http steps.
///
/// Routes: `GET /ok` → `{"ok": true}`; `GET /items` → two orders; `GET /fail` → 500; `GET /auth` → 200 when
/// `Authorization: Bearer <token>`, else 401; `POST /publish` → 201 (401 without the token) echoing the body;
/// `/echo` → the request as JSON; `/flaky/<key>` → 503 twice, then 200; `/slow` → 200 after 20 s;
/// `/big` → 64 KiB of text; `/text` → `hello` as text/plain; `/redirect-link-local` → 302 to 169.254.169.254.
final class TestHTTPServer: Sendable {
    let port: Int
    let token: String
    private let listener: Int32
    private let hitCounts = Mutex<[String: Int]>([:])
    private let stopped = Mutex(false)

    init(token: String = "tok-\(UUID().uuidString)") throws {
        self.token = token
        #if canImport(Glibc)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        let fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { throw TestFailure("socket() failed") }
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 64) == 0 else {
            close(fd)
            throw TestFailure("bind/listen failed")
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        port = Int(UInt16(bigEndian: address.sin_port))
        listener = fd
        let thread = Thread { [self] in acceptLoop() }
        thread.start()
    }

    /// Closes the listening socket (once); call it when the test ends.
    func stop() {
        let first = stopped.withLock { done -> Bool in
            defer { done = true }
            return !done
        }
        guard first else { return }
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }

    func url(_ path: String) -> String { "http://127.0.0.1:\(port)\(path)" }

    func hits(_ path: String) -> Int { hitCounts.withLock { $0[path] ?? 0 } }

    private func acceptLoop() {
        while true {
            let client = accept(listener, nil, nil)
            if client < 0 {
                if errno == EINTR { continue }
                return
            }
            let thread = Thread { [self] in serve(client) }
            thread.start()
        }
    }

    private func serve(_ fd: Int32) {
        defer { close(fd) }
        var buffer = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 4096)
        var headerEnd: Int?
        while headerEnd == nil {
            let n = read(fd, &chunk, chunk.count)
            if n <= 0 { return }
            buffer.append(contentsOf: chunk[0..<n])
            headerEnd = Self.find([13, 10, 13, 10], in: buffer)
        }
        guard let end = headerEnd else { return }
        let head = String(decoding: buffer[0..<end], as: UTF8.self)
        var lines = head.components(separatedBy: "\r\n")
        let requestLine = lines.removeFirst().split(separator: " ")
        guard requestLine.count >= 2 else { return }
        var headers: [String: String] = [:]
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        var body = Array(buffer[(end + 4)...])
        let length = Int(headers["content-length"] ?? "0") ?? 0
        while body.count < length {
            let n = read(fd, &chunk, chunk.count)
            if n <= 0 { break }
            body.append(contentsOf: chunk[0..<n])
        }
        let method = String(requestLine[0])
        let target = String(requestLine[1])
        let path = String(target.split(separator: "?", maxSplits: 1).first ?? "")
        let count = hitCounts.withLock { counts -> Int in
            counts[path, default: 0] += 1
            return counts[path] ?? 0
        }
        let (status, contentType, payload, extra) = respond(method: method, target: target, path: path, headers: headers,
                                                            body: Data(body), hit: count)
        var response = "HTTP/1.1 \(status) \(status < 400 ? "OK" : "Error")\r\nContent-Type: \(contentType)\r\n"
        response += "Content-Length: \(payload.count)\r\nConnection: close\r\n"
        for (k, v) in extra { response += "\(k): \(v)\r\n" }
        response += "\r\n"
        let bytes = Array(response.utf8) + Array(payload)
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBufferPointer { write(fd, $0.baseAddress, $0.count) }
            if n <= 0 { return }
            sent += n
        }
    }

    private func respond(method: String, target: String, path: String, headers: [String: String], body: Data, hit: Int)
        -> (Int, String, Data, [String: String]) {
        func json(_ status: Int, _ value: JSONValue) -> (Int, String, Data, [String: String]) {
            (status, "application/json", value.canonicalData, [:])
        }
        let authorized = headers["authorization"] == "Bearer \(token)"
        switch path {
        case "/ok": return json(200, ["ok": true])
        case "/items":
            return json(200, ["items": [
                ["id": "o1", "customer": "ada", "quantity": 2, "unit_price": 10.0],
                ["id": "o2", "customer": "bob", "quantity": 1, "unit_price": 5.5],
            ]])
        case "/fail": return json(500, ["error": "always fails"])
        case "/auth": return json(authorized ? 200 : 401, ["authorized": .bool(authorized)])
        case "/publish":
            return json(authorized ? 201 : 401, ["received": (try? JSONValue(parsing: body)) ?? .string(String(decoding: body, as: UTF8.self))])
        case "/echo":
            var h: [String: JSONValue] = [:]
            for (k, v) in headers { h[k] = .string(v) }
            return json(200, ["method": .string(method), "target": .string(target), "headers": .object(h),
                              "body": .string(String(decoding: body, as: UTF8.self))])
        case "/slow":
            Thread.sleep(forTimeInterval: 3600)
            return json(200, ["slow": true])
        case "/big": return (200, "text/plain", Data(repeating: UInt8(ascii: "x"), count: 64 << 10), [:])
        case "/text": return (200, "text/plain", Data("hello".utf8), [:])
        case "/redirect-link-local": return (302, "text/plain", Data(), ["Location": "http://169.254.169.254/latest/meta-data"])
        default:
            if path.hasPrefix("/flaky/") { return hit <= 2 ? json(503, ["attempt": .int(hit)]) : json(200, ["attempt": .int(hit)]) }
            return json(404, ["error": "not found"])
        }
    }

    private static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        for i in 0...(haystack.count - needle.count) where Array(haystack[i..<(i + needle.count)]) == needle { return i }
        return nil
    }
}

/// Secrets from a dictionary; remembers which names each request asked for.
final class TestSecrets: SecretProvider {
    let values: [String: String]
    private let requests = Mutex<[[String]]>([])

    init(_ values: [String: String]) { self.values = values }

    func secrets(named names: [String]) async throws -> [String: String] {
        requests.withLock { $0.append(names.sorted()) }
        let missing = names.filter { values[$0] == nil }
        if !missing.isEmpty { throw SecretError.missing(missing) }
        return values.filter { names.contains($0.key) }
    }

    var requested: [[String]] { requests.withLock { $0 } }
}

/// A thread-safe counter for registered tasks.
final class Counter: Sendable {
    private let state = Mutex<(count: Int, running: Int, maxRunning: Int)>((0, 0, 0))

    @discardableResult
    func increment() -> Int { state.withLock { $0.count += 1; return $0.count } }
    var count: Int { state.withLock { $0.count } }
    var maxRunning: Int { state.withLock { $0.maxRunning } }

    func enter() {
        state.withLock {
            $0.running += 1
            $0.maxRunning = max($0.maxRunning, $0.running)
        }
    }

    func leave() { state.withLock { $0.running -= 1 } }
}

/// An engine on an in-memory store with every workflow of `text` registered.
func documentEngine(_ text: String, file: String = "test.yaml", environment: InterpreterEnvironment = InterpreterEnvironment(),
                    secrets: (any SecretProvider)? = nil) async throws -> FluxEngine {
    let engine = FluxEngine(store: InMemoryStore(), secrets: secrets)
    for document in try DocumentParser.parse(text: text, sourceName: file) {
        await engine.register(DocumentInterpreter.definition(for: document, version: 1, environment: environment))
    }
    return engine
}

/// The text of an example document.
func exampleText(_ file: String) throws -> String {
    try String(contentsOf: TestPaths.examples.appendingPathComponent(file), encoding: .utf8)
}

extension ExecutionSnapshot {
    var types: [String] { events.map(\.type.rawValue) }
    func count(_ type: EventType) -> Int { events.filter { $0.type == type }.count }
    func events(_ type: EventType, named name: String) -> [ExecutionEvent] { events.filter { $0.type == type && $0.name == name } }
    var failureMessage: String { record.output["message"]?.stringValue ?? "" }
    var everything: String { events.map(\.json.canonicalJSON).joined(separator: "\n") + record.output.canonicalJSON }
}

/// `n` pairs of TASK_STARTED, TASK_COMPLETED between WORKFLOW_STARTED and WORKFLOW_COMPLETED.
func sequentialTasks(_ n: Int) -> [String] {
    ["WORKFLOW_STARTED"] + Array(repeating: ["TASK_STARTED", "TASK_COMPLETED"], count: n).flatMap { $0 } + ["WORKFLOW_COMPLETED"]
}

/// Polls until `condition` holds on the execution's snapshot (at most `seconds`: a bound on a wait for an event, generous
/// enough for a busy machine, not a claim about speed).
func waitFor(_ engine: FluxEngine, _ id: String, seconds: Double = 300, _ condition: (ExecutionSnapshot) -> Bool) async throws -> ExecutionSnapshot {
    let deadline = Date().addingTimeInterval(seconds)
    while true {
        let snapshot = try await engine.snapshot(executionID: id)
        if condition(snapshot) || Date() > deadline { return snapshot }
        try await Task.sleep(for: .milliseconds(20))
    }
}
