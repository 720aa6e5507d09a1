import FluxCore
import Foundation
import Synchronization
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The `http:` step: one request through the environment's HTTP client, within the host policy.
struct HTTPStep: Sendable {
    let environment: InterpreterEnvironment

    /// The evaluated request. Its `json` (with secrets shown as markers) is what the task records.
    struct Request: Sendable {
        var method: String
        var url: String
        var headers: JSONValue?
        var query: JSONValue?
        var body: JSONValue?
        var expect: [Int]?
        var timeout: Double?

        var json: JSONValue {
            var object: [String: JSONValue] = ["method": .string(method), "url": .string(url)]
            if let headers { object["headers"] = headers }
            if let query { object["query"] = query }
            if let body { object["body"] = body }
            return .object(object)
        }
    }

    func perform(_ request: Request, step: String) async throws -> JSONValue {
        guard var components = URLComponents(string: request.url), let scheme = components.scheme?.lowercased(),
              scheme == "http" || scheme == "https", let host = components.host, !host.isEmpty else {
            throw StepError(step: step, message: "http url must be an absolute http:// or https:// URL, got \(request.url.prefix(200))")
        }
        let policy = HostPolicy(environment: environment)
        if let refusal = await policy.refusalAsync(host: host) { throw StepError(step: step, message: refusal) }
        if let query = request.query, !query.isNull {
            guard let object = query.objectValue else {
                throw StepError(step: step, message: "http query must be an object of names to values, found \(query.typeName)")
            }
            var items = components.queryItems ?? []
            for (k, v) in object.sorted(by: { $0.key < $1.key }) where !v.isNull {
                items.append(URLQueryItem(name: k, value: ExpressionEvaluator.text(v)))
            }
            components.queryItems = items
        }
        guard let url = components.url else { throw StepError(step: step, message: "http url is not valid: \(request.url.prefix(200))") }
        let method = request.method.uppercased()
        var urlRequest = URLRequest(url: url)
        urlRequest.httpMethod = method
        if let headers = request.headers, !headers.isNull {
            guard let object = headers.objectValue else {
                throw StepError(step: step, message: "http headers must be an object of names to values, found \(headers.typeName)")
            }
            for (k, v) in object where !v.isNull { urlRequest.setValue(ExpressionEvaluator.text(v), forHTTPHeaderField: k) }
        }
        if let body = request.body, !body.isNull {
            if case .string(let text) = body {
                urlRequest.httpBody = Data(text.utf8)
                if urlRequest.value(forHTTPHeaderField: "Content-Type") == nil {
                    urlRequest.setValue("text/plain; charset=utf-8", forHTTPHeaderField: "Content-Type")
                }
            } else {
                urlRequest.httpBody = body.canonicalData
                if urlRequest.value(forHTTPHeaderField: "Content-Type") == nil {
                    urlRequest.setValue("application/json", forHTTPHeaderField: "Content-Type")
                }
            }
        }
        let timeout = request.timeout ?? environment.httpTimeout
        urlRequest.timeoutInterval = timeout
        let shown = "\(method) \(Self.shown(url))"
        let transfer = HTTPClientRequest(request: urlRequest, maxResponseBytes: environment.maxResponseBytes, timeout: timeout) { next in
            guard let host = next.host, ["http", "https"].contains(next.scheme?.lowercased() ?? "") else {
                return "http redirect to \(next.absoluteString.prefix(200)) is refused: only http and https URLs are followed"
            }
            return policy.refusal(host: host).map { "redirect refused: \($0)" }
        }
        let response: HTTPClientResponse
        do { response = try await environment.httpClient(transfer) } catch let error as HTTPClientError {
            throw StepError(step: step, message: "http \(shown) failed: \(error.message)")
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            throw StepError(step: step, message: "http \(shown) failed: \(error.localizedDescription)")
        }
        guard response.body.count <= environment.maxResponseBytes else {
            throw StepError(step: step, message: "http \(shown): the response of \(response.body.count) bytes exceeds the limit of \(environment.maxResponseBytes) bytes")
        }
        var headers: [String: JSONValue] = [:]
        for (k, v) in response.headers { headers[k.lowercased()] = .string(v) }
        let contentType = headers["content-type"]?.stringValue?.lowercased() ?? ""
        let text = String(decoding: response.body, as: UTF8.self)
        let body: JSONValue
        if contentType.contains("json"), !response.body.isEmpty, let parsed = try? JSONValue(parsing: response.body) {
            body = parsed
        } else {
            body = .string(text)
        }
        let expected = request.expect ?? Array(200...299)
        guard expected.contains(response.status) else {
            let wanted = request.expect.map { $0.map(String.init).joined(separator: ", ") } ?? "2xx"
            throw StepError(step: step, message: "http \(shown) answered \(response.status), expected \(wanted): \(text.prefix(300))")
        }
        return ["status": .int(response.status), "headers": .object(headers), "body": body]
    }

    /// The URL without its query (which may carry tokens) for messages.
    static func shown(_ url: URL) -> String {
        var c = URLComponents(url: url, resolvingAgainstBaseURL: false)
        c?.query = nil
        c?.user = nil
        c?.password = nil
        return String((c?.string ?? url.absoluteString).prefix(200))
    }
}

/// The HTTP clients the interpreter ships with.
public enum HTTPClients {
    /// Sends the request with `URLSession` (ephemeral: no cookies, no cache), stops reading once the body passes
    /// the limit, checks every redirect with the request's `checkRedirect`, and gives up after `timeout` seconds.
    public static let urlSession: HTTPClient = { transfer in
        try await URLSessionTransfer(transfer).run()
    }
}

/// One request through a `URLSession` of its own, driven by its delegate.
final class URLSessionTransfer: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    private let transfer: HTTPClientRequest
    private struct State {
        var response: HTTPURLResponse?
        var data = Data()
        var failure: String?
        var continuation: CheckedContinuation<HTTPClientResponse, any Error>?
        var finished = false
        var task: URLSessionDataTask?
    }
    private let state = Mutex(State())

    init(_ transfer: HTTPClientRequest) {
        self.transfer = transfer
    }

    func run() async throws -> HTTPClientResponse {
        let configuration = URLSessionConfiguration.ephemeral
        // FoundationNetworking on Linux truncates timeouts to whole seconds (0.5 s times out at once): give it a
        // backstop in whole seconds and enforce the exact limit with a timer of our own.
        let backstop = max(1, transfer.timeout.rounded(.up)) + 1
        configuration.timeoutIntervalForRequest = backstop
        configuration.timeoutIntervalForResource = backstop
        var request = transfer.request
        request.timeoutInterval = backstop
        configuration.urlCache = nil
        configuration.httpCookieStorage = nil
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        let session = URLSession(configuration: configuration, delegate: self, delegateQueue: nil)
        defer { session.finishTasksAndInvalidate() }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<HTTPClientResponse, any Error>) in
                let task = session.dataTask(with: request)
                let cancelled = state.withLock { s -> Bool in
                    s.continuation = continuation
                    s.task = task
                    return s.finished
                }
                if cancelled {
                    finish(.failure(CancellationError()))
                } else {
                    task.resume()
                    let seconds = transfer.timeout
                    DispatchQueue.global().asyncAfter(deadline: .now() + seconds) { [weak self] in
                        self?.fail("timed out after \(Self.format(seconds)) s", task: task)
                    }
                }
            }
        } onCancel: {
            let task = state.withLock { s -> URLSessionDataTask? in
                if s.failure == nil { s.failure = "cancelled" }
                return s.task
            }
            task?.cancel()
            finish(.failure(CancellationError()))
        }
    }

    private func finish(_ result: Result<HTTPClientResponse, any Error>) {
        let continuation = state.withLock { s -> CheckedContinuation<HTTPClientResponse, any Error>? in
            s.finished = true
            let c = s.continuation
            s.continuation = nil
            return c
        }
        continuation?.resume(with: result)
    }

    static func format(_ seconds: Double) -> String { seconds.rounded() == seconds ? String(Int(seconds)) : String(seconds) }

    /// Ends the exchange at once with `message` (without waiting for the client to report the cancellation).
    private func fail(_ message: String, task: URLSessionTask) {
        let first = state.withLock { s -> Bool in
            guard s.failure == nil, !s.finished else { return false }
            s.failure = message
            return true
        }
        guard first else { return }
        task.cancel()
        finish(.failure(HTTPClientError(message)))
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
                    completionHandler: @escaping (URLSession.ResponseDisposition) -> Void) {
        let limit = transfer.maxResponseBytes
        if response.expectedContentLength > Int64(limit) {
            fail("the response of \(response.expectedContentLength) bytes exceeds the limit of \(limit) bytes", task: dataTask)
            completionHandler(.cancel)
            return
        }
        state.withLock { $0.response = response as? HTTPURLResponse }
        completionHandler(.allow)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        let limit = transfer.maxResponseBytes
        let over = state.withLock { s -> Bool in
            guard s.failure == nil else { return false }
            s.data.append(data)
            return s.data.count > limit
        }
        if over { fail("the response exceeds the limit of \(limit) bytes", task: dataTask) }
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
                    newRequest request: URLRequest, completionHandler: @escaping (URLRequest?) -> Void) {
        guard let url = request.url else {
            completionHandler(nil)
            return
        }
        if let refusal = transfer.checkRedirect(url) {
            // Not followed: the redirect response ends the exchange, which then fails with the refusal. (Cancelling
            // the task inside this callback trips FoundationNetworking on Linux.)
            state.withLock { if $0.failure == nil { $0.failure = refusal } }
            completionHandler(nil)
            return
        }
        completionHandler(request)
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: (any Error)?) {
        let (response, data, failure) = state.withLock { ($0.response, $0.data, $0.failure) }
        if let failure {
            finish(failure == "cancelled" ? .failure(CancellationError()) : .failure(HTTPClientError(failure)))
        } else if let error {
            let nsError = error as NSError
            let message = nsError.code == NSURLErrorTimedOut ? "timed out after \(Self.format(transfer.timeout)) s" : error.localizedDescription
            finish(.failure(HTTPClientError(message)))
        } else if let response {
            var headers: [String: String] = [:]
            for (k, v) in response.allHeaderFields { headers[String(describing: k)] = String(describing: v) }
            finish(.success(HTTPClientResponse(status: response.statusCode, headers: headers, body: data)))
        } else {
            finish(.failure(HTTPClientError("no HTTP response")))
        }
    }
}
