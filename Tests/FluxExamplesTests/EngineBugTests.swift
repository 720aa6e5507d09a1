import Flux
import FluxExamples
import FluxStore
import Foundation
import Synchronization
import Testing

/// Engine bugs the examples ran into, kept as regression tests now that they are fixed.
@Suite("Engine bugs found by the examples")
struct EngineBugTests {
    /// A cached task's result is stored under its arguments for every later execution. When the body
    /// fails and the fallback answers, the engine must not cache the fallback's answer as if it were the task's:
    /// one transient failure would make the stand-in value permanent. Only the body's own result is cached.
    @Test func aFallbackResultIsNotCachedAsTheTaskResult() async throws {
        let engine = try await makeEngine()
        let down = Atomic<Bool>(true)
        let quote = task("quote", options: TaskOptions(cache: true)) { (symbol: String) -> String in
            if down.load(ordering: .relaxed) { throw ExampleError.simulatedFailure("quote service down") }
            return "\(symbol): 42.0"
        }.with(fallback: { symbol in "\(symbol): unavailable" })
        let wf = FluxCore.workflow("cached_quote") { (ctx: ExecutionContext<String>) in try await quote(ctx.input) }

        let first = try await wf.run("ACME", on: engine)
        #expect(first.output == "ACME: unavailable", "the service is down: the fallback answers")
        down.store(false, ordering: .relaxed)
        let second = try await wf.run("ACME", on: engine)
        let cached = try await engine.store.cachedValue(key: TaskIdentity.contentID(name: "quote", arguments: "ACME"))

        #expect(second.output == "ACME: 42.0", "the service is back: the body runs, the fallback's answer was not cached")
        #expect(cached == "ACME: 42.0", "the body's own result is the one cached")
    }
}
