import Foundation

extension ExecutionStore {
    /// The portable ``ExecutionStore/claimNext(fromStates:owner:leaseExpiresAt:newState:now:)``: reads the
    /// oldest candidates and claims the first one whose compare-and-set succeeds. Stores with row locks
    /// do it in one statement instead.
    ///
    /// ```swift
    /// if let work = try await store.claimNext(fromStates: [.created], owner: "worker-1",
    ///                                         leaseExpiresAt: .now + 30, newState: .claimed, now: .now) { … }
    /// ```
    public func claimNext(fromStates: Set<ExecutionState>, owner: String, leaseExpiresAt: Date, newState: ExecutionState?,
                          now: Date) async throws -> ExecutionRecord? {
        for candidate in try await executions(inStates: fromStates, limit: 64) {
            if candidate.owner != nil, let lease = candidate.leaseExpiresAt, lease >= now { continue }
            if let won = try await claim(executionID: candidate.id, expectedGeneration: candidate.claimGeneration,
                                         fromStates: fromStates, owner: owner, leaseExpiresAt: leaseExpiresAt,
                                         newState: newState) {
                return won
            }
        }
        return nil
    }
}
