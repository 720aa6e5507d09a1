import FluxCore
import Foundation
import Testing
@testable import FluxDocuments

/// Every document of examples/documents run through the interpreter on an in-memory engine.
@Suite("Example documents through the interpreter")
struct InterpreterExampleTests {
    /// The examples this suite runs; a new example must be added here (and tested below).
    static let covered: Set<String> = [
        "hello_world.yaml", "json_document.json", "parallel_tasks.yaml", "simple_pipeline.yaml", "nested_tasks.yaml",
        "determinism.yaml", "sleep.yaml", "pause.yaml", "pause_with_input.yaml", "multiple_pause_points.yaml",
        "cancellation.yaml", "graph.yaml", "task_cache.yaml", "task_fallback.yaml", "task_fallback_after_retry.yaml",
        "task_fallback_after_timeout.yaml", "task_map.yaml", "task_retries.yaml", "task_rollback.yaml", "task_timeout.yaml",
        "using_secrets.yaml", "subflows.yaml", "http_get.yaml", "order_report.yaml", "large_map.yaml",
    ]

    @Test func everyExampleIsRun() throws {
        let files = Set(try TestPaths.exampleFiles().map(\.lastPathComponent))
        #expect(files.subtracting(Self.covered).isEmpty, "examples not run by the interpreter tests: \(files.subtracting(Self.covered).sorted())")
        #expect(Self.covered.subtracting(files).isEmpty)
    }

    func run(_ file: String, _ input: JSONValue, environment: InterpreterEnvironment = InterpreterEnvironment(),
             secrets: (any SecretProvider)? = nil, workflow: String? = nil) async throws -> (FluxEngine, ExecutionSnapshot) {
        let text = try exampleText(file)
        let engine = try await documentEngine(text, file: file, environment: environment, secrets: secrets)
        let name = try workflow ?? DocumentParser.parse(text: text, sourceName: file)[0].name
        return (engine, try await engine.run(workflow: name, input: input))
    }

    @Test func helloWorld() async throws {
        let (_, s) = try await run("hello_world.yaml", "World")
        #expect(s.record.state == .completed)
        #expect(s.record.output == "Hello, World")
        #expect(s.types == sequentialTasks(1))
        let started = try #require(s.events.first { $0.type == .taskStarted })
        #expect(started.name == "greet")
        #expect(started.value == ["step": "steps[0]", "input": "Hello, World"])
    }

    @Test func jsonDocument() async throws {
        let (_, s) = try await run("json_document.json", "durable flows here")
        #expect(s.record.output == ["text": "durable flows here", "words": 3])
        #expect(s.types == sequentialTasks(2))
    }

    @Test func parallelTasks() async throws {
        let (_, s) = try await run("parallel_tasks.yaml", "Ada")
        #expect(s.record.output == ["greetings": ["Hi, Ada", "Hello, Ada"], "shouted": "ADA", "letters": 3])
        #expect(s.types.first == "WORKFLOW_STARTED" && s.types.last == "WORKFLOW_COMPLETED")
        #expect(s.count(.taskStarted) == 5 && s.count(.taskCompleted) == 5 && s.events.count == 12)
        #expect(s.events(.taskCompleted, named: "summary").count == 1)
        #expect(s.events[s.events.count - 2].name == "summary", "the step after the parallel step runs last")
    }

    @Test func simplePipeline() async throws {
        let (_, s) = try await run("simple_pipeline.yaml", 4)
        #expect(s.record.output == 121)
        #expect(s.types == sequentialTasks(3))
        #expect(s.events.filter { $0.type == .taskCompleted }.map(\.value) == [8, 11, 121])
    }

    @Test func nestedTasks() async throws {
        let (_, s) = try await run("nested_tasks.yaml", ["words": ["durable", "flows"]])
        #expect(s.record.output == [
            "sentence": "DURABLE FLOWS", "first_step": "durable flows",
            "lengths": [["word": "durable", "letters": 7], ["word": "flows", "letters": 5]],
        ])
        #expect(s.count(.taskStarted) == 5 && s.count(.taskCompleted) == 5)
        #expect(s.types.last == "WORKFLOW_COMPLETED")
    }

    @Test func determinismIsRecordedAndReplayed() async throws {
        let (engine, s) = try await run("determinism.yaml", [:])
        #expect(s.types == sequentialTasks(5))
        let out = s.record.output
        #expect(out["dice"]?.intValue.map { (1...6).contains($0) } == true)
        #expect(out["even"]?.intValue.map { $0 % 2 == 0 && (0..<100).contains($0) } == true)
        #expect(["red", "green", "blue"].contains(out["colour"]?.stringValue ?? ""))
        #expect(out["request_id"]?.stringValue?.count == 36)
        #expect(out["started"]?["iso"]?.stringValue.flatMap(Timestamp.parse) != nil)
        #expect(out["started"]?["timestamp"]?.doubleValue.map { abs($0 - Date().timeIntervalSince1970) < 600 } == true, "a Unix time of the run's moment")
        // The values are task outputs: the recorded events hold them.
        #expect(s.events(.taskCompleted, named: "dice").first?.value == out["dice"])
        _ = engine
    }

    @Test func sleepIsADurableTimer() async throws {
        let (_, s) = try await run("sleep.yaml", [:])
        #expect(s.record.state == .completed)
        #expect(s.types == sequentialTasks(3))
        #expect(s.events(.taskStarted, named: "wait").first?.value["seconds"] == 2.0, "a sleep's events carry its step id")
        let before = s.record.output["before"]?["timestamp"]?.doubleValue ?? 0
        let after = s.record.output["after"]?["timestamp"]?.doubleValue ?? 0
        #expect(after - before >= 1.9)
    }

    @Test func pauseAndResume() async throws {
        let (engine, paused) = try await run("pause.yaml", [:])
        #expect(paused.record.state == .paused)
        #expect(paused.pauseName == "wait_for_approval")
        #expect(paused.pauseOutput == "Ready to deploy")
        #expect(paused.types == ["WORKFLOW_STARTED", "TASK_STARTED", "TASK_COMPLETED", "TASK_PAUSED", "WORKFLOW_PAUSED"])
        let done = try await engine.resume(executionID: paused.record.id, input: "yes")
        #expect(done.record.state == .completed)
        #expect(done.record.output == "Approved with: yes")
        #expect(Array(done.types.dropFirst(5)) == ["WORKFLOW_RESUMING", "WORKFLOW_RESUMED", "TASK_RESUMED", "TASK_STARTED",
                                                   "TASK_COMPLETED", "WORKFLOW_COMPLETED"])
        #expect(done.events(.taskStarted, named: "prepare").count == 1, "the completed step was not run again")
    }

    @Test func pauseWithInputSchema() async throws {
        let (engine, paused) = try await run("pause_with_input.yaml", [:])
        #expect(paused.record.state == .paused && paused.pauseName == "review")
        let document = try DocumentParser.parse(text: try exampleText("pause_with_input.yaml"), sourceName: "p.yaml")[0]
        #expect(throws: EngineError.self) {
            try DocumentInterpreter.validateResumeInput(["approved": "maybe"], pauseName: "review", in: document)
        }
        try DocumentInterpreter.validateResumeInput(["approved": true], pauseName: "review", in: document)
        let rejected = try await engine.resume(executionID: paused.record.id, input: ["approved": "maybe"])
        #expect(rejected.record.state == .failed)
        #expect(rejected.failureMessage.contains("resume input.approved: expected boolean"), "\(rejected.failureMessage)")

        let (engine2, again) = try await run("pause_with_input.yaml", [:])
        let accepted = try await engine2.resume(executionID: again.record.id, input: ["approved": true, "comment": "fine"])
        #expect(accepted.record.output == "approved: fine")
        #expect(accepted.types.last == "WORKFLOW_COMPLETED")
    }

    @Test func multiplePausePoints() async throws {
        let (engine, first) = try await run("multiple_pause_points.yaml", [:])
        var snapshot = first
        for (name, answer) in [("ask_name", JSONValue("Ada")), ("ask_age", 36), ("confirm", true)] {
            #expect(snapshot.record.state == .paused && snapshot.pauseName == name)
            snapshot = try await engine.resume(executionID: first.record.id, input: answer)
        }
        #expect(snapshot.record.state == .completed)
        #expect(snapshot.record.output == ["name": "Ada", "age": 36, "confirmed": true])
        #expect(snapshot.count(.taskPaused) == 3 && snapshot.count(.taskResumed) == 3 && snapshot.count(.workflowPaused) == 3)
    }

    /// The example sleeps an hour: CANCELLED, with the sleep's TASK_CANCELLED, shows the cancel interrupted it.
    @Test(.timeLimit(.minutes(10))) func cancellationOfALongSleep() async throws {
        let engine = try await documentEngine(try exampleText("cancellation.yaml"), file: "cancellation.yaml")
        let record = try await engine.create(workflow: "cancellation", input: [:])
        await engine.start(executionID: record.id)
        let sleeping = try await waitFor(engine, record.id) { $0.events.contains { $0.type == .taskStarted && $0.name == "long_wait" } }
        #expect(sleeping.record.state == .running)
        let cancelled = try await engine.cancel(executionID: record.id)
        #expect(cancelled.record.state == .cancelled)
        #expect(cancelled.types.suffix(3) == ["WORKFLOW_CANCELLING", "TASK_CANCELLED", "WORKFLOW_CANCELLED"])
        #expect(!cancelled.events.contains { $0.name == "unreachable" })
    }

    @Test func graphBranches() async throws {
        let (_, small) = try await run("graph.yaml", 7)
        #expect(small.record.output == "7 is small")
        #expect(small.events.filter { $0.type == .taskStarted }.map(\.name) == ["classify", "small", "finish"])
        #expect(small.types == sequentialTasks(3))
        let (_, big) = try await run("graph.yaml", 700)
        #expect(big.record.output == "700 is big")
        #expect(big.events.filter { $0.type == .taskStarted }.map(\.name) == ["classify", "big", "finish"])
    }

    @Test func taskMap() async throws {
        let (_, s) = try await run("task_map.yaml", [1, 2, 3])
        #expect(s.record.output == ["squares": [1, 4, 9], "labels": ["#0: 1", "#1: 4", "#2: 9"], "total": 14])
        #expect(s.count(.taskStarted) == 7 && s.count(.taskCompleted) == 7)
        let items = s.events.filter { $0.type == .taskStarted && $0.name == "squares" }
        #expect(Set(items.map { $0.value["index"] }) == [0, 1, 2])
    }

    @Test func largeMap() async throws {
        let (_, s) = try await run("large_map.yaml", .null)
        #expect(s.record.state == .completed)
        #expect(s.record.output == 332_833_500)
        #expect(s.count(.taskStarted) == 1001 && s.count(.taskCompleted) == 1001)
        #expect(Set(s.events.filter { $0.type == .taskStarted }.map(\.sourceID)).count == 1001)
        let (_, ten) = try await run("large_map.yaml", 10)
        #expect(ten.record.output == 285)
    }

    @Test func subflows() async throws {
        let (_, s) = try await run("subflows.yaml", ["a", "b", "a"], workflow: "greet_many")
        #expect(s.record.state == .completed)
        #expect(s.record.output == ["Hello, a", "Hello, b", "Hello, a"])
        #expect(s.count(.taskStarted) == 3, "one call task per item, identical items included")
        let (_, one) = try await run("subflows.yaml", "c", workflow: "greet_one")
        #expect(one.record.output == "Hello, c")
    }

    @Test func failureHandlingExamples() async throws {
        let exec = InterpreterEnvironment(execAllowlist: ["false"])
        let (_, fallback) = try await run("task_fallback.yaml", [:], environment: exec)
        #expect(fallback.record.output == "fallback value")
        #expect(fallback.types == ["WORKFLOW_STARTED", "TASK_STARTED", "TASK_FALLBACK_STARTED", "TASK_FALLBACK_COMPLETED",
                                   "TASK_COMPLETED", "WORKFLOW_COMPLETED"])
        // exec disabled: the refusal is a failure like any other, so the fallback answers too.
        let (_, refused) = try await run("task_fallback.yaml", [:])
        #expect(refused.record.output == "fallback value")

        let (_, rollback) = try await run("task_rollback.yaml", [:], environment: exec)
        #expect(rollback.record.state == .failed)
        #expect(rollback.types == ["WORKFLOW_STARTED", "TASK_STARTED", "TASK_COMPLETED", "TASK_STARTED", "TASK_FAILED",
                                   "TASK_STARTED", "TASK_COMPLETED", "WORKFLOW_FAILED"])
        #expect(rollback.events(.taskCompleted, named: "reserve_rollback").first?.value == "released R-1")
        #expect(rollback.failureMessage.contains("exec of false exited with 1"), "\(rollback.failureMessage)")

        let (_, timeout) = try await run("task_timeout.yaml", [:])
        #expect(timeout.record.state == .failed)
        #expect(timeout.failureMessage.contains("timed out after 1 s"), "\(timeout.failureMessage)")
        #expect(timeout.types.first == "WORKFLOW_STARTED" && timeout.types.suffix(2) == ["TASK_FAILED", "WORKFLOW_FAILED"])

        let (_, afterTimeout) = try await run("task_fallback_after_timeout.yaml", [:])
        #expect(afterTimeout.record.output == "timed out, used the fallback")
        #expect(afterTimeout.count(.taskFallbackCompleted) == 1)
    }

    @Test func httpExamples() async throws {
        let server = try TestHTTPServer()
        defer { server.stop() }
        let (_, get) = try await run("http_get.yaml", ["url": .string(server.url("/ok"))])
        #expect(get.record.output == ["status": 200, "body": ["ok": true]])
        #expect(get.types == sequentialTasks(1))

        let (_, retries) = try await run("task_retries.yaml", ["url": .string(server.url("/flaky/retries"))])
        #expect(retries.record.output == 200)
        #expect(retries.count(.taskRetryStarted) == 2 && retries.count(.taskRetryFailed) == 1 && retries.count(.taskRetryCompleted) == 1)
        let delays = retries.events.filter { $0.type == .taskRetryStarted }.compactMap { $0.value["current_delay"]?.doubleValue }
        #expect(delays == [0.5, 1.0], "exponential backoff")

        let (_, fallback) = try await run("task_fallback_after_retry.yaml", ["failing_url": .string(server.url("/fail"))])
        #expect(fallback.record.output == "served by the fallback")
        #expect(fallback.count(.taskRetryFailed) == 2 && fallback.count(.taskFallbackCompleted) == 1)
        #expect(server.hits("/fail") == 3)

        let text = try exampleText("task_cache.yaml")
        let engine = try await documentEngine(text)
        let first = try await engine.run(workflow: "task_cache", input: ["url": .string(server.url("/items"))])
        let second = try await engine.run(workflow: "task_cache", input: ["url": .string(server.url("/items"))])
        #expect(first.record.output == second.record.output && first.record.state == .completed)
        #expect(server.hits("/items") == 1, "the second run came from the cache")
    }

    @Test func secretsExample() async throws {
        let server = try TestHTTPServer()
        defer { server.stop() }
        let secrets = TestSecrets(["API_TOKEN": server.token])
        let (_, s) = try await run("using_secrets.yaml", ["url": .string(server.url("/auth"))], secrets: secrets)
        #expect(s.record.output == 200)
        #expect(!s.everything.contains(server.token), "the token appears nowhere in the events or the output")
        #expect(s.events.first { $0.type == .taskStarted }?.value["input"]?["headers"]?["Authorization"] == "Bearer [secret:API_TOKEN]")
        #expect(secrets.requested == [["API_TOKEN"]])
    }

    @Test func orderReport() async throws {
        let server = try TestHTTPServer()
        defer { server.stop() }
        let secrets = TestSecrets(["REPORT_TOKEN": server.token])
        let input: JSONValue = ["orders_url": .string(server.url("/items")), "publish_url": .string(server.url("/publish"))]
        let (engine, paused) = try await run("order_report.yaml", input, secrets: secrets)
        #expect(paused.record.state == .paused, "\(paused.record.output)")
        #expect(paused.pauseOutput?["report"]?["orders"] == 2)
        #expect(paused.pauseOutput?["report"]?["net"] == 25.5)
        let published = try await engine.resume(executionID: paused.record.id, input: ["approved": true, "reviewer": "ada"])
        #expect(published.record.state == .completed, "\(published.record.output)")
        #expect(published.record.output["published"] == true)
        #expect(server.hits("/items") == 1 && server.hits("/publish") == 1, "the fetch was not repeated after the resume")
        #expect(!published.everything.contains(server.token))
        let post = try #require(published.events(.taskCompleted, named: "publish").first)
        #expect(post.value["status"] == 201)
        #expect(post.value["body"]?["received"]?["approved_by"] == "ada")
    }
}
