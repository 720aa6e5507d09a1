import FluxCore
import FluxStore
import Foundation
import Synchronization
import Testing

/// Claims under contention, from several store instances at once (as several processes would).
@Suite("Claims")
struct ClaimTests {
    @Test(arguments: Self.checks)
    func sqlite(_ check: ContractCheck) async throws { try await check.run(on: .sqlite) }

    @Test(.postgresConfigured, arguments: Self.checks)
    func postgres(_ check: ContractCheck) async throws { try await check.run(on: .postgres) }

    static let checks: [ContractCheck] = [
        ContractCheck("of 16 concurrent claimers of one execution exactly one wins") { lab in
            let stores = [try await lab.open(), try await lab.open()]
            for round in 0..<5 {
                let record = makeRecord(state: .scheduled)
                try await stores[0].createExecution(record, events: [])
                let winners = try await withThrowingTaskGroup(of: ExecutionRecord?.self) { group in
                    for claimer in 0..<16 {
                        group.addTask {
                            try await stores[claimer % 2].claim(
                                executionID: record.id, expectedGeneration: 0, fromStates: [.scheduled],
                                owner: "claimer-\(claimer)", leaseExpiresAt: Date() + 30, newState: .claimed)
                        }
                    }
                    return try await group.reduce(into: []) { $0.append($1) }.compactMap { $0 }
                }
                #expect(winners.count == 1, "round \(round)")
                let stored = try #require(try await stores[1].execution(id: record.id))
                #expect(stored.owner == winners.first?.owner && stored.claimGeneration == 1 && stored.state == .claimed)
            }
        },
        ContractCheck("claimNext hands each execution to exactly one of 8 workers") { lab in
            let stores = [try await lab.open(), try await lab.open()]
            let base = Date(timeIntervalSince1970: 1_700_000_000)
            let ids = (0..<40).map { _ in ExecutionRecord.newID() }
            for (i, id) in ids.enumerated() {
                try await stores[0].createExecution(makeRecord(id: id, state: .created, createdAt: base + Double(i)), events: [])
            }
            let claims = try await withThrowingTaskGroup(of: [ExecutionRecord].self) { group in
                for worker in 0..<8 {
                    group.addTask {
                        var mine: [ExecutionRecord] = []
                        while let next = try await stores[worker % 2].claimNext(
                            fromStates: [.created], owner: "worker-\(worker)", leaseExpiresAt: Date() + 30,
                            newState: .claimed, now: Date()) {
                            mine.append(next)
                        }
                        return mine
                    }
                }
                return try await group.reduce(into: []) { $0 += $1 }
            }
            #expect(claims.count == ids.count)
            #expect(Set(claims.map(\.id)) == Set(ids))
            #expect(claims.allSatisfy { $0.claimGeneration == 1 && $0.state == .claimed })
            #expect(try await stores[1].countExecutionsByState() == [.claimed: ids.count])
        },
        ContractCheck("claimNext takes the oldest free execution, skipping live leases") { lab in
            let store = try await lab.open()
            let base = Date(timeIntervalSince1970: 1_700_000_000)
            let now = Date()
            let held = makeRecord(state: .running, createdAt: base)
            let expired = makeRecord(state: .running, createdAt: base + 1)
            let fresh = makeRecord(state: .running, createdAt: base + 2)
            let other = makeRecord(state: .paused, createdAt: base - 1)
            for record in [held, expired, fresh, other] { try await store.createExecution(record, events: []) }
            _ = try await store.claim(executionID: held.id, expectedGeneration: 0, fromStates: [.running], owner: "alive",
                                      leaseExpiresAt: now + 60, newState: nil)
            _ = try await store.claim(executionID: expired.id, expectedGeneration: 0, fromStates: [.running], owner: "dead",
                                      leaseExpiresAt: now - 60, newState: nil)

            let first = try #require(try await store.claimNext(fromStates: [.running], owner: "me", leaseExpiresAt: now + 30,
                                                              newState: nil, now: now))
            #expect(first.id == expired.id && first.owner == "me" && first.claimGeneration == 2 && first.state == .running)
            let second = try #require(try await store.claimNext(fromStates: [.running], owner: "me", leaseExpiresAt: now + 30,
                                                               newState: .claimed, now: now))
            #expect(second.id == fresh.id && second.state == .claimed)
            #expect(try await store.claimNext(fromStates: [.running], owner: "me", leaseExpiresAt: now + 30,
                                              newState: nil, now: now) == nil)
            #expect(try await store.claimNext(fromStates: [], owner: "me", leaseExpiresAt: now + 30, newState: nil, now: now) == nil)
            #expect(try await store.execution(id: held.id)?.owner == "alive")
        },
    ]
}
