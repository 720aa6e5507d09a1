import FluxCore
import Foundation
import Testing

@Suite("Task options")
struct TaskOptionsTests {
    struct Failure: Error, CustomStringConvertible {
        let message: String
        var description: String { message }
    }

    @Test func retriesBackOffExponentiallyAndThenSucceed() async throws {
        let engine = makeEngine()
        let attempts = Counter()
        let flaky = task("flaky", options: TaskOptions(retryMaxAttempts: 3, retryDelay: 0.01, retryBackoff: 2)) { (x: Int) -> Int in
            if attempts.increment() < 4 { throw Failure(message: "attempt \(attempts.count) failed") }
            return x
        }
        let wf = workflow("retries") { (ctx: ExecutionContext<Int>) in try await flaky(ctx.input) }
        let ctx = try await wf.run(5, on: engine)
        #expect(ctx.output == 5)
        #expect(attempts.count == 4)
        let delays = ctx.events.of(.taskRetryStarted).compactMap { $0.value["current_delay"]?.doubleValue }
        #expect(delays == [0.01, 0.02, 0.04], "delay × backoff^n: the backoff really grows")
        #expect(ctx.events.of(.taskRetryFailed).count == 2)
        #expect(ctx.events.of(.taskRetryCompleted).count == 1)
        #expect(ctx.events.types.last == .workflowCompleted)
    }

    @Test func retriesExhaustedFailTheTask() async throws {
        let engine = makeEngine()
        let attempts = Counter()
        let broken = task("broken", options: TaskOptions(retryMaxAttempts: 2, retryDelay: 0)) { (_: Int) -> Int in
            attempts.increment()
            throw Failure(message: "always")
        }
        let wf = workflow("retries_fail") { (ctx: ExecutionContext<Int>) in try await broken(ctx.input) }
        let ctx = try await wf.run(1, on: engine)
        #expect(ctx.state == .failed)
        #expect(attempts.count == 3)
        #expect(ctx.events.of(.taskRetryFailed).count == 2)
        #expect(ctx.events.of(.taskFailed).first?.value["message"]?.stringValue?.contains("always") == true)
    }

    /// Each attempt would run an hour: the run ending at all (the time limit only catches a hang) shows that the three
    /// were cut short, not waited out.
    @Test(.timeLimit(.minutes(10))) func timeoutAppliesToEveryAttempt() async throws {
        let engine = makeEngine()
        let attempts = Counter()
        let slow = task("slow", options: TaskOptions(retryMaxAttempts: 2, retryDelay: 0, timeout: 0.05)) { (_: Int) -> Int in
            attempts.increment()
            try await Task.sleep(for: .seconds(3600))
            return 0
        }
        let wf = workflow("timeouts") { (ctx: ExecutionContext<Int>) in try await slow(ctx.input) }
        let ctx = try await wf.run(1, on: engine)
        #expect(ctx.state == .failed)
        #expect(attempts.count == 3)
        let failures = ctx.events.of(.taskRetryFailed).compactMap { $0.value["error"]?["type"]?.stringValue }
        #expect(failures == ["TaskTimeoutError", "TaskTimeoutError"])
        #expect(ctx.events.of(.taskFailed).first?.value["type"] == "TaskTimeoutError")
    }

    /// The body would run an hour: the run ending at all (the time limit only catches a hang) shows that the body was
    /// abandoned, not waited for.
    @Test(.timeLimit(.minutes(10))) func timeoutAbandonsABodyThatIgnoresCancellation() async throws {
        let engine = makeEngine()
        let stubborn = task("stubborn", options: TaskOptions(timeout: 0.05)) { (_: Int) -> Int in
            // Waits an hour without ever looking at cancellation (and without holding a thread).
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                DispatchQueue.global().asyncAfter(deadline: .now() + 3600) { c.resume() }
            }
            return 1
        }
        let wf = workflow("stubborn_wf") { (ctx: ExecutionContext<Int>) in try await stubborn(ctx.input) }
        let ctx = try await wf.run(1, on: engine)
        #expect(ctx.state == .failed)
        #expect(ctx.events.of(.taskFailed).first?.value["type"] == "TaskTimeoutError")
    }

    @Test func fallbackGetsTheSameArgumentsAndCompletesTheTask() async throws {
        let engine = makeEngine()
        let primary = task("primary", options: TaskOptions(retryMaxAttempts: 1, retryDelay: 0)) { (x: Int) -> String in
            throw Failure(message: "down \(x)")
        }.with(fallback: { x in "fallback \(x)" })
        let wf = workflow("with_fallback") { (ctx: ExecutionContext<Int>) in try await primary(ctx.input) }
        let ctx = try await wf.run(9, on: engine)
        #expect(ctx.state == .completed)
        #expect(ctx.output == "fallback 9")
        let types = ctx.events.types
        #expect(types.contains(.taskRetryFailed))
        #expect(Array(types.suffix(4)) == [.taskFallbackStarted, .taskFallbackCompleted, .taskCompleted, .workflowCompleted])
    }

    @Test func fallbackAfterTimeout() async throws {
        let engine = makeEngine()
        let slow = task("slow_primary", options: TaskOptions(timeout: 0.05)) { (x: Int) -> Int in
            try await Task.sleep(for: .seconds(5))
            return x
        }.with(fallback: { x in -x })
        let wf = workflow("fallback_timeout") { (ctx: ExecutionContext<Int>) in try await slow(ctx.input) }
        let ctx = try await wf.run(3, on: engine)
        #expect(ctx.output == -3)
    }

    @Test func rollbackRunsWhenTheTaskFinallyFails() async throws {
        let engine = makeEngine()
        let rolledBack = Counter()
        let charge = task("charge") { (_: Int) -> Int in throw Failure(message: "card declined") }
            .with(rollback: { _ in rolledBack.increment() })
        let wf = workflow("with_rollback") { (ctx: ExecutionContext<Int>) in try await charge(ctx.input) }
        let ctx = try await wf.run(100, on: engine)
        #expect(ctx.state == .failed)
        #expect(rolledBack.count == 1)
        #expect(ctx.events.types.suffix(4) == [.taskRollbackStarted, .taskRollbackCompleted, .taskFailed, .workflowFailed])
    }

    @Test func cacheReusesResultsAcrossExecutions() async throws {
        let engine = makeEngine()
        let computed = Counter()
        let expensive = task("expensive", options: TaskOptions(cache: true)) { (x: Int) -> Int in
            computed.increment()
            return x * x
        }
        let wf = workflow("cached") { (ctx: ExecutionContext<Int>) in try await expensive(ctx.input) }
        let first = try await wf.run(12, on: engine)
        let second = try await wf.run(12, on: engine)
        let other = try await wf.run(13, on: engine)
        #expect(first.output == 144 && second.output == 144 && other.output == 169)
        #expect(computed.count == 2, "the second run of 12 came from the cache")
        #expect(try await engine.store.cachedValue(key: TaskIdentity.contentID(name: "expensive", arguments: 12)) == 144)
    }

    @Test func metadataInjectsTaskIDAndName() async throws {
        let engine = makeEngine()
        let introspect = task("introspect", options: TaskOptions(metadata: true)) { (_: Int, context: TaskContext) -> [String] in
            [context.metadata?.taskID ?? "", context.metadata?.taskName ?? ""]
        }
        let wf = workflow("meta") { (ctx: ExecutionContext<Int>) in try await introspect(ctx.input) }
        let ctx = try await wf.run(1, on: engine)
        let taskID = try #require(ctx.events.of(.taskStarted).first?.sourceID)
        #expect(ctx.output == [.string(taskID), "introspect"])
    }

    @Test func secretsAreInjectedAndRedactedFromEverythingRecorded() async throws {
        let engine = makeEngine(secrets: ["API_KEY": "sk-very-secret-123"])
        let leak = task("leak", options: TaskOptions(secretRequests: ["API_KEY"])) { (path: String, context: TaskContext) -> String in
            "\(path)?key=\(context.secrets["API_KEY"] ?? "none")"
        }
        let wf = workflow("secrets") { (ctx: ExecutionContext<String>) in try await leak(ctx.input) }
        let ctx = try await wf.run("/v1/items", on: engine)
        #expect(ctx.state == .completed)
        #expect(ctx.output == "/v1/items?key=[REDACTED]")
        let everything = ctx.events.map { $0.value.canonicalJSON }.joined()
        #expect(!everything.contains("sk-very-secret-123"))
        let stored = try await engine.store.execution(id: ctx.executionID)
        #expect(stored?.output.canonicalJSON.contains("sk-very-secret-123") == false)
    }

    @Test func aMissingSecretFailsNamingIt() async throws {
        let engine = makeEngine(secrets: ["OTHER": "x"])
        let needs = task("needs", options: TaskOptions(secretRequests: ["DB_PASSWORD"])) { (_: Int, _: TaskContext) in 1 }
        let wf = workflow("missing_secret") { (ctx: ExecutionContext<Int>) in try await needs(ctx.input) }
        let ctx = try await wf.run(1, on: engine)
        #expect(ctx.state == .failed)
        #expect(ctx.errorMessage?.contains("DB_PASSWORD") == true)
    }
}

