import Flux
import FluxConfig
import FluxCore
import FluxPostgres
import FluxService
import FluxStore
import Foundation
import Synchronization
import Testing

/// Two server replicas on one PostgreSQL schema: two `FluxService`s, each on its own `PostgresStore` with its own
/// dispatcher and ``StoreChangeRelay``, as two `flux start server` processes would have. A worker is connected to
/// replica B only. The dispatchers' tick, the waiters' poll interval and the workers' heartbeat are an hour, far
/// beyond the waits below: only the change feed can explain that B hears of what A did in time. (How soon, within
/// milliseconds, is a figure for a benchmark; the waits are generous so that a busy machine cannot fail them.)
@Suite("Server replicas hear of each other's work through the change feed", .serialized)
struct ReplicaChangeRelayTests {
    static let slow = Duration.seconds(3600)
    /// How long the test waits for what the feed should bring about within milliseconds.
    static let prompt = Duration.seconds(300)

    static let document = """
        flux: 1
        name: greet
        steps:
          - id: hello
            set: "Hello, ${{ input }}"
        output: "${{ steps.hello.output }}"
        """

    /// One replica: the service with workers on, its relay and its dispatcher running.
    final class Replica: Sendable {
        let service: FluxService
        let tasks: [Task<Void, any Error>]

        init(_ lab: StoreLab) async throws {
            var configuration = FluxConfiguration(home: FileManager.default.temporaryDirectory.path + "/flux-\(lab.place)")
            configuration.workers.heartbeatInterval = 3600
            configuration.workers.leaseTimeout = 7200
            let store = try await lab.open()
            let environment = try FluxEnvironment.open(configuration: configuration, store: store,
                                                       engineConfiguration: EngineConfiguration(pollInterval: ReplicaChangeRelayTests.slow))
            service = try await FluxService(environment: environment)
            service.enableWorkers(embedded: false)
            let relay = try #require(StoreChangeRelay(service: service), "a PostgreSQL store's feed reports other processes")
            let dispatcher = WorkerDispatcher(service: service, tick: ReplicaChangeRelayTests.slow)
            tasks = [Task { try await relay.run() }, Task { try await dispatcher.run() }]
        }

        func stop() async {
            for task in tasks { task.cancel() }
            for task in tasks { _ = try? await task.value }
        }
    }

    /// What the server sends a connected worker, collected as it arrives.
    final class Inbox: Sendable {
        private let messages = Mutex<[WorkerMessage]>([])

        /// Collects what `stream` brings until it ends (the replica closes its worker streams when it stops).
        init(_ stream: AsyncStream<WorkerMessage>) {
            Task { [self] in for await message in stream { messages.withLock { $0.append(message) } } }
        }

        /// The first message `event` about `executionID`, waiting up to ``ReplicaChangeRelayTests/prompt``.
        func first(_ event: String, about executionID: String) async throws -> WorkerMessage {
            let deadline = ContinuousClock.now + ReplicaChangeRelayTests.prompt
            while ContinuousClock.now < deadline {
                let found = messages.withLock { $0.first { $0.event == event && $0.data["execution_id"]?.stringValue == executionID } }
                if let found { return found }
                try await Task.sleep(for: .milliseconds(10))
            }
            let seen = messages.withLock { $0.map(\.event) }
            throw ReplicaTestFailure("no \(event) for \(executionID) reached the worker within \(ReplicaChangeRelayTests.prompt) (seen: \(seen))")
        }
    }

    struct ReplicaTestFailure: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    /// A worker named `name` registered and connected through `replica`.
    static func connectWorker(_ name: String, to replica: Replica) async throws -> (WorkerRecord, Inbox) {
        let registered = try await replica.service.registerWorker(["name": .string(name), "concurrency": 4])
        let worker = try await replica.service.authenticateWorker(name: name, token: registered["session_token"]?.stringValue)
        let connection = await replica.service.connectWorker(worker)
        return (worker, Inbox(connection.messages))
    }

    /// Claims through `replica` as the worker would; answers the claim generation.
    static func claim(_ executionID: String, as worker: WorkerRecord, through replica: Replica) async throws -> Int {
        let claimed = try await replica.service.claim(worker: worker, executionID: executionID)
        return try #require(claimed["claim_generation"]?.intValue, "\(claimed)")
    }

    /// The worker's final checkpoint: `state` with `output`, and the event that says so.
    static func finish(_ executionID: String, generation: Int, state: ExecutionState, output: JSONValue,
                       as worker: WorkerRecord, through replica: Replica) async throws {
        let record = try #require(try await replica.service.store.execution(id: executionID))
        let event = ExecutionEvent(id: "\(executionID)-final", type: state == .completed ? .workflowCompleted : .workflowCancelled,
                                   sourceID: "greet_\(executionID)", name: "greet", value: output, sequence: record.lastSequence + 1)
        let answer = try await replica.service.checkpoint(worker: worker, executionID: executionID, body: [
            "claim_generation": .int(generation), "events": [WireFormat.event(event)],
            "state": .string(state.rawValue), "output": output, "release": true,
        ])
        #expect(answer["applied"] == true, "\(answer)")
    }

    /// Runs `body` and fails if it takes longer than ``prompt`` (cancelling it).
    static func promptly<T: Sendable>(_ what: String, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await body() }
            group.addTask {
                try await Task.sleep(for: prompt)
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let value = first else {
                throw ReplicaTestFailure("\(what) took longer than \(prompt)")
            }
            return value
        }
    }

    /// Two replicas on a fresh schema, the document registered and worker `w1` connected to B; both stopped afterwards.
    static func withTwoReplicas(_ name: String,
                                _ body: @escaping @Sendable (_ a: Replica, _ b: Replica, _ worker: WorkerRecord, _ inbox: Inbox) async throws -> Void)
        async throws {
        try await ContractCheck(name) { lab in
            let a = try await Replica(lab)
            let b = try await Replica(lab)
            var failure: (any Error)?
            do {
                _ = try await a.service.register(document: Self.document, sourceName: "greet.yaml")
                let (worker, inbox) = try await Self.connectWorker("w1", to: b)
                // The connection woke B's dispatcher for one pass, over in milliseconds; from then on only the feed
                // wakes it before its tick.
                try await Task.sleep(for: .seconds(1))
                try await body(a, b, worker, inbox)
            } catch {
                failure = error
            }
            await a.stop()
            await b.stop()
            if let failure { throw failure }
        }.run(on: .postgres)
    }

    @Test(.postgresConfigured, .timeLimit(.minutes(30)))
    func aRunOnOneReplicaIsDispatchedAndAnsweredThroughTheOther() async throws {
        try await Self.withTwoReplicas("replicas-run") { a, b, worker, inbox in
            // The id is chosen here so that the worker side can wait for its offer while A's sync run waits.
            let id = ExecutionRecord.newID()
            async let answered = Self.promptly("the sync run on A") {
                try await a.service.run(workflow: "greet", input: "replicas", mode: .sync, executionID: id)
            }
            // B's dispatcher offers what A created to B's worker: it heard of it through the feed.
            let offer = try await inbox.first("execution_scheduled", about: id)
            #expect(offer.data["workflow_name"] == "greet")
            let generation = try await Self.claim(id, as: worker, through: b)
            try await Self.finish(id, generation: generation, state: .completed, output: "Hello, replicas", as: worker, through: b)
            // A's sync run answers: it heard of B's checkpoint through the feed, not its minute-long poll.
            let snapshot = try await answered
            #expect(snapshot.record.state == .completed && snapshot.record.output == "Hello, replicas")
        }
    }

    @Test(.postgresConfigured, .timeLimit(.minutes(30)))
    func aCancelOnOneReplicaReachesAWorkerOfTheOther() async throws {
        try await Self.withTwoReplicas("replicas-cancel") { a, b, worker, inbox in
            let id = try await a.service.run(workflow: "greet", input: "cancel me", mode: .async).record.id
            _ = try await inbox.first("execution_scheduled", about: id)
            let generation = try await Self.claim(id, as: worker, through: b)
            // A records CANCELLING; only B can tell the worker, on its stream, and B's active scan waits a minute.
            let cancelling = try await a.service.cancel(workflow: "greet", executionID: id, wait: false)
            #expect(cancelling.record.state == .cancelling)
            _ = try await inbox.first("execution_cancelled", about: id)
            try await Self.finish(id, generation: generation, state: .cancelled, output: .null, as: worker, through: b)
            let settled = try await Self.promptly("the cancellation as A sees it") {
                try await a.service.waitUntilSettled(executionID: id)
            }
            #expect(settled.record.state == .cancelled)
        }
    }

    @Test func aSQLiteStoreGetsNoRelay() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let service = try await FluxService.open(configuration: FluxConfiguration(home: directory.path))
        // Its feed reports only this process's own commits, which the process knows of already.
        #expect(StoreChangeRelay(service: service) == nil)
    }
}
