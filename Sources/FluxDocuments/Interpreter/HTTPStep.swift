import FluxCore
import Foundation

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
        let pinned: String?
        switch await policy.admissionAsync(host: host) {
        case .refused(let refusal): throw StepError(step: step, message: refusal)
        case .admitted(let address): pinned = address
        }
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
        let timeout = request.timeout ?? environment.httpTimeout
        var transfer = HTTPClientRequest(method: method, url: url, maxResponseBytes: environment.maxResponseBytes, timeout: timeout,
                                         pinnedAddress: pinned) { next in
            guard let host = next.host, ["http", "https"].contains(next.scheme?.lowercased() ?? "") else {
                return .refused("http redirect to \(next.absoluteString.prefix(200)) is refused: only http and https URLs are followed")
            }
            switch await policy.admissionAsync(host: host) {
            case .refused(let refusal): return .refused("redirect refused: \(refusal)")
            case .admitted(let address): return .admitted(address: address)
            }
        }
        if let headers = request.headers, !headers.isNull {
            guard let object = headers.objectValue else {
                throw StepError(step: step, message: "http headers must be an object of names to values, found \(headers.typeName)")
            }
            for (k, v) in object where !v.isNull { transfer.setHeader(k, ExpressionEvaluator.text(v)) }
        }
        if let body = request.body, !body.isNull {
            if case .string(let text) = body {
                transfer.body = Data(text.utf8)
                if transfer.header("Content-Type") == nil { transfer.setHeader("Content-Type", "text/plain; charset=utf-8") }
            } else {
                transfer.body = body.canonicalData
                if transfer.header("Content-Type") == nil { transfer.setHeader("Content-Type", "application/json") }
            }
        }
        let shown = "\(method) \(Self.shown(url))"
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
