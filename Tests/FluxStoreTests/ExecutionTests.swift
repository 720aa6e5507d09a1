import FluxCore
import FluxStore
import Foundation
import Testing

/// The execution half of the store contract, on SQLite and on PostgreSQL.
@Suite("Executions")
struct ExecutionTests {
    @Test(arguments: Self.checks)
    func sqlite(_ check: ContractCheck) async throws { try await check.run(on: .sqlite) }

    @Test(.postgresConfigured, arguments: Self.checks)
    func postgres(_ check: ContractCheck) async throws { try await check.run(on: .postgres) }

    static let checks: [ContractCheck] = [
        ContractCheck("create and read execution") { lab in
            let store = try await lab.open()
            let record = makeRecord(input: ["name": "World", "n": 3, "xs": [1.5, true, nil]])
            let events = [makeEvent(1, type: .workflowScheduled), makeEvent(2, type: .workflowStarted)]
            try await store.createExecution(record, events: events)

            let stored = try #require(try await store.execution(id: record.id))
            var expected = record
            expected.lastSequence = 2
            #expect(sameRecord(stored, expected))
            #expect(stored.input == record.input)
            #expect(sameEvents(try await store.events(executionID: record.id, after: 0), events))
            #expect(sameEvents(try await store.events(executionID: record.id, after: 1), [events[1]]))
            #expect(try await store.execution(id: "missing") == nil)
            #expect(try await store.events(executionID: "missing", after: 0).isEmpty)
        },
        ContractCheck("duplicate i d is refused") { lab in
            let store = try await lab.open()
            let record = makeRecord()
            try await store.createExecution(record, events: [makeEvent(1)])
            await #expect(throws: StoreError.duplicateExecution(record.id)) {
                try await store.createExecution(makeRecord(id: record.id, workflow: "other"), events: [makeEvent(1)])
            }
            #expect(try await store.execution(id: record.id)?.workflowName == "hello")
            #expect(try await store.counts() == (executions: 1, events: 1))
        },
        ContractCheck("commit appends events incrementally and updates the row") { lab in
            let store = try await lab.open()
            let record = makeRecord()
            try await store.createExecution(record, events: [makeEvent(1)])

            let first = try await store.commit(ExecutionCommit(executionID: record.id, events: [makeEvent(2), makeEvent(3)],
                                                               state: .running))
            #expect(first == CommitOutcome(applied: true, state: .running))
            var row = try #require(try await store.execution(id: record.id))
            #expect(row.lastSequence == 3)
            #expect(row.output == .null)
            #expect(row.updatedAt >= record.updatedAt)

            let output: JSONValue = ["greeting": "Hello, World!"]
            let last = makeEvent(4, type: .workflowCompleted, value: output)
            let second = try await store.commit(ExecutionCommit(executionID: record.id, events: [last],
                                                                state: .completed, output: output))
            #expect(second == CommitOutcome(applied: true, state: .completed))
            row = try #require(try await store.execution(id: record.id))
            #expect(row.state == .completed)
            #expect(row.output == output)
            #expect(row.lastSequence == 4)
            #expect(try await store.events(executionID: record.id, after: 0).map(\.sequence) == [1, 2, 3, 4])
            #expect(try await store.events(executionID: record.id, after: 3).first?.value == output)

            // A commit without state or output keeps both.
            _ = try await store.commit(ExecutionCommit(executionID: record.id, events: [makeEvent(5)]))
            row = try #require(try await store.execution(id: record.id))
            #expect(row.state == .completed && row.output == output && row.lastSequence == 5)
        },
        ContractCheck("retried commit is idempotent") { lab in
            let store = try await lab.open()
            let record = makeRecord()
            try await store.createExecution(record, events: [])
            let commit = ExecutionCommit(executionID: record.id, events: [makeEvent(1), makeEvent(2)], state: .running)
            _ = try await store.commit(commit)
            let again = try await store.commit(commit)
            #expect(again == CommitOutcome(applied: true, state: .running))
            let events = try await store.events(executionID: record.id, after: 0)
            #expect(sameEvents(events, commit.events))
            #expect(try await store.execution(id: record.id)?.lastSequence == 2)

            // A retry that overlaps new events stores only the new ones and keeps the first copies.
            var overlapping = commit
            overlapping.events = [makeEvent(2, value: "changed"), makeEvent(3)]
            _ = try await store.commit(overlapping)
            let after = try await store.events(executionID: record.id, after: 0)
            #expect(after.map(\.sequence) == [1, 2, 3])
            #expect(after[1].value == commit.events[1].value)
            #expect(try await store.execution(id: record.id)?.lastSequence == 3)
            #expect(try await store.counts().events == 3)
        },
        ContractCheck("commit to unknown execution throws") { lab in
            let store = try await lab.open()
            await #expect(throws: StoreError.executionNotFound("nope")) {
                try await store.commit(ExecutionCommit(executionID: "nope", events: [makeEvent(1)]))
            }
            #expect(try await store.counts() == (executions: 0, events: 0))
        },
        ContractCheck("stale claim is fenced") { lab in
            let store = try await lab.open()
            let record = makeRecord(state: .scheduled)
            try await store.createExecution(record, events: [])
            let claimed = try #require(try await store.claim(
                executionID: record.id, expectedGeneration: 0, fromStates: [.scheduled], owner: "a",
                leaseExpiresAt: Date() + 30, newState: .running))
            #expect(claimed.claimGeneration == 1)

            await #expect(throws: StoreError.staleClaim(executionID: record.id)) {
                try await store.commit(ExecutionCommit(executionID: record.id, events: [makeEvent(1)],
                                                       state: .completed, claimGeneration: 0))
            }
            let row = try #require(try await store.execution(id: record.id))
            #expect(row.state == .running && row.lastSequence == 0)
            #expect(try await store.counts().events == 0)

            let ok = try await store.commit(ExecutionCommit(executionID: record.id, events: [makeEvent(1)],
                                                            state: .completed, claimGeneration: 1, releaseOwnership: true))
            #expect(ok == CommitOutcome(applied: true, state: .completed))
            let done = try #require(try await store.execution(id: record.id))
            #expect(done.owner == nil && done.leaseExpiresAt == nil && done.claimGeneration == 1)
        },
        ContractCheck("expected states refusal writes nothing") { lab in
            let store = try await lab.open()
            let record = makeRecord(state: .running)
            try await store.createExecution(record, events: [makeEvent(1)])
            _ = try await store.transition(executionID: record.id, fromStates: [.running], to: .cancelling)
            let before = try #require(try await store.execution(id: record.id))

            let outcome = try await store.commit(ExecutionCommit(
                executionID: record.id, events: [makeEvent(2)], state: .completed, output: "done",
                expectedStates: [.running], releaseOwnership: true))
            #expect(outcome == CommitOutcome(applied: false, state: .cancelling))
            #expect(try await store.execution(id: record.id) == before)
            #expect(try await store.events(executionID: record.id, after: 0).map(\.sequence) == [1])

            let accepted = try await store.commit(ExecutionCommit(
                executionID: record.id, events: [makeEvent(2)], state: .cancelled, expectedStates: [.running, .cancelling]))
            #expect(accepted == CommitOutcome(applied: true, state: .cancelled))
        },
        ContractCheck("claim is a compare and set") { lab in
            let store = try await lab.open()
            let record = makeRecord(state: .scheduled)
            try await store.createExecution(record, events: [])
            let lease = Date() + 60

            async let a = store.claim(executionID: record.id, expectedGeneration: 0, fromStates: [.scheduled],
                                      owner: "a", leaseExpiresAt: lease, newState: .claimed)
            async let b = store.claim(executionID: record.id, expectedGeneration: 0, fromStates: [.scheduled],
                                      owner: "b", leaseExpiresAt: lease, newState: .claimed)
            let results = try await [a, b]
            let winners = results.compactMap { $0 }
            #expect(winners.count == 1)
            let winner = try #require(winners.first)
            #expect(winner.claimGeneration == 1 && winner.state == .claimed)
            #expect(sameInstant(winner.leaseExpiresAt, lease))
            #expect(try await store.execution(id: record.id) == winner)

            // Wrong state or generation: nil, nothing changes.
            #expect(try await store.claim(executionID: record.id, expectedGeneration: 1, fromStates: [.scheduled],
                                          owner: "c", leaseExpiresAt: lease, newState: nil) == nil)
            #expect(try await store.claim(executionID: record.id, expectedGeneration: 0, fromStates: [.claimed],
                                          owner: "c", leaseExpiresAt: lease, newState: nil) == nil)
            #expect(try await store.claim(executionID: "missing", expectedGeneration: 0, fromStates: [.claimed],
                                          owner: "c", leaseExpiresAt: lease, newState: nil) == nil)
            // A takeover with the current generation and no new state keeps the state.
            let takeover = try #require(try await store.claim(
                executionID: record.id, expectedGeneration: 1, fromStates: [.claimed], owner: "c",
                leaseExpiresAt: lease, newState: nil))
            #expect(takeover.owner == "c" && takeover.claimGeneration == 2 && takeover.state == .claimed)
        },
        ContractCheck("renew leases touches only the owners executions") { lab in
            let store = try await lab.open()
            var mine: [String] = []
            for i in 0..<4 {
                let record = makeRecord(state: .scheduled)
                try await store.createExecution(record, events: [])
                let owner = i < 3 ? "me" : "other"
                _ = try await store.claim(executionID: record.id, expectedGeneration: 0, fromStates: [.scheduled],
                                          owner: owner, leaseExpiresAt: Date() + 5, newState: .running)
                if owner == "me" { mine.append(record.id) }
            }
            let until = Date() + 120
            #expect(try await store.renewLeases(owner: "me", until: until) == 3)
            #expect(try await store.renewLeases(owner: "nobody", until: until) == 0)
            for id in mine {
                #expect(sameInstant(try await store.execution(id: id)?.leaseExpiresAt, until))
            }
            let others = try await store.executions(inStates: [.running], limit: 10).filter { $0.owner == "other" }
            #expect(others.count == 1 && !sameInstant(others.first?.leaseExpiresAt, until))
        },
        ContractCheck("transition is a compare and set on state") { lab in
            let store = try await lab.open()
            let record = makeRecord(state: .running)
            try await store.createExecution(record, events: [])
            let moved = try #require(try await store.transition(executionID: record.id, fromStates: [.running, .paused],
                                                                to: .cancelling))
            #expect(moved.state == .cancelling)
            let refused = try #require(try await store.transition(executionID: record.id, fromStates: [.running],
                                                                  to: .paused))
            #expect(refused.state == .cancelling)
            #expect(try await store.execution(id: record.id) == refused)
            #expect(refused == moved)
            #expect(try await store.transition(executionID: "missing", fromStates: [.running], to: .paused) == nil)
        },
        ContractCheck("executions in states oldest first") { lab in
            let store = try await lab.open()
            let base = Date(timeIntervalSince1970: 1_700_000_000)
            let states: [ExecutionState] = [.running, .completed, .claimed, .running, .paused, .running]
            var ids: [String] = []
            for (i, state) in states.enumerated() {
                let record = makeRecord(state: state, createdAt: base + Double(i))
                ids.append(record.id)
                try await store.createExecution(record, events: [])
            }
            let active = try await store.executions(inStates: [.running, .claimed], limit: 10)
            #expect(active.map(\.id) == [ids[0], ids[2], ids[3], ids[5]])
            #expect(try await store.executions(inStates: [.running], limit: 2).map(\.id) == [ids[0], ids[3]])
            #expect(try await store.executions(inStates: [], limit: 10).isEmpty)
            #expect(try await store.executions(inStates: [.running], limit: 0).isEmpty)
        },
        ContractCheck("counts by state") { lab in
            let store = try await lab.open()
            #expect(try await store.countExecutionsByState().isEmpty)
            for state in [ExecutionState.running, .running, .completed, .failed, .running] {
                try await store.createExecution(makeRecord(state: state), events: [])
            }
            #expect(try await store.countExecutionsByState() == [.running: 3, .completed: 1, .failed: 1])
        },
        ContractCheck("concurrent commits from two stores all land, and failures stay isolated") { lab in
            let stores = [try await lab.open(), try await lab.open()]
            let ids = (0..<20).map { _ in ExecutionRecord.newID() }
            for id in ids { try await stores[0].createExecution(makeRecord(id: id, state: .running), events: []) }
            let claimed = try #require(try await stores[0].claim(
                executionID: ids[0], expectedGeneration: 0, fromStates: [.running], owner: "me",
                leaseExpiresAt: Date() + 60, newState: nil))
            enum Result: Sendable, Equatable { case applied, stale, notFound }
            let results = try await withThrowingTaskGroup(of: Result.self) { group in
                for n in 0..<200 {
                    let id = ids[n % 20]
                    group.addTask {
                        _ = try await stores[n % 2].commit(ExecutionCommit(
                            executionID: id, events: [makeEvent(n / 20 + 1, value: .int(n))],
                            claimGeneration: id == ids[0] ? claimed.claimGeneration : nil))
                        return .applied
                    }
                    if n % 20 == 0 {
                        group.addTask {
                            do {
                                _ = try await stores[0].commit(ExecutionCommit(executionID: ids[0], events: [makeEvent(99)], claimGeneration: 0))
                                return .applied
                            } catch StoreError.staleClaim { return .stale }
                        }
                        group.addTask {
                            do {
                                _ = try await stores[1].commit(ExecutionCommit(executionID: "missing-\(n)", events: [makeEvent(1)]))
                                return .applied
                            } catch StoreError.executionNotFound { return .notFound }
                        }
                    }
                }
                return try await group.reduce(into: [Result: Int]()) { $0[$1, default: 0] += 1 }
            }
            #expect(results == [.applied: 200, .stale: 10, .notFound: 10])
            for id in ids {
                #expect(try await stores[1].events(executionID: id, after: 0).map(\.sequence) == Array(1...10))
                #expect(try await stores[1].execution(id: id)?.lastSequence == 10)
            }
            #expect(try await stores[1].counts() == (executions: 20, events: 200))
        },
    ]
}
