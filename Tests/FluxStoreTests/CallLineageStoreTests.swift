import FluxCore
import FluxStore
import Foundation
import Testing

/// The lineage of `call` children (CallLineage) on SQLite and on PostgreSQL: admission finds what it recorded, counts
/// descendants per root, and concurrent admissions under one root never pass the limit.
@Suite("Call lineage in the store")
struct CallLineageStoreTests {
    @Test(arguments: Self.checks)
    func sqlite(_ check: ContractCheck) async throws { try await check.run(on: .sqlite) }

    @Test(.postgresConfigured, arguments: Self.checks)
    func postgres(_ check: ContractCheck) async throws { try await check.run(on: .postgres) }

    static let limits = CallLimits(maxDepth: 3, maxDescendants: 5)

    static let checks: [ContractCheck] = [
        ContractCheck("depth grows along a chain and stops at the limit") { lab in
            let store = try await lab.open()
            var parent = "root"
            for depth in 1...3 {
                let call = ChildCall(workflowName: "w", input: .null, parentID: parent, callTaskID: "t")
                let lineage = try await CallLineage.admit(call, store: store, limits: limits)
                #expect(lineage == CallLineage(executionID: call.childID, parentID: parent, rootID: "root", depth: depth))
                parent = call.childID
            }
            let tooDeep = ChildCall(workflowName: "w", input: .null, parentID: parent, callTaskID: "t")
            await #expect(throws: ExecutionLimitExceeded.self) { try await CallLineage.admit(tooDeep, store: store, limits: limits) }
            #expect(try await store.lineage(executionID: tooDeep.childID) == nil)
            #expect(try await store.lineage(executionID: "root") == nil)
            // A second opener of the same database sees the same lineage.
            let other = try await lab.open()
            #expect(try await other.lineage(executionID: parent)?.depth == 3)
        },
        ContractCheck("a replayed call finds its lineage; concurrent calls under one root stop at the limit") { lab in
            let store = try await lab.open()
            let first = ChildCall(workflowName: "w", input: .null, parentID: "root", callTaskID: "t0")
            let lineage = try await CallLineage.admit(first, store: store, limits: limits)
            #expect(try await CallLineage.admit(first, store: store, limits: limits) == lineage, "a replay is admitted again")
            let admitted = await withTaskGroup(of: Bool.self) { group in
                for i in 1...20 {
                    group.addTask {
                        let call = ChildCall(workflowName: "w", input: .null, parentID: "root", callTaskID: "t\(i)")
                        return (try? await CallLineage.admit(call, store: store, limits: limits)) != nil
                    }
                }
                return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
            }
            #expect(admitted == 4, "five descendants in all, one admitted before")
            // Another root has its own count.
            let elsewhere = ChildCall(workflowName: "w", input: .null, parentID: "other-root", callTaskID: "t")
            #expect(try await CallLineage.admit(elsewhere, store: store, limits: limits).rootID == "other-root")
        },
    ]
}
