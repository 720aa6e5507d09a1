import FluxCore
import Foundation
import Testing

/// A loopback HTTP server (Scripts/http_fixture.py) for the http examples.
final class HTTPFixture: @unchecked Sendable {
    let process = Process()
    let port: Int
    let token: String
    /// The fixture exits when this pipe closes: when the fixture is released, or when the test process dies.
    private let lifeline = Pipe()

    init(token: String) throws {
        self.token = token
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Scripts/http_fixture.py")
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script.path, token]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        process.standardInput = lifeline
        try process.run()
        var line = Data()
        while true {
            let byte = out.fileHandleForReading.readData(ofLength: 1)
            if byte.isEmpty || byte == Data("\n".utf8) { break }
            line.append(byte)
        }
        guard let port = Int(String(decoding: line, as: UTF8.self)) else {
            process.terminate()
            throw BinaryMissing(message: "the HTTP fixture did not start (is python3 installed?)")
        }
        self.port = port
    }

    func url(_ path: String) -> String { "http://127.0.0.1:\(port)\(path)" }

    deinit {
        try? lifeline.fileHandleForWriting.close()
        process.terminate()
    }
}

@Suite("Example documents through the flux binary")
struct ExampleDocumentsTests {
    /// Runs `file` with `input`, expecting `status`; returns the summary.
    func run(_ flux: FluxBinary, _ file: String, _ input: String, status: Int32, extra: [String] = []) throws -> JSONValue {
        let result = try flux.run(["run", FluxBinary.examples.appendingPathComponent(file).path, input, "--format", "json", "--detailed"] + extra)
        #expect(result.status == status, "\(file): \(result.stderr) \(result.stdout.prefix(500))")
        return try JSONValue(parsing: result.stdout.split(separator: "\n").last.map(String.init) ?? "")
    }

    func types(_ summary: JSONValue) -> [String] {
        summary["events"]?.arrayValue?.compactMap { $0["type"]?.stringValue } ?? []
    }

    @Test func computeExamples() throws {
        let flux = try FluxBinary()
        let hello = try run(flux, "hello_world.yaml", "World", status: 0)
        #expect(hello["output"] == "Hello, World")
        #expect(types(hello) == ["WORKFLOW_STARTED", "TASK_STARTED", "TASK_COMPLETED", "WORKFLOW_COMPLETED"])
        #expect(try run(flux, "json_document.json", "\"x\"", status: 0)["state"] == "COMPLETED")
        let parallel = try run(flux, "parallel_tasks.yaml", "Ada", status: 0)
        #expect(parallel["output"] == ["greetings": ["Hi, Ada", "Hello, Ada"], "shouted": "ADA", "letters": 3])
        #expect(try run(flux, "simple_pipeline.yaml", "4", status: 0)["output"] == 121)
        let nested = try run(flux, "nested_tasks.yaml", #"{"words": ["durable", "flows"]}"#, status: 0)
        #expect(nested["output"]?["sentence"] == "DURABLE FLOWS")
        #expect(nested["output"]?["lengths"] == [["word": "durable", "letters": 7], ["word": "flows", "letters": 5]])
        let map = try run(flux, "task_map.yaml", "[1, 2, 3]", status: 0)
        #expect(map["output"]?["squares"] == [1, 4, 9] && map["output"]?["total"] == 14)
        #expect(map["output"]?["labels"] == ["#0: 1", "#1: 4", "#2: 9"])
        #expect(try run(flux, "graph.yaml", "7", status: 0)["output"] == "7 is small")
        #expect(try run(flux, "graph.yaml", "700", status: 0)["output"] == "700 is big")
        let many = try run(flux, "subflows.yaml", #"["a", "b"]"#, status: 0, extra: ["--workflow", "greet_many"])
        #expect(many["output"] == ["Hello, a", "Hello, b"])
        let determinism = try run(flux, "determinism.yaml", "{}", status: 0)
        #expect(determinism["output"]?["dice"]?.intValue.map { (1...6).contains($0) } == true)
        #expect(determinism["output"]?["even"]?.intValue.map { $0 % 2 == 0 } == true)
    }

    @Test func pauseExamples() throws {
        let flux = try FluxBinary()
        let paused = try run(flux, "pause.yaml", "{}", status: 3)
        #expect(paused["pause"]?["name"] == "wait_for_approval" && paused["pause"]?["output"] == "Ready to deploy")
        let id = try #require(paused["execution_id"]?.stringValue)
        let resumed = try JSONValue(parsing: try flux.run(["workflow", "resume", "pause", id, "yes", "--format", "json"]).stdout)
        #expect(resumed["output"] == "Approved with: yes")

        let review = try run(flux, "pause_with_input.yaml", "{}", status: 3)
        let reviewID = try #require(review["execution_id"]?.stringValue)
        let rejected = try flux.run(["workflow", "resume", "pause_with_input", reviewID, #"{"approved": "maybe"}"#, "--format", "json"])
        #expect(rejected.status == 2, "a resume input that breaks the pause's schema is refused")
        #expect(rejected.stderr.contains("approved"))
        let accepted = try flux.run(["workflow", "resume", "pause_with_input", reviewID, #"{"approved": true}"#, "--format", "json"])
        #expect(accepted.status == 0, "the refused resume left the execution paused and resumable")

        var multi = try run(flux, "multiple_pause_points.yaml", "{}", status: 3)
        let multiID = try #require(multi["execution_id"]?.stringValue)
        for (expected, answer) in [("ask_name", "\"Ada\""), ("ask_age", "36"), ("confirm", "true")] {
            #expect(multi["pause"]?["name"] == .string(expected))
            multi = try JSONValue(parsing: try flux.run(["workflow", "resume", "multiple_pause_points", multiID, answer, "--format", "json"]).stdout)
        }
        #expect(multi["state"] == "COMPLETED")
        #expect(multi["output"] == ["name": "Ada", "age": 36, "confirmed": true])
    }

    @Test func failureHandlingExamples() throws {
        let flux = try FluxBinary(environment: ["FLUX_SECURITY__EXEC_ALLOWLIST": #"["false"]"#])
        let fallback = try run(flux, "task_fallback.yaml", "{}", status: 0)
        #expect(fallback["output"] == "fallback value")
        #expect(types(fallback).contains("TASK_FALLBACK_COMPLETED"))
        let rollback = try run(flux, "task_rollback.yaml", "{}", status: 1)
        let rollbackTypes = types(rollback)
        #expect(rollbackTypes.contains("TASK_FAILED") && rollbackTypes.last == "WORKFLOW_FAILED")
        let released = rollback["events"]?.arrayValue?.first { $0["name"] == "reserve_rollback" && $0["type"] == "TASK_COMPLETED" }
        #expect(released?["value"] == "released R-1", "the completed step was rolled back when a later one failed")
        let timeout = try run(flux, "task_timeout.yaml", "{}", status: 1)
        #expect(timeout["output"]?["type"] == "TaskFailedError" || timeout["output"]?["message"]?.stringValue?.contains("timed out") == true)
        let afterTimeout = try run(flux, "task_fallback_after_timeout.yaml", "{}", status: 0)
        #expect(afterTimeout["output"] == "timed out, used the fallback")
        let noExec = try FluxBinary()
        let refused = try run(noExec, "task_fallback.yaml", "{}", status: 0)
        #expect(refused["events"]?.arrayValue?.contains { $0["type"] == "TASK_FALLBACK_STARTED" } == true)
    }

    @Test func httpExamples() throws {
        let fixture = try HTTPFixture(token: "tok-\(UUID().uuidString)")
        // Trusted: using_secrets.yaml and order_report.yaml request secrets, which only the operator may register.
        let flux = try FluxBinary(environment: ["FLUX_SECURITY__ENCRYPTION_KEY": "example-documents-key-123",
                                                "FLUX_SECURITY__TRUSTED_LOCAL_OPERATOR": "true"])
        let get = try run(flux, "http_get.yaml", #"{"url": "\#(fixture.url("/ok"))"}"#, status: 0)
        #expect(get["output"] == ["status": 200, "body": ["ok": true]])
        let retries = try run(flux, "task_retries.yaml", #"{"url": "\#(fixture.url("/ok"))"}"#, status: 0)
        #expect(retries["output"] == 200)
        let fallback = try run(flux, "task_fallback_after_retry.yaml", #"{"failing_url": "\#(fixture.url("/fail"))"}"#, status: 0)
        #expect(fallback["output"] == "served by the fallback")
        #expect(types(fallback).filter { $0 == "TASK_RETRY_FAILED" }.count == 2)
        _ = try run(flux, "task_cache.yaml", #"{"url": "\#(fixture.url("/items"))"}"#, status: 0)
        _ = try run(flux, "task_cache.yaml", #"{"url": "\#(fixture.url("/items"))"}"#, status: 0)
        let hits = try JSONValue(parsing: String(decoding: try Data(contentsOf: URL(string: fixture.url("/hits"))!), as: UTF8.self))
        #expect(hits["hits"]?["/items"] == 1, "the second run came from the cache")

        #expect(try flux.run(["secrets", "set", "API_TOKEN", fixture.token]).status == 0)
        let secret = try run(flux, "using_secrets.yaml", #"{"url": "\#(fixture.url("/auth"))"}"#, status: 0)
        #expect(secret["output"] == 200)
        #expect(!secret.canonicalJSON.contains(fixture.token), "the token appears nowhere in the events or output")
        let db = try Data(contentsOf: flux.directory.appendingPathComponent(".flux/flux.db"))
        let wal = (try? Data(contentsOf: flux.directory.appendingPathComponent(".flux/flux.db-wal"))) ?? Data()
        #expect(db.range(of: Data(fixture.token.utf8)) == nil && wal.range(of: Data(fixture.token.utf8)) == nil)

        #expect(try flux.run(["secrets", "set", "REPORT_TOKEN", fixture.token]).status == 0)
        let input = #"{"orders_url": "\#(fixture.url("/items"))", "publish_url": "\#(fixture.url("/publish"))"}"#
        let report = try run(flux, "order_report.yaml", input, status: 3)
        #expect(report["pause"]?["output"]?["report"]?["orders"] == 2)
        let id = try #require(report["execution_id"]?.stringValue)
        let published = try JSONValue(parsing: try flux.run(["workflow", "resume", "order_report", id, #"{"approved": true, "reviewer": "ada"}"#, "--format", "json"]).stdout)
        #expect(published["state"] == "COMPLETED")
        #expect(published["output"]?["published"] == true)
    }

    @Test func linkLocalAndMetadataAddressesAreRefused() throws {
        let flux = try FluxBinary()
        let refused = try run(flux, "http_get.yaml", #"{"url": "http://169.254.169.254/latest/meta-data"}"#, status: 1)
        #expect(refused["output"]?["message"]?.stringValue?.contains("refused") == true)
    }

    @Test func cancellationExample() async throws {
        let flux = try FluxBinary()
        let started = try flux.run(["run", FluxBinary.examples.appendingPathComponent("cancellation.yaml").path, "{}", "--mode", "async", "--format", "json"])
        let id = try #require(try JSONValue(parsing: started.stdout)["execution_id"]?.stringValue)
        var state = ""
        // A bound on a wait, generous enough for a busy machine; not a claim about speed.
        let deadline = ContinuousClock.now + .seconds(300)
        while ContinuousClock.now < deadline {
            state = (try JSONValue(parsing: try flux.run(["workflow", "status", "cancellation", id, "--format", "json"]).stdout))["state"]?.stringValue ?? ""
            if state == "RUNNING" { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(state == "RUNNING")
        let cancelled = try flux.run(["workflow", "cancel", "cancellation", id, "--format", "json"])
        #expect(cancelled.status == 0, "a cancel that succeeded exits 0: \(cancelled.stderr)")
        #expect(try JSONValue(parsing: cancelled.stdout)["state"] == "CANCELLED")
    }
}
