import Flux
import FluxService
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Synchronization

/// A Flux server's REST API (`flux start server`), for `--server-url`. Errors come back as the server's
/// `{"error": {"code", "message"}}`, turned into the same ``ServiceError``s (and exit codes) as local calls.
struct RemoteClient: FluxClient {
    let baseURL: URL
    let authToken: String?
    let adminToken: String?

    static let session: URLSession = {
        let configuration = URLSessionConfiguration.ephemeral
        // A sync run answers when the execution settles, however long that takes.
        configuration.timeoutIntervalForRequest = 24 * 3600
        configuration.timeoutIntervalForResource = 7 * 24 * 3600
        return URLSession(configuration: configuration)
    }()

    // MARK: - Workflows

    func register(document: String, sourceName: String) async throws -> [JSONValue] {
        let reply = try await send("POST", "/workflows", query: ["filename": sourceName], body: Data(document.utf8),
                                   contentType: sourceName.lowercased().hasSuffix(".json") ? "application/json" : "application/yaml", token: authToken)
        return reply.arrayValue ?? []
    }

    func listWorkflows() async throws -> [JSONValue] { try await send("GET", "/workflows").arrayValue ?? [] }

    func workflowDetails(name: String, version: Int?) async throws -> JSONValue {
        try await send("GET", "/workflows/\(Self.segment(name))", query: ["version": version.map(String.init)])
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

    func resume(name: String, executionID: String, input: JSONValue, mode: RunModeArgument, detailed: Bool,
                onEvent: @escaping @Sendable (JSONValue) -> Void) async throws -> JSONValue {
        let path = "/workflows/\(Self.segment(name))/resume/\(Self.segment(executionID))/\(mode.rawValue)"
        let query = ["detailed": detailed ? "true" : nil]
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
        request.setValue("text/event-stream", forHTTPHeaderField: "Accept")
        let executionID = Mutex<String?>(nil)
        try await SSEReader.read(request, session: Self.session) { event, data in
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

    func setSecret(name: String, value: String) async throws {
        let body: JSONValue = ["name": .string(name), "value": .string(value)]
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
                     contentType: String? = nil, token: String? = nil) throws -> URLRequest {
        let base = baseURL.absoluteString.hasSuffix("/") ? String(baseURL.absoluteString.dropLast()) : baseURL.absoluteString
        guard var components = URLComponents(string: base + path) else {
            throw ServiceError(.invalidInput, "cannot make a URL of \(base + path)")
        }
        let items = query.compactMap { key, value in value.map { URLQueryItem(name: key, value: $0) } }.sorted { $0.name < $1.name }
        if !items.isEmpty { components.queryItems = items }
        guard let url = components.url else { throw ServiceError(.invalidInput, "cannot make a URL of \(base + path)") }
        var request = URLRequest(url: url)
        request.httpMethod = method
        request.httpBody = body
        if let contentType { request.setValue(contentType, forHTTPHeaderField: "Content-Type") }
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        return request
    }

    func send(_ method: String, _ path: String, query: [String: String?] = [:], body: Data? = nil,
              contentType: String? = nil, token: String? = nil) async throws -> JSONValue {
        let request = try makeRequest(method, path, query: query, body: body, contentType: contentType, token: token)
        let data: Data, response: URLResponse
        do {
            (data, response) = try await Self.session.data(for: request)
        } catch {
            throw ServiceError(.unavailable, "cannot reach the Flux server at \(baseURL.absoluteString): \(error.localizedDescription)")
        }
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        guard (200..<300).contains(status) else { throw Self.serviceError(status: status, body: data) }
        do {
            return try JSONValue(parsing: data)
        } catch {
            throw ServiceError(.internalError, "the server answered \(status) with a body that is not JSON: \(String(decoding: data.prefix(200), as: UTF8.self))")
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

/// Reads a Server-Sent Events response as it arrives and hands each frame's event name and data to `handle`.
enum SSEReader {
    static func read(_ request: URLRequest, session: URLSession,
                     handle: @escaping @Sendable (_ event: String, _ data: String) throws -> Void) async throws {
        let (chunks, continuation) = AsyncThrowingStream<Data, any Error>.makeStream()
        let delegate = StreamDelegate(continuation: continuation)
        // A session of its own: swift-corelibs-foundation ignores per-task delegates.
        let streaming = URLSession(configuration: session.configuration, delegate: delegate, delegateQueue: nil)
        defer { streaming.finishTasksAndInvalidate() }
        let task = streaming.dataTask(with: request)
        task.resume()
        var pending = Data()
        var event = "message", data: [String] = []
        do {
            for try await chunk in chunks {
                if let status = delegate.status, !(200..<300).contains(status) {
                    // An error answer: read it whole and report it.
                    var body = chunk
                    for try await more in chunks { body.append(more) }
                    throw RemoteClient.serviceError(status: status, body: body)
                }
                pending.append(chunk)
                while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                    var line = String(decoding: pending[pending.startIndex..<newline], as: UTF8.self)
                    pending.removeSubrange(pending.startIndex...newline)
                    if line.hasSuffix("\r") { line.removeLast() }
                    if line.isEmpty {
                        if !data.isEmpty { try handle(event, data.joined(separator: "\n")) }
                        event = "message"
                        data = []
                    } else if line.hasPrefix("event:") {
                        event = line.dropFirst("event:".count).trimmingCharacters(in: .whitespaces)
                    } else if line.hasPrefix("data:") {
                        var value = String(line.dropFirst("data:".count))
                        if value.hasPrefix(" ") { value.removeFirst() }
                        data.append(value)
                    }
                }
            }
        } catch let error as ServiceError {
            task.cancel()
            throw error
        } catch {
            task.cancel()
            throw ServiceError(.unavailable, "the event stream from the Flux server broke: \(error.localizedDescription)")
        }
        if let status = delegate.status, !(200..<300).contains(status) {
            throw RemoteClient.serviceError(status: status, body: Data())
        }
    }

    final class StreamDelegate: NSObject, URLSessionDataDelegate, @unchecked Sendable {
        let continuation: AsyncThrowingStream<Data, any Error>.Continuation
        private let statusCode = Mutex<Int?>(nil)
        var status: Int? { statusCode.withLock { $0 } }

        init(continuation: AsyncThrowingStream<Data, any Error>.Continuation) {
            self.continuation = continuation
        }

        func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
                        completionHandler: @escaping (URLSession.ResponseDisposition) -> Void) {
            statusCode.withLock { $0 = (response as? HTTPURLResponse)?.statusCode }
            completionHandler(.allow)
        }

        func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
            continuation.yield(data)
        }

        func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: (any Error)?) {
            if let error { continuation.finish(throwing: error) } else { continuation.finish() }
        }
    }
}
