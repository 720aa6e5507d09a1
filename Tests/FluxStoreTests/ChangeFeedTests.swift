import FluxCore
import FluxPostgres
import FluxStore
import Foundation
import Testing

/// The change feed: what a store announces (the same on both stores), and, on PostgreSQL, that the
/// announcements reach other store instances through LISTEN/NOTIFY.
@Suite("Change feed")
struct ChangeFeedTests {
    @Test(arguments: Self.checks)
    func sqlite(_ check: ContractCheck) async throws { try await check.run(on: .sqlite) }

    @Test(.postgresConfigured, arguments: Self.checks)
    func postgres(_ check: ContractCheck) async throws { try await check.run(on: .postgres) }

    static let checks: [ContractCheck] = [
        ContractCheck("creations, new states, new events and claims are announced; heartbeats are not") { lab in
            let store = try await lab.open()
            let feed = store.changes()
            let record = makeRecord(state: .created)
            try await store.createExecution(record, events: [])
            _ = try await store.commit(ExecutionCommit(executionID: record.id, events: [makeEvent(1), makeEvent(2)], state: .running))
            _ = try await store.commit(ExecutionCommit(executionID: record.id, events: [makeEvent(3)]))
            // Neither a retried commit that adds nothing, nor a refused transition, nor a lease renewal is a change.
            _ = try await store.commit(ExecutionCommit(executionID: record.id, events: [makeEvent(3)]))
            _ = try await store.transition(executionID: record.id, fromStates: [.paused], to: .resuming)
            _ = try await store.claim(executionID: record.id, expectedGeneration: 0, fromStates: [.running], owner: "w",
                                      leaseExpiresAt: Date() + 30, newState: nil)
            _ = try await store.renewLeases(owner: "w", until: Date() + 60)
            _ = try await store.transition(executionID: record.id, fromStates: [.running], to: .cancelling)

            let expected = [
                ExecutionChange(executionID: record.id, state: .created, lastSequence: 0),
                ExecutionChange(executionID: record.id, state: .running, lastSequence: 2),
                ExecutionChange(executionID: record.id, state: .running, lastSequence: 3),
                ExecutionChange(executionID: record.id, state: .running, lastSequence: 3),
                ExecutionChange(executionID: record.id, state: .cancelling, lastSequence: 3),
            ]
            // Listening a moment longer than the expected changes take shows that nothing else follows.
            #expect(await collect(expected.count, from: feed, thenQuiet: .seconds(1)) == expected)
        },
        ContractCheck("every subscriber gets every change") { lab in
            let store = try await lab.open()
            let first = store.changes()
            let second = store.changes()
            let ids = (0..<5).map { _ in ExecutionRecord.newID() }
            for id in ids { try await store.createExecution(makeRecord(id: id), events: []) }
            #expect(await collect(5, from: first).map(\.executionID) == ids)
            #expect(await collect(5, from: second).map(\.executionID) == ids)
        },
    ]

    @Test(.postgresConfigured)
    func aChangeMadeThroughOneStoreReachesAnother() async throws {
        try await ContractCheck("two instances") { lab in
            let writer = try await lab.open()
            let reader = try await lab.open()
            let feed = reader.changes()
            let record = makeRecord(state: .created)
            try await writer.createExecution(record, events: [makeEvent(1)])
            _ = try await writer.claim(executionID: record.id, expectedGeneration: 0, fromStates: [.created], owner: "replica-1",
                                       leaseExpiresAt: Date() + 30, newState: .claimed)
            #expect(await collect(2, from: feed) == [
                ExecutionChange(executionID: record.id, state: .created, lastSequence: 1),
                ExecutionChange(executionID: record.id, state: .claimed, lastSequence: 1),
            ])
        }.run(on: .postgres)
    }

    @Test(.postgresConfigured)
    func storesInOtherSchemasHearNothing() async throws {
        let other = try StoreLab(.postgres)
        let otherStore = try await other.open()
        let otherFeed = otherStore.changes()
        try await ContractCheck("busy schema") { lab in
            let store = try await lab.open()
            let feed = store.changes()
            try await store.createExecution(makeRecord(), events: [])
            #expect(await collect(1, from: feed).count == 1)
        }.run(on: .postgres)
        #expect(await collect(1, from: otherFeed, timeout: .milliseconds(300)).isEmpty)
        await other.finish()
    }

    @Test(.postgresConfigured)
    func theFeedReconnectsAfterItsConnectionIsKilled() async throws {
        try await ContractCheck("reconnect") { lab in
            let writer = try await lab.open()
            let reader = try await lab.open()
            // Both listeners of this schema lose their connection, as in a server restart or a network cut.
            try await PostgresTestServer.execute("""
                SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query = 'LISTEN "flux_changes_\(lab.place)";'
                """)
            // Changes committed while the listener is away are lost (the feed is a hint); keep writing
            // until one arrives through the new connection.
            var heard: [ExecutionChange] = []
            let deadline = ContinuousClock.now + Deadline.event
            while heard.isEmpty, ContinuousClock.now < deadline {
                let feed = reader.changes()
                try await writer.createExecution(makeRecord(), events: [])
                heard = await collect(1, from: feed, timeout: .milliseconds(500))
            }
            #expect(heard.count == 1)
        }.run(on: .postgres)
    }
}
