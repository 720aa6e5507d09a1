import FluxCore
import Foundation
import Logging
import ServiceLifecycle

/// Hands executions to remote workers, as a ServiceLifecycle service of `flux start server`.
///
/// Each pass offers CREATED executions (oldest first) to connected workers that can run them, the one with the
/// most free slots first, as `execution_scheduled`; offers RESUMING executions nobody holds (a resume request,
/// or a worker that stopped heartbeating and lost its lease) as `execution_resumed` / `execution_scheduled`, so
/// another worker continues from the last checkpoint; and sends `execution_cancelled` to the worker holding a
/// CANCELLING execution. A pass runs when something happened (a run, a checkpoint, a heartbeat) and at least
/// every `tick`. With an embedded executor, what this process can run itself stays here.
///
/// ```swift
/// service.enableWorkers(embedded: false)
/// let group = ServiceGroup(services: [httpServer, WorkerDispatcher(service: service)], logger: logger)
/// ```
public struct WorkerDispatcher: Service {
    let service: FluxService
    let tick: Duration
    let logger: Logger

    public init(service: FluxService, tick: Duration = .milliseconds(250), logger: Logger = Logger(label: "flux.dispatch")) {
        self.service = service
        self.tick = tick
        self.logger = logger
    }

    public func run() async throws {
        try await cancelWhenGracefulShutdown {
            var memory = DispatchMemory()
            var lastPass = ContinuousClock.now - .seconds(1)
            while !Task.isCancelled {
                await service.dispatchSignal.wait(timeout: tick)
                // Bursts of signals (one per checkpoint) make one pass every few milliseconds at most.
                let since = ContinuousClock.now - lastPass
                if since < .milliseconds(5) { try? await Task.sleep(for: .milliseconds(5) - since) }
                lastPass = ContinuousClock.now
                do {
                    try await service.dispatchPass(&memory, activeScanEvery: tick)
                } catch {
                    // A pass cut short by shutdown fails with whatever the store makes of the cancellation.
                    if error is CancellationError || Task.isCancelled { return }
                    logger.warning("dispatch pass failed (retrying): \(error)")
                    try? await Task.sleep(for: tick)
                }
            }
        }
        await service.closeWorkerStreams()
    }
}

/// What the dispatcher remembers between passes.
struct DispatchMemory {
    var lastActiveScan = ContinuousClock.now - .seconds(60)
    /// Executions this process started itself recently (recoveries, cancellations), not to start them twice.
    var startedHere: [String: ContinuousClock.Instant] = [:]
    /// Queued executions no worker took, and when it was last checked whether any connected worker could take
    /// one at all (a workflow's requests, labels, Swift workflow or tasks): checked and reported once a minute.
    var unplacedCheckedAt: [String: ContinuousClock.Instant] = [:]
    /// Those no connected worker can run, as of their last check: the queue is read past them, so that what
    /// stands behind them still gets offered. (Executions whose workers are merely busy keep their turn.)
    var stuck: Set<String> = []

    /// True when an execution no worker took should be checked (and reported) again.
    mutating func shouldCheckUnplaced(_ id: String, every interval: Duration) -> Bool {
        let now = ContinuousClock.now
        if let last = unplacedCheckedAt[id], now - last < interval { return false }
        if unplacedCheckedAt.count > 10_000 {
            unplacedCheckedAt = unplacedCheckedAt.filter { now - $0.value < interval }
            stuck.formIntersection(unplacedCheckedAt.keys)
        }
        unplacedCheckedAt[id] = now
        return true
    }

    mutating func placed(_ id: String) {
        if unplacedCheckedAt.removeValue(forKey: id) != nil { stuck.remove(id) }
    }

    mutating func shouldStart(_ id: String, every interval: Duration) -> Bool {
        let now = ContinuousClock.now
        if let last = startedHere[id], now - last < interval { return false }
        if startedHere.count > 10_000 { startedHere = startedHere.filter { now - $0.value < interval } }
        startedHere[id] = now
        return true
    }
}

extension FluxService {
    /// One dispatch pass (see ``WorkerDispatcher``).
    func dispatchPass(_ memory: inout DispatchMemory, activeScanEvery interval: Duration) async throws {
        guard case .workers(let embedded) = placement else { return }
        let free = await workers.totalFree()
        if free > 0 {
            let offered = await workers.offeredCount()
            let queued = try await store.executions(inStates: [.created, .scheduled],
                                                    limit: min(10_000, free + offered + memory.stuck.count + 64))
            var left = free
            for record in queued where left > 0 {
                if await workers.isOffered(record.id) { continue }
                let (requirement, workflow) = try await requirement(forExecution: record)
                if embedded, canRunHere(requirement) { continue }
                let message = WorkerMessage(event: "execution_scheduled", data: Self.offerPayload(record, workflow))
                if await workers.offer(record.id, state: record.state, requirement: requirement, message: message) != nil {
                    left -= 1
                    memory.placed(record.id)
                } else if memory.shouldCheckUnplaced(record.id, every: .seconds(60)) {
                    let (possible, reasons) = await workers.placeability(of: requirement)
                    if possible {
                        memory.stuck.remove(record.id)
                    } else {
                        memory.stuck.insert(record.id)
                        if !reasons.isEmpty {
                            let needs = requirement.resources.map { ", which requests \($0.summary)" } ?? ""
                            logger.warning("execution \(record.id) of \(record.workflowName) waits: no connected worker can run it\(needs) (\(reasons.prefix(8).joined(separator: "; ")))")
                        }
                    }
                }
            }
        }
        let now = ContinuousClock.now
        let requested = activeScanRequested.withLock { requested in
            defer { requested = false }
            return requested
        }
        guard requested || now - memory.lastActiveScan >= interval else { return }
        memory.lastActiveScan = now
        let heartbeat = Duration.milliseconds(Int(max(0.1, workerSettings.heartbeatInterval) * 1000))
        let active = try await store.executions(inStates: [.claimed, .running, .resuming, .cancelling], limit: 10_000)
        for record in active {
            let abandoned = engine.isAbandoned(record)
            if record.state == .cancelling, let owner = record.owner, owner.hasPrefix("worker:"), !abandoned {
                await workers.sendCancel(owner: owner, executionID: record.id,
                                         message: WorkerMessage(event: "execution_cancelled", data: Self.offerPayload(record, nil)),
                                         interval: heartbeat)
                continue
            }
            guard abandoned else { continue }
            if await engine.runningExecutionIDs().contains(record.id) { continue }
            if record.state == .cancelling {
                // No user code runs to finish a cancellation: this process records it.
                if memory.shouldStart(record.id, every: .seconds(5)) { await engine.start(executionID: record.id) }
                continue
            }
            let (requirement, workflow) = try await requirement(forExecution: record)
            if embedded, canRunHere(requirement) {
                if memory.shouldStart(record.id, every: .seconds(5)) {
                    logger.info("recovering execution \(record.id) (\(record.state.rawValue), lease lapsed) in this process")
                    await engine.start(executionID: record.id)
                }
                continue
            }
            if await workers.isOffered(record.id) { continue }
            let event = record.state == .resuming ? "execution_resumed" : "execution_scheduled"
            let message = WorkerMessage(event: event, data: Self.offerPayload(record, workflow))
            if let chosen = await workers.offer(record.id, state: record.state, requirement: requirement, message: message), record.owner != nil {
                logger.info("execution \(record.id) lost its holder \(record.owner ?? "?") (lease lapsed); offered to \(chosen)")
            }
        }
    }

    /// `{execution_id, workflow_name, workflow_version, state, [workflow]}`: what an offer tells a worker.
    static func offerPayload(_ record: ExecutionRecord, _ workflow: WorkflowRecord?) -> JSONValue {
        var object: [String: JSONValue] = [
            "execution_id": .string(record.id), "workflow_name": .string(record.workflowName),
            "workflow_version": .int(record.workflowVersion), "state": .string(record.state.rawValue),
        ]
        if let workflow { object["workflow"] = workflowPayload(workflow) }
        return .object(object)
    }
}
