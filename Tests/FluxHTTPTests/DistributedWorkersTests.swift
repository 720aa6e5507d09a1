import FluxCore
import Foundation
import Testing

/// Distributed execution with real processes: the 300-execution scenario of ``DistributedRun`` (three workers, one
/// killed with SIGKILL mid-run) on one server, and on two server replicas sharing one PostgreSQL database.
@Suite(.serialized) struct DistributedWorkersTests {
    @Test(.timeLimit(Deadline.wholeTest))
    func threeWorkersRun300ExecutionsThroughASigkill() async throws {
        let server = try await ServerProcess(environment: DistributedRun.serverEnvironment)
        try await DistributedRun(servers: [server], workerServers: [0, 0, 0], victim: 1).run()
        try await server.stop()
    }

    /// Two `flux start server` replicas on one PostgreSQL database (a schema of this test's own); w1 and w2 connect
    /// to A, w3 to B, and clients take turns between A and B. w3 is the one killed: B is left without a worker, so
    /// what w3 held, and everything clients still start or resume through B, can only be finished by A's workers,
    /// which A hears of through the store (LISTEN/NOTIFY) and B's clients hear back the same way.
    @Test(.enabled(if: PostgresTestSchema.isConfigured, PostgresTestSchema.skipReason), .timeLimit(Deadline.wholeTest))
    func twoServerReplicasOnOnePostgresRun300ExecutionsThroughASigkill() async throws {
        let schema = PostgresTestSchema()
        var failure: (any Error)?
        do {
            let environment = DistributedRun.serverEnvironment.merging(["FLUX_DATABASE_URL": try schema.databaseURL]) { _, new in new }
            let a = try await ServerProcess(environment: environment)
            let b = try await ServerProcess(environment: environment)
            try await DistributedRun(servers: [a, b], workerServers: [0, 0, 1], victim: 2).run()
            try await a.stop()
            try await b.stop()
        } catch {
            failure = error
        }
        try await schema.drop()
        if let failure { throw failure }
    }
}
