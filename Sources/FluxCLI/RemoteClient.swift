import AsyncHTTPClient
import Flux
import FluxService
import FluxWorker
import Foundation
import NIOCore
import Synchronization

/// A Flux server's REST API (`flux start server`), for `--server-url`. Errors come back as the server's
/// `{"error": {"code", "message"}}`, turned into the same ``ServiceError``s (and exit codes) as local calls.
struct RemoteClient: FluxClient {
    let baseURL: URL
    let authToken: String?
    let adminToken: String?

    /// One client for the command's calls, on NIO's shared event loops; it lives as long as the process (a CLI
    /// command), like AsyncHTTPClient's `HTTPClient.shared`. No read timeout: a sync run answers when the
    /// execution settles, however long that takes.
    static let http = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup,
                                 configuration: .init(redirectConfiguration: .disallow, timeout: .init(connect: .seconds(10))))

    /// Largest answer read from the server.
    static let maxAnswerBytes = 1 << 30

    // MARK: - Workflows

    /// Sent with the admin token when one is given or configured: only the operator may register a document that
    /// requests secrets, and the server takes the admin token in place of the auth token.
    func register(document: String, sourceName: String) async throws -> [JSONValue] {
        let reply = try await send("POST", "/workflows", query: ["filename": sourceName], body: Data(document.utf8),
                                   contentType: sourceName.lowercased().hasSuffix(".json") ? "application/json" : "application/yaml",
                                   token: adminToken ?? authToken)
        return reply.arrayValue ?? []
    }

    func listWorkflows() async throws -> [JSONValue] { try await send("GET", "/workflows").arrayValue ?? [] }

    func workflowDetails(name: String, version: Int?) async throws -> JSONValue {
        try await send("GET", "/workflows/\(Self.segment(name))", query: ["version": version.map(String.init)], token: adminToken ?? authToken)
    }

    func deleteWorkflow(name: String, version: Int?) async throws -> Int {
        try await send("DELETE", "/workflows/\(Self.segment(name))", query: ["version": version.map(String.init)], token: authToken)["deleted_versions"]?.intValue ?? 0
    }

    // MARK: - Executions

    func run(name: String, version: Int?, input: JSONValue, mode: RunModeArgument, detailed: Bool,
             onEvent: @escaping @Sendable (JSONValue) -> Void) async throws -> JSONValue {
        let path = "/workflows/\(Self.segment(name))/run/\(mode.rawValue)"
        let query = ["version": version.map(String.init), "detailed": detailed ? "true" : nil]
        if mode == .stream { return try await stream(path, query: query, input: input, detailed: detailed, onEvent: onEvent) }
        return try await send("POST", path, query: query, body: input.canonicalData, contentType: "application/json", token: authToken)
    }

    func resume(name: String, executionID: String, input: JSONValue, pauseID: String?, mode: RunModeArgument, detailed: Bool,
                onEvent: @escaping @Sendable (JSONValue) -> Void) async throws -> JSONValue {
        let path = "/workflows/\(Self.segment(name))/resume/\(Self.segment(executionID))/\(mode.rawValue)"
        let query = ["detailed": detailed ? "true" : nil, "pause_id": pauseID]
        if mode == .stream { return try await stream(path, query: query, input: input, detailed: detailed, onEvent: onEvent) }
        return try await send("POST", path, query: query, body: input.canonicalData, contentType: "application/json", token: authToken)
    }

    func status(name: String, executionID: String, detailed: Bool) async throws -> JSONValue {
        try await send("GET", "/workflows/\(Self.segment(name))/status/\(Self.segment(executionID))", query: ["detailed": detailed ? "true" : nil])
    }

    func cancel(name: String, executionID: String, wait: Bool, detailed: Bool) async throws -> JSONValue {
        try await send("POST", "/workflows/\(Self.segment(name))/cancel/\(Self.segment(executionID))",
                       query: ["mode": wait ? "sync" : "async", "detailed": detailed ? "true" : nil], token: authToken)
    }

    /// Follows the SSE stream of a run or resume, reporting each event, then reads the settled execution.
    private func stream(_ path: String, query: [String: String?], input: JSONValue, detailed: Bool,
                        onEvent: @escaping @Sendable (JSONValue) -> Void) async throws -> JSONValue {
        var request = try makeRequest("POST", path, query: query, body: input.canonicalData, contentType: "application/json", token: authToken)
        request.headers.add(name: "Accept", value: "text/event-stream")
        let executionID = Mutex<String?>(nil)
        try await Self.readEvents(request) { event, data in
            guard let json = try? JSONValue(parsing: data) else { return }
            if let id = json["execution_id"]?.stringValue { executionID.withLock { if $0 == nil { $0 = id } } }
            if event == "error" { throw Self.serviceError(status: 503, body: Data(data.utf8)) }
            // Execution frames carry the event under "event"; task frames are the event itself.
            if let recorded = json["event"], recorded.objectValue != nil {
                onEvent(recorded)
            } else if json["type"] != nil, var object = json.objectValue {
                object["execution_id"] = nil
                object["workflow_name"] = nil
                onEvent(.object(object))
            }
        }
        guard let id = executionID.withLock({ $0 }) else {
            throw ServiceError(.unavailable, "the server's event stream ended before naming the execution")
        }
        return try await send("GET", "/executions/\(Self.segment(id))", query: ["detailed": detailed ? "true" : nil])
    }

    // MARK: - Secrets (admin API)

    func secretNames() async throws -> [String] {
        (try await send("GET", "/admin/secrets", token: adminToken).arrayValue ?? []).compactMap(\.stringValue)
    }

    func secret(name: String) async throws -> String {
        guard let value = try await send("GET", "/admin/secrets/\(Self.segment(name))", token: adminToken)["value"]?.stringValue else {
            throw ServiceError(.internalError, "the server's answer has no value for secret \(name)")
        }
        return value
    }

    func secretGrants() async throws -> [JSONValue] {
        try await send("GET", "/admin/secrets", query: ["detailed": "true"], token: adminToken).arrayValue ?? []
    }

    func setSecret(name: String, value: String?, grant: SecretGrant?) async throws {
        var fields: [String: JSONValue] = ["name": .string(name)]
        if let value { fields["value"] = .string(value) }
        switch grant {
        case nil: break
        case .anyWorkflow?: fields["workflows"] = .null
        case .workflows(let names)?: fields["workflows"] = .array(names.map(JSONValue.string))
        }
        let body = JSONValue.object(fields)
        _ = try await send("POST", "/admin/secrets", body: body.canonicalData, contentType: "application/json", token: adminToken)
    }

    func deleteSecret(name: String) async throws -> Bool {
        do {
            _ = try await send("DELETE", "/admin/secrets/\(Self.segment(name))", token: adminToken)
            return true
        } catch let error as ServiceError where error.code == .notFound {
            return false
        }
    }

    // MARK: - HTTP

    func makeRequest(_ method: String, _ path: String, query: [String: String?] = [:], body: Data? = nil,
                     contentType: String? = nil, token: String? = nil) throws -> HTTPClientRequest {
        let base = baseURL.absoluteString.hasSuffix("/") ? String(baseURL.absoluteString.dropLast()) : baseURL.absoluteString
        guard var components = URLComponents(string: base + path) else {
            throw ServiceError(.invalidInput, "cannot make a URL of \(base + path)")
        }
        let items = query.compactMap { key, value in value.map { URLQueryItem(name: key, value: $0) } }.sorted { $0.name < $1.name }
        if !items.isEmpty { components.queryItems = items }
        guard let url = components.url else { throw ServiceError(.invalidInput, "cannot make a URL of \(base + path)") }
        var request = HTTPClientRequest(url: url.absoluteString)
        request.method = .init(rawValue: method)
        if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
        if let contentType { request.headers.add(name: "Content-Type", value: contentType) }
        // Every route but /health needs the auth token when the server has one, reads included.
        if let token = token ?? authToken { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        return request
    }

    func send(_ method: String, _ path: String, query: [String: String?] = [:], body: Data? = nil,
              contentType: String? = nil, token: String? = nil) async throws -> JSONValue {
        let request = try makeRequest(method, path, query: query, body: body, contentType: contentType, token: token)
        let status: Int, data: Data
        do {
            let response = try await Self.http.execute(request, deadline: .distantFuture)
            status = Int(response.status.code)
            data = Data(try await response.body.collect(upTo: Self.maxAnswerBytes).readableBytesView)
        } catch {
            throw ServiceError(.unavailable, "cannot reach the Flux server at \(baseURL.absoluteString): \(error)")
        }
        guard (200..<300).contains(status) else { throw Self.serviceError(status: status, body: data) }
        do {
            return try JSONValue(parsing: data)
        } catch {
            throw ServiceError(.internalError, "the server answered \(status) with a body that is not JSON: \(String(decoding: data.prefix(200), as: UTF8.self))")
        }
    }

    /// Follows the Server-Sent Events of `request`, handing each frame's event name and data to `handle`; an error
    /// answer becomes the server's ``ServiceError``.
    static func readEvents(_ request: HTTPClientRequest, handle: @escaping @Sendable (_ event: String, _ data: String) throws -> Void) async throws {
        do {
            for try await frame in EventStreamReader.frames(request, client: http, idleTimeout: nil) where frame.event != "ping" {
                try handle(frame.event, frame.data)
            }
        } catch let error as ServiceError {
            throw error
        } catch let refused as EventStreamReader.Refused {
            throw serviceError(status: refused.status, body: Data(refused.body.utf8))
        } catch {
            throw ServiceError(.unavailable, "the event stream from the Flux server broke: \(error)")
        }
    }

    /// The server's error body as a service error (the same codes, so the same exit statuses).
    static func serviceError(status: Int, body: Data) -> ServiceError {
        let json = try? JSONValue(parsing: body)
        let message = json?["error"]?["message"]?.stringValue ?? "the server answered HTTP \(status)"
        if let raw = json?["error"]?["code"]?.stringValue, let code = ServiceError.Code(rawValue: raw) {
            return ServiceError(code, message)
        }
        switch status {
        case 400, 413: return ServiceError(status == 413 ? .tooLarge : .invalidInput, message)
        case 401, 403: return ServiceError(.unauthorized, message)
        case 404, 405: return ServiceError(.notFound, message)
        case 409: return ServiceError(.conflict, message)
        case 503: return ServiceError(.unavailable, message)
        default: return ServiceError(.internalError, message)
        }
    }

    /// A path segment with `/` and the other reserved characters escaped.
    static func segment(_ text: String) -> String {
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove(charactersIn: "/?#")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }
}
