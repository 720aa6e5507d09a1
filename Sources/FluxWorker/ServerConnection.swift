import AsyncHTTPClient
import FluxCore
import Foundation
import Logging
import NIOCore
import Synchronization

/// A worker's authenticated line to its server: registers (and registers again when a call answers 401, as
/// after a server restart), keeps the session token, and sends the worker routes' requests.
///
/// One AsyncHTTPClient on NIO's shared event loops carries every call and the connect route's event stream
/// (``EventStreamReader``), over http or https, keeping connections alive: up to `concurrency * 2 + 4` to the
/// server, enough for every execution in flight to checkpoint at once beside the heartbeat and the stream.
/// ``shutdown()`` closes them when the worker stops.
final class ServerConnection: Sendable {
    struct Session: Sendable {
        var token: String
        var heartbeatInterval: Double
        var leaseTimeout: Double
    }

    let options: WorkerOptions
    /// Identifies this process to the server; sent on every registration so re-registering keeps its claims.
    let incarnation: String
    let registration: @Sendable () -> JSONValue
    let logger: Logger
    private let session = Mutex<Session?>(nil)
    private let registering = Mutex<Task<Session, any Error>?>(nil)

    let http: HTTPClient

    /// Seconds a call may wait for the server's answer.
    static let callTimeout: TimeAmount = .seconds(30)
    /// Largest answer read (a claim carries the execution's whole history).
    static let maxAnswerBytes = 1 << 30

    init(options: WorkerOptions, incarnation: String, logger: Logger, registration: @escaping @Sendable () -> JSONValue) {
        self.options = options
        self.incarnation = incarnation
        self.logger = logger
        self.registration = registration
        var configuration = HTTPClient.Configuration(
            redirectConfiguration: .disallow, timeout: .init(connect: .seconds(10)),
            connectionPool: .init(idleTimeout: .seconds(60),
                                  concurrentHTTP1ConnectionsPerHostSoftLimit: max(8, options.concurrency * 2 + 4)))
        configuration.httpVersion = .automatic
        http = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }

    /// Closes the client's connections; the connection makes no calls after it.
    func shutdown() async {
        do {
            try await http.shutdown()
        } catch {
            logger.debug("closing the worker's HTTP client: \(error)")
        }
    }

    /// `worker:<name>#<incarnation>`: whom the server records as holding the executions this worker claims.
    var owner: String { WorkerRecord.owner(name: options.name, incarnation: incarnation) }

    var currentSession: Session? { session.withLock { $0 } }

    // MARK: - Registration

    /// The session, registering first when there is none.
    func ensureSession() async throws -> Session {
        if let current = session.withLock({ $0 }) { return current }
        return try await register()
    }

    /// Registers (one registration at a time; concurrent callers share it) and keeps the new session.
    @discardableResult
    func register() async throws -> Session {
        let task = registering.withLock { running -> Task<Session, any Error> in
            if let running { return running }
            let task = Task { try await self.performRegistration() }
            running = task
            return task
        }
        defer { registering.withLock { if $0 == task { $0 = nil } } }
        return try await task.value
    }

    private func performRegistration() async throws -> Session {
        var body = registration().objectValue ?? [:]
        body["name"] = .string(options.name)
        body["incarnation"] = .string(incarnation)
        let (status, json) = try await send("POST", "/workers/register", body: .object(body), token: options.bootstrapToken)
        guard (200..<300).contains(status) else {
            let message = Self.message(json, status: status)
            if status == 401 || status == 403 { throw WorkerError.registrationRefused(message) }
            throw status >= 500 ? WorkerError.unreachable(message) : WorkerError.rejected(status: status, message: message)
        }
        guard let token = json["session_token"]?.stringValue else { throw WorkerError.rejected(status: status, message: "no session_token in the answer") }
        let new = Session(token: token, heartbeatInterval: json["heartbeat_interval"]?.doubleValue ?? 5,
                          leaseTimeout: json["lease_timeout"]?.doubleValue ?? 30)
        session.withLock { $0 = new }
        logger.info("registered with \(options.serverURL.absoluteString) as \(options.name) (owner \(owner))")
        return new
    }

    /// Drops the session (the server answered 401), so the next call registers again.
    func forgetSession() {
        session.withLock { $0 = nil }
    }

    // MARK: - Calls

    /// Calls a worker route with the session token; a 401 registers again and retries once. Answers the JSON
    /// of a 2xx; 404 and 409 become ``WorkerError/notFound(_:)`` and ``WorkerError/conflict(_:)``.
    func call(_ method: String, _ path: String, body: JSONValue? = nil, query: [String: String] = [:]) async throws -> JSONValue {
        var attempt = 0
        while true {
            let current = try await ensureSession()
            let (status, json) = try await send(method, path, body: body, token: current.token, query: query)
            switch status {
            case 200..<300:
                return json
            case 401 where attempt == 0:
                attempt += 1
                logger.notice("the server no longer knows this worker's session (\(Self.message(json, status: status))); registering again")
                session.withLock { if $0?.token == current.token { $0 = nil } }
                try await register()
            case 404:
                throw WorkerError.notFound(Self.message(json, status: status))
            case 409:
                throw WorkerError.conflict(Self.message(json, status: status))
            default:
                let message = Self.message(json, status: status)
                throw status >= 500 ? WorkerError.unreachable("\(status): \(message)") : WorkerError.rejected(status: status, message: message)
            }
        }
    }

    /// A path under `/workers/<name>/`.
    func workerPath(_ rest: String) -> String {
        "/workers/\(Self.segment(options.name))/\(rest)"
    }

    func makeRequest(_ method: String, _ path: String, body: JSONValue?, token: String?, query: [String: String] = [:]) throws -> HTTPClientRequest {
        let base = options.serverURL.absoluteString.hasSuffix("/") ? String(options.serverURL.absoluteString.dropLast()) : options.serverURL.absoluteString
        guard var components = URLComponents(string: base + path) else { throw WorkerError.invalidOptions("cannot make a URL of \(base + path)") }
        if !query.isEmpty { components.queryItems = query.sorted { $0.key < $1.key }.map { URLQueryItem(name: $0.key, value: $0.value) } }
        guard let url = components.url else { throw WorkerError.invalidOptions("cannot make a URL of \(base + path)") }
        var request = HTTPClientRequest(url: url.absoluteString)
        request.method = .init(rawValue: method)
        if let body {
            request.body = .bytes(ByteBuffer(bytes: body.canonicalData))
            request.headers.add(name: "Content-Type", value: "application/json")
        }
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        return request
    }

    private func send(_ method: String, _ path: String, body: JSONValue?, token: String?, query: [String: String] = [:]) async throws -> (Int, JSONValue) {
        let request = try makeRequest(method, path, body: body, token: token, query: query)
        let status: Int, data: ByteBuffer
        do {
            // In a task of its own: a cancelled execution still wants its last checkpoint delivered.
            let http = self.http
            (status, data) = try await Task {
                let response = try await http.execute(request, timeout: Self.callTimeout)
                return (Int(response.status.code), try await response.body.collect(upTo: Self.maxAnswerBytes))
            }.value
        } catch {
            throw WorkerError.unreachable("\(method) \(path): \(error)")
        }
        let json = (try? JSONValue(parsing: Data(data.readableBytesView))) ?? .null
        return (status, json)
    }

    static func message(_ json: JSONValue, status: Int) -> String {
        json["error"]?["message"]?.stringValue ?? "HTTP \(status)"
    }

    static func segment(_ text: String) -> String {
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove(charactersIn: "/?#")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }
}
