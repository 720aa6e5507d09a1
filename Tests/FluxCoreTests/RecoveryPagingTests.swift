import FluxCore
import Foundation
import Testing

/// Recovery takes over everything a dead process left, in pages (hostile review, point 3: after a restart it took at
/// most 10,000 executions per start, leaving 19,597 RUNNING).
@Suite("Recovery in pages")
struct RecoveryPagingTests {
    @Test func everyAbandonedExecutionIsRecoveredHoweverManyThereAre() async throws {
        let store = InMemoryStore()
        let engine = FluxEngine(store: store)
        let echo = workflow("echo") { (ctx: ExecutionContext<Int>) in ctx.input }
        await engine.register(echo.definition)
        let count = 10_500
        let lapsed = Date().addingTimeInterval(-60)
        for i in 0..<count {
            try await store.createExecution(ExecutionRecord(
                id: ExecutionRecord.newID(), workflowName: "echo", workflowVersion: echo.definition.version, state: i % 3 == 0 ? .created : .running,
                input: .int(i), owner: i % 3 == 0 ? nil : "another-host:4242:1", claimGeneration: 1, leaseExpiresAt: lapsed), events: [])
        }
        let recovered = try await engine.recoverAbandoned()
        #expect(recovered.count == count)
        let settled = try await eventually {
            (try await store.countExecutionsByState())[.completed] == count
        }
        let states = try await store.countExecutionsByState()
        #expect(settled, "\(states)")
    }
}
