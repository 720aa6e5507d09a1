import FluxCore
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The `http:` step: one request through the platform's HTTP client, within the host policy.
struct HTTPStep: Sendable {
    let environment: InterpreterEnvironment

    struct Request: Sendable {
        var method: String
        var url: String
        var headers: JSONValue?
        var query: JSONValue?
        var body: JSONValue?
        var expect: [Int]?
        var timeout: Double?

        var json: [String: JSONValue] {
            ["method": .string(method), "url": .string(url), "headers": headers ?? .null, "query": query ?? .null, "body": body ?? .null]
        }
    }

    /// Hosts refused whatever the configuration says: cloud metadata services.
    static let metadataHosts: Set<String> = ["metadata.google.internal", "metadata", "169.254.169.254", "fd00:ec2::254"]

    func perform(_ request: Request, step: String) async throws -> JSONValue {
        guard var components = URLComponents(string: request.url), let scheme = components.scheme?.lowercased(),
              scheme == "http" || scheme == "https", let host = components.host?.lowercased(), !host.isEmpty else {
            throw StepError(step: step, message: "http url must be an absolute http:// or https:// URL, got \(request.url.prefix(200))")
        }
        try checkHost(host, step: step)
        if let query = request.query?.objectValue {
            var items = components.queryItems ?? []
            for (k, v) in query.sorted(by: { $0.key < $1.key }) { items.append(URLQueryItem(name: k, value: ExpressionEvaluator.text(v))) }
            components.queryItems = items
        }
        guard let url = components.url else { throw StepError(step: step, message: "http url is not valid: \(request.url.prefix(200))") }
        var urlRequest = URLRequest(url: url)
        urlRequest.httpMethod = request.method.uppercased()
        urlRequest.timeoutInterval = request.timeout ?? 30
        for (k, v) in request.headers?.objectValue ?? [:] { urlRequest.setValue(ExpressionEvaluator.text(v), forHTTPHeaderField: k) }
        if let body = request.body, !body.isNull {
            if case .string(let text) = body {
                urlRequest.httpBody = Data(text.utf8)
            } else {
                urlRequest.httpBody = body.canonicalData
                if urlRequest.value(forHTTPHeaderField: "Content-Type") == nil {
                    urlRequest.setValue("application/json", forHTTPHeaderField: "Content-Type")
                }
            }
        }
        let (data, response): (Data, URLResponse)
        do { (data, response) = try await URLSession.shared.data(for: urlRequest) } catch {
            throw StepError(step: step, message: "http \(urlRequest.httpMethod ?? "GET") \(url.absoluteString) failed: \(error.localizedDescription)")
        }
        guard data.count <= environment.maxResponseBytes else {
            throw StepError(step: step, message: "http response of \(data.count) bytes exceeds the limit of \(environment.maxResponseBytes)")
        }
        let http = response as? HTTPURLResponse
        let status = http?.statusCode ?? 0
        var headers: [String: JSONValue] = [:]
        for (k, v) in http?.allHeaderFields ?? [:] { headers[String(describing: k).lowercased()] = .string(String(describing: v)) }
        let isJSON = headers["content-type"]?.stringValue?.contains("json") == true
        let body: JSONValue = isJSON ? ((try? JSONValue(parsing: data)) ?? .string(String(decoding: data, as: UTF8.self)))
                                     : .string(String(decoding: data, as: UTF8.self))
        let expected = request.expect ?? Array(200...299)
        guard expected.contains(status) else {
            throw StepError(step: step, message: "http \(urlRequest.httpMethod ?? "GET") \(url.absoluteString) answered \(status), expected \(request.expect.map { "\($0)" } ?? "2xx")")
        }
        return ["status": .int(status), "headers": .object(headers), "body": body]
    }

    func checkHost(_ host: String, step: String) throws {
        let bare = host.trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        if Self.metadataHosts.contains(bare) || Self.isLinkLocal(bare) {
            throw StepError(step: step, message: "http to \(host) is refused: link-local and cloud metadata addresses are never reachable from workflows")
        }
        if environment.httpDenyHosts.contains(where: { Self.matches(bare, $0) }) {
            throw StepError(step: step, message: "http to \(host) is refused by security.http_deny_hosts")
        }
        if !environment.httpAllowHosts.isEmpty, !environment.httpAllowHosts.contains(where: { Self.matches(bare, $0) }) {
            throw StepError(step: step, message: "http to \(host) is refused: it is not in security.http_allow_hosts")
        }
    }

    /// `example.com` matches itself; `*.example.com` matches its subdomains.
    static func matches(_ host: String, _ pattern: String) -> Bool {
        let p = pattern.lowercased()
        if p.hasPrefix("*.") { return host.hasSuffix(String(p.dropFirst(1))) }
        return host == p
    }

    static func isLinkLocal(_ host: String) -> Bool {
        host.hasPrefix("169.254.") || host.lowercased().hasPrefix("fe80:")
    }
}

/// The `exec:` step: a command with arguments, no shell, only when the allowlist names it.
struct ExecStep: Sendable {
    let allowlist: [String]

    func perform(_ command: String, arguments: JSONValue, environment: JSONValue?, step: String) throws -> JSONValue {
        guard !allowlist.isEmpty else {
            throw StepError(step: step, message: "exec is disabled: list the commands workflows may run in security.exec_allowlist")
        }
        let name = (command as NSString).lastPathComponent
        guard allowlist.contains(command) || (!command.contains("/") && allowlist.contains(name)) else {
            throw StepError(step: step, message: "exec of \(command) is refused: it is not in security.exec_allowlist")
        }
        guard let executable = Self.resolve(command) else {
            throw StepError(step: step, message: "exec: command \(command) was not found on PATH")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = (arguments.arrayValue ?? []).map { ExpressionEvaluator.text($0) }
        if let env = environment?.objectValue {
            var merged = ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"]
            for (k, v) in env { merged[k] = ExpressionEvaluator.text(v) }
            process.environment = merged
        } else {
            process.environment = ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"]
        }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        do { try process.run() } catch { throw StepError(step: step, message: "exec of \(command) failed to start: \(error)") }
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let code = Int(process.terminationStatus)
        let result: JSONValue = ["exit_code": .int(code), "stdout": .string(String(decoding: stdout.prefix(1 << 20), as: UTF8.self)),
                                 "stderr": .string(String(decoding: stderr.prefix(1 << 20), as: UTF8.self))]
        guard code == 0 else {
            throw StepError(step: step, message: "exec of \(command) exited with \(code): \(String(decoding: stderr.prefix(500), as: UTF8.self))")
        }
        return result
    }

    static func resolve(_ command: String) -> String? {
        if command.contains("/") { return FileManager.default.isExecutableFile(atPath: command) ? command : nil }
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let path = "\(dir)/\(command)"
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return nil
    }
}
