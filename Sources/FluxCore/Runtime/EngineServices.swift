import Foundation
import Logging

/// What running workflows need from the engine that runs them.
struct EngineServices: Sendable {
    let secrets: (any SecretProvider)?
    let cache: any TaskCacheStore
    let mapConcurrency: Int
    let maxMapItems: Int
    let maxRecordedBytes: Int
    let logger: Logger
    /// Told after every commit of an execution, so that waiters can look at it.
    let notify: @Sendable (String) -> Void
    /// Runs another workflow to completion as a child execution (for `call`).
    let callWorkflow: @Sendable (_ call: ChildCall) async throws -> ExecutionSnapshot
}
