import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing

/// Runs workflows that use secrets through the real binaries (the CLI, then `flux start server` at debug level),
/// then searches the SQLite files (database, -wal, -shm), every captured log and every answer for the secrets'
/// values. The workflows put the values where a careless engine would record them: a step output, a failing
/// step's error message, a program's stdout and stderr, an HTTP header, the detailed status, the SSE stream.
@Suite("secrets never leak")
struct SecretLeakTests {
    static let key = "an encryption key for the leak test"
    let cliSecret = "cli-" + UUID().uuidString.replacingOccurrences(of: "-", with: "")
    let serverSecret = "srv-" + UUID().uuidString.replacingOccurrences(of: "-", with: "")

    /// A workflow that hands the secret to a program (as an environment variable it requested), prints it, sends
    /// it as a header, and finally fails with it in the error message; `probe` requests no secret and dumps its
    /// environment, which must hold neither the value nor the encryption key.
    static func document(name: String, url: String) -> String {
        """
        flux: 1
        name: \(name)
        secrets: [API_KEY]
        steps:
          - id: probe
            exec: { command: sh, args: ["-c", "env; cat /proc/self/environ | tr '\\\\0' '\\\\n'"] }
          - id: show
            exec: { command: sh, args: ["-c", "echo \\"out $KEY\\"; echo \\"err $KEY\\" >&2"], env: { KEY: "${{ secrets.API_KEY }}" } }
          - id: send
            http: { url: "\(url)", headers: { X-Api-Key: "${{ secrets.API_KEY }}" }, expect: 200 }
          - id: spell
            set: "the key is ${{ secrets.API_KEY }}"
          - id: fail
            exec: { command: sh, args: ["-c", "echo \\"bad key $KEY\\" >&2; exit 3"], env: { KEY: "${{ secrets.API_KEY }}" } }
        """
    }

    func environment(directory: URL) -> [String: String] {
        var env = cleanEnvironment
        env["FLUX_SECURITY__ENCRYPTION_KEY"] = Self.key
        env["FLUX_SECURITY__ADMIN_TOKEN"] = "admin-token-for-the-leak-test"
        env["FLUX_SECURITY__EXEC_ALLOWLIST"] = #"["sh"]"#
        env["FLUX_LOG_LEVEL"] = "debug"
        env["FLUX_SECURITY__TRUSTED_LOCAL_OPERATOR"] = "true"   // the CLI registers a document that requests a secret
        return env
    }

    func flux(_ arguments: [String], in directory: URL, environment: [String: String]) async throws -> Finished {
        try await runToEnd(try ProofPaths.flux.path, arguments, environment: environment, directory: directory, timeout: Deadline.command)
    }

    @Test("a run that uses secrets leaves no value in the SQLite files, the logs or the answers")
    func noSecretValueAnywhere() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("flux-leak-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let env = environment(directory: directory)
        var captured: [(String, String)] = []   // (what, text) searched at the end

        // 1. The CLI: set the secret, run a document that uses it (sync, then stream), show the detailed status.
        var done = try await flux(["secrets", "set", "API_KEY", cliSecret], in: directory, environment: env)
        #expect(done.status == 0, "secrets set: \(done.stderr)")
        captured.append(("secrets set", done.stdout + done.stderr))
        // The http step reaches a port nobody listens on: it fails, after retrying nothing, with the header in hand.
        try Self.document(name: "leaky_cli", url: "http://127.0.0.1:9/none").write(
            to: directory.appendingPathComponent("leaky.yaml"), atomically: true, encoding: .utf8)
        done = try await flux(["run", "leaky.yaml", "--detailed", "--format", "json"], in: directory, environment: env)
        captured.append(("flux run", done.stdout + done.stderr))
        #expect(done.status == 1, "the run should fail at `send` or `fail`: \(done.stdout) \(done.stderr)")
        let runSummary = try JSONSerialization.jsonObject(with: Data(done.stdout.utf8)) as? [String: Any]
        let cliExecution = try #require(runSummary?["execution_id"] as? String)
        done = try await flux(["workflow", "status", "leaky_cli", cliExecution, "--detailed", "--format", "json"], in: directory, environment: env)
        captured.append(("flux workflow status", done.stdout + done.stderr))
        done = try await flux(["workflow", "run", "leaky_cli", "--mode", "stream"], in: directory, environment: env)
        captured.append(("flux workflow run --mode stream", done.stdout + done.stderr))
        #expect(done.stdout.contains("TASK_COMPLETED"), "the stream printed events")

        // 2. The server at debug level: the secret set through the admin API, a run whose http step reaches the
        // server itself (so the header crosses a real connection into a debug log), status, events and SSE.
        let server = try await ServerUnderTest(directory: directory, environment: env)
        let admin = ["Authorization": "Bearer admin-token-for-the-leak-test", "Content-Type": "application/json"]
        var reply = try await server.request("POST", "/admin/secrets", body: #"{"name": "API_KEY", "value": "\#(serverSecret)"}"#, headers: admin)
        #expect(reply.status == 200, "admin set: \(reply.text)")
        reply = try await server.request("POST", "/workflows", body: Self.document(name: "leaky_server", url: "http://127.0.0.1:\(server.port)/health"),
                                         headers: ["Content-Type": "application/yaml", "Authorization": admin["Authorization"] ?? ""])
        #expect(reply.status == 200, "register: \(reply.text)")
        reply = try await server.request("POST", "/workflows/leaky_server/run/sync?detailed=true", body: "null")
        captured.append(("POST run/sync", reply.text))
        let summary = try JSONSerialization.jsonObject(with: reply.body) as? [String: Any]
        #expect(summary?["state"] as? String == "FAILED", "the run ends at `fail`: \(reply.text)")
        let events = summary?["events"] as? [[String: Any]] ?? []
        let probe = events.first { ($0["type"] as? String) == "TASK_COMPLETED" && String(describing: $0["value"] ?? "").contains("PATH=") }
        let probeText = String(describing: probe?["value"] ?? "")
        #expect(!probeText.isEmpty, "the probe step's environment dump is recorded")
        #expect(!probeText.contains("[REDACTED]") && !probeText.contains(Self.key) && !probeText.contains("FLUX_"),
                "a step that requested no secret got one, or the engine's environment: \(probeText.prefix(500))")
        let completedSteps = events.filter { ($0["type"] as? String) == "TASK_COMPLETED" }.count
        #expect(completedSteps >= 4, "probe, show, send and spell complete before `fail`: \(completedSteps)")
        #expect(reply.text.contains("[REDACTED]"), "the values the steps produced are masked, not dropped")
        let id = try #require(summary?["execution_id"] as? String)
        for path in ["/workflows/leaky_server/status/\(id)?detailed=true", "/executions/\(id)?detailed=true", "/executions/\(id)/events",
                     "/executions/\(id)/stream", "/executions?workflow_name=leaky_server", "/workflows/leaky_server"] {
            reply = try await server.request("GET", path)
            #expect(reply.status == 200, "\(path): \(reply.status)")
            captured.append(("GET \(path)", reply.text))
        }
        reply = try await server.request("POST", "/workflows/leaky_server/run/stream", body: "null")
        captured.append(("POST run/stream (SSE)", reply.text))
        #expect(reply.text.contains("event: "), "an SSE stream came back")
        // Read the files while the server still holds them (the -wal and -shm exist only then), and after.
        var files = Self.databaseFiles(in: directory)
        try await server.stop()
        captured.append(("server stderr (debug)", server.log))
        #expect(server.log.contains("debug"), "the server logged at debug level")
        files += Self.databaseFiles(in: directory)

        // 3. Search everything.
        #expect(files.contains { $0.0.hasSuffix("flux.db") }, "the database file was read")
        #expect(files.contains { $0.0.hasSuffix("-wal") }, "the WAL file was read")
        for secret in [cliSecret, serverSecret] {
            for (what, bytes) in files {
                #expect(bytes.range(of: Data(secret.utf8)) == nil, "\(secret.prefix(4))… is in \(what)")
                #expect(bytes.range(of: Data(Data(secret.utf8).base64EncodedString().utf8)) == nil, "base64 of the secret is in \(what)")
            }
            for (what, text) in captured {
                #expect(!text.contains(secret), "\(secret.prefix(4))… is in \(what): \(Self.around(secret, in: text))")
            }
        }
    }

    static func databaseFiles(in directory: URL) -> [(String, Data)] {
        let folder = directory.appendingPathComponent(".flux")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.sorted().compactMap { name in
            (try? Data(contentsOf: folder.appendingPathComponent(name))).map { (name, $0) }
        }
    }

    static func around(_ needle: String, in text: String) -> String {
        guard let range = text.range(of: needle) else { return "" }
        let start = text.index(range.lowerBound, offsetBy: -120, limitedBy: text.startIndex) ?? text.startIndex
        let end = text.index(range.upperBound, offsetBy: 120, limitedBy: text.endIndex) ?? text.endIndex
        return String(text[start..<end])
    }
}

/// `flux start server` on a free port in `directory`, its standard error collected.
final class ServerUnderTest: @unchecked Sendable {
    let process = Process()
    private let buffer = LogCollector()
    private(set) var port = 0
    var log: String { buffer.text }

    init(directory: URL, environment: [String: String]) async throws {
        process.executableURL = try ProofPaths.flux
        process.arguments = ["start", "server", "--host", "127.0.0.1", "--port", "0"]
        process.currentDirectoryURL = directory
        process.environment = environment
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        let pipe = Pipe()
        process.standardError = pipe
        pipe.fileHandleForReading.readabilityHandler = { [buffer] handle in
            let data = handle.availableData
            if data.isEmpty {
                handle.readabilityHandler = nil
                buffer.end()
            } else {
                buffer.append(String(decoding: data, as: UTF8.self))
            }
        }
        try process.run()
        let deadline = ContinuousClock.now + Deadline.startUp
        while ContinuousClock.now < deadline {
            if let range = log.range(of: "listening on http://127.0.0.1:"), let port = Int(log[range.upperBound...].prefix { $0.isNumber }) {
                self.port = port
                return
            }
            if !process.isRunning { throw ProofFailure("flux start server exited with \(process.terminationStatus) before it listened: \(log)") }
            try await Task.sleep(for: .milliseconds(20))
        }
        kill(process.processIdentifier, SIGKILL)
        throw ProofFailure("flux start server did not listen within \(Deadline.startUp): \(log)")
    }

    struct Reply {
        let status: Int
        let body: Data
        var text: String { String(decoding: body, as: UTF8.self) }
    }

    func request(_ method: String, _ path: String, body: String? = nil, headers: [String: String] = ["Content-Type": "application/json"]) async throws -> Reply {
        var request = URLRequest(url: try #require(URL(string: "http://127.0.0.1:\(port)\(path)")))
        request.httpMethod = method
        request.httpBody = body.map { Data($0.utf8) }
        request.timeoutInterval = 300
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        let (data, response) = try await URLSession.shared.data(for: request)
        return Reply(status: (response as? HTTPURLResponse)?.statusCode ?? 0, body: data)
    }

    func stop() async throws {
        process.terminate()
        let deadline = ContinuousClock.now + Deadline.exit
        while process.isRunning, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        // The last log lines: the pipe reaches its end once the process is gone (later, if a process another test
        // started at the same moment inherited its write end; the lines are read by then, so the wait is short).
        let logged = ContinuousClock.now + .seconds(10)
        while !buffer.ended, ContinuousClock.now < logged { try await Task.sleep(for: .milliseconds(10)) }
    }

    deinit { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
}

/// Text appended from a pipe's handler thread and read from the test.
final class LogCollector: @unchecked Sendable {
    private let lock = NSLock()
    private var storage = ""
    private var atEnd = false
    var text: String { lock.withLock { storage } }
    /// The pipe has reached its end: nothing more will be appended.
    var ended: Bool { lock.withLock { atEnd } }
    func append(_ more: String) { lock.withLock { storage += more } }
    func end() { lock.withLock { atEnd = true } }
}
