import Flux
import FluxExamples
import FluxStore
import Foundation
import Testing

@Suite("Examples: cancellation and secrets")
struct CancellationAndSecretsTests {
    @Test func cancellationCancelsTheRunningTask() async throws {
        let engine = try await makeEngine()
        let record = try await engine.create(workflow: "cancellation", input: ["iterations": 72_000, "interval": 0.05])
        await engine.start(executionID: record.id)
        let started = try await eventually {
            try await engine.snapshot(executionID: record.id).events.contains { $0.type == .taskStarted }
        }
        #expect(started)
        let cancelled = try await engine.cancel(executionID: record.id, wait: true)
        #expect(cancelled.record.state == .cancelled)
        #expect(cancelled.events.types == [
            .workflowStarted, .taskStarted, .workflowCancelling, .taskCancelled,
            .taskRollbackStarted, .taskRollbackCompleted, .workflowCancelled,
        ])
        let stored = try await engine.snapshot(executionID: record.id)
        #expect(stored.record.state == .cancelled)
        #expect(stored.events.types == cancelled.events.types)
    }

    @Test func cancellationExampleCompletesWhenNobodyCancels() async throws {
        let engine = try await makeEngine()
        let ctx = try await CancellationExample.workflow.run(["iterations": 3, "interval": 0.01], on: engine)
        #expect(ctx.state == .completed)
        #expect(ctx.output == [0, 1, 2])
        #expect(ctx.events.types == [.workflowStarted, .taskStarted, .taskCompleted, .workflowCompleted])
    }

    /// Cancelling from another process (another engine on the same file) only flips the stored state to
    /// CANCELLING. The owner must notice while a task that commits nothing runs (its maintenance loop
    /// looks), not at its next commit: the engine once learnt of it only then, so the cancel waited for
    /// the task and the final commit overwrote CANCELLING with COMPLETED. The task here runs an hour, so an
    /// execution CANCELLED within the test's deadline was cancelled while it ran. (How soon the owner notices, within
    /// its maintenance interval, is a figure for a benchmark.)
    @Test func cancelFromAnotherProcessReachesALongRunningTask() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let owner = FluxEngine(store: try SQLiteStore(path: dir.databasePath))
        let other = FluxEngine(store: try SQLiteStore(path: dir.databasePath), ownerID: "another-process")
        await Examples.register(on: owner)
        await Examples.register(on: other)
        // One task of 36,000 × 0.1 s: it checks for cancellation every 0.1 s but commits nothing until it ends.
        let record = try await owner.create(workflow: "cancellation", input: ["iterations": 36_000, "interval": 0.1])
        await owner.start(executionID: record.id)
        #expect(try await eventually { try await owner.snapshot(executionID: record.id).events.contains { $0.type == .taskStarted } })

        _ = try await other.cancel(executionID: record.id, wait: false)
        let settled = try await other.waitUntilSettled(executionID: record.id, timeout: Deadline.event)

        #expect(settled.record.state == .cancelled, "the execution was cancelled while its hour-long task ran")
        #expect(settled.events.types == [
            .workflowStarted, .taskStarted, .workflowCancelling, .taskCancelled,
            .taskRollbackStarted, .taskRollbackCompleted, .workflowCancelled,
        ])
    }

    /// The same with the durable sleep of the `sleep` built-in (the documents' `cancellation` example
    /// sleeps an hour precisely to be cancelled; so does this one).
    @Test func cancelFromAnotherProcessReachesADurableSleep() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let napper = FluxCore.workflow("napper") { (ctx: ExecutionContext<Double>) -> String in
            try await sleep(seconds: ctx.input)
            return "awake"
        }
        let owner = FluxEngine(store: try SQLiteStore(path: dir.databasePath))
        let other = FluxEngine(store: try SQLiteStore(path: dir.databasePath), ownerID: "another-process")
        await owner.register(napper.definition)
        await other.register(napper.definition)
        let record = try await owner.create(workflow: "napper", input: 3600.0)
        await owner.start(executionID: record.id)
        #expect(try await eventually { try await owner.snapshot(executionID: record.id).events.contains { $0.type == .taskStarted } })

        _ = try await other.cancel(executionID: record.id, wait: false)
        let settled = try await other.waitUntilSettled(executionID: record.id, timeout: Deadline.event)

        #expect(settled.record.state == .cancelled, "cancelled during the hour-long sleep")
        #expect(settled.events.types == [.workflowStarted, .taskStarted, .workflowCancelling, .taskCancelled, .workflowCancelled])
    }

    /// The secret's value must not appear in the events, the output, or any byte of the database files.
    @Test func usingSecretsNeverStoresTheValue() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let secret = "super-secret-\(UUID().uuidString)"
        do {
            let store = try SQLiteStore(path: dir.databasePath)
            let secrets = StoredSecretProvider(store: store, vault: try SecretVault(encryptionKey: "a-test-key-of-enough-length"))
            try await secrets.set(secret, name: UsingSecretsExample.secretName)
            let engine = FluxEngine(store: store, secrets: secrets)
            let ctx = try await UsingSecretsExample.workflow.run(on: engine)
            #expect(ctx.state == .completed)
            #expect(ctx.output == ["authorization": "Bearer [REDACTED]", "secret_length": .int(secret.count)],
                    "the task got the value; what was recorded is redacted")
            #expect(ctx.events.types == [.workflowStarted, .taskStarted, .taskCompleted, .workflowCompleted])
            let stored = try await engine.snapshot(executionID: ctx.executionID)
            let recorded = stored.events.map { $0.json.canonicalJSON }.joined() + stored.record.output.canonicalJSON
            #expect(!recorded.contains(secret))
            #expect(recorded.contains("[REDACTED]"))
            // While the store is open the recent writes sit in the WAL.
            let scanned = scan(dir.databasePath, for: secret)
            #expect(scanned.contains(dir.databasePath) && scanned.contains(dir.databasePath + "-wal"), "the database and its WAL were read")
        }
        // Closing the store checkpoints the WAL into the database file.
        #expect(scan(dir.databasePath, for: secret).contains(dir.databasePath))
    }

    /// Expects `secret` in none of the files of the database at `path`; returns the files it read.
    private func scan(_ path: String, for secret: String) -> [String] {
        let needles = [Data(secret.utf8), Data(secret.utf16.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] })]
        var scanned: [String] = []
        for file in [path, path + "-wal", path + "-shm", path + "-journal"] {
            guard let bytes = FileManager.default.contents(atPath: file) else { continue }
            scanned.append(file)
            for needle in needles {
                #expect(bytes.range(of: needle) == nil, "the secret's value is in \(file)")
            }
        }
        return scanned
    }

    @Test func usingSecretsWithoutTheSecretFails() async throws {
        let store = try SQLiteStore.temporary()
        let secrets = StoredSecretProvider(store: store, vault: try SecretVault(encryptionKey: "a-test-key-of-enough-length"))
        let engine = FluxEngine(store: store, secrets: secrets)
        let ctx = try await UsingSecretsExample.workflow.run(on: engine)
        #expect(ctx.state == .failed)
        #expect(ctx.events.types == [.workflowStarted, .taskStarted, .taskFailed, .workflowFailed])
        #expect(ctx.errorMessage?.contains("example") == true)
    }
}
