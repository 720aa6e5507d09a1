import Foundation
import Logging

/// Settings of an engine.
public struct EngineConfiguration: Sendable {
    /// How many items of a map run at once, unless the call says otherwise.
    public var mapConcurrency: Int
    /// How long an owner's claim on an execution lasts without renewal.
    public var leaseDuration: Duration
    /// How often a waiter re-reads an execution that another process runs.
    public var pollInterval: Duration
    /// How many executions started in the background (async runs, resumes, recoveries) run at once.
    public var maxConcurrentExecutions: Int
    /// The most items one `map` may have; a larger one fails its step (``ExecutionLimitExceeded``).
    public var maxMapItems: Int
    /// The most bytes one execution may record (its events' values, roughly as JSON); past it the execution fails
    /// (``ExecutionLimitExceeded``), so that a small input cannot make one execution fill the store.
    public var maxRecordedBytes: Int
    /// How deep and how many the executions that `call`s start from one root may be.
    public var callLimits: CallLimits

    public init(mapConcurrency: Int = 64, leaseDuration: Duration = .seconds(30), pollInterval: Duration = .milliseconds(100),
                maxConcurrentExecutions: Int = 64, maxMapItems: Int = 100_000, maxRecordedBytes: Int = 64 << 20,
                callLimits: CallLimits = CallLimits()) {
        self.mapConcurrency = mapConcurrency
        self.leaseDuration = leaseDuration
        self.pollInterval = pollInterval
        self.maxConcurrentExecutions = maxConcurrentExecutions
        self.maxMapItems = maxMapItems
        self.maxRecordedBytes = maxRecordedBytes
        self.callLimits = callLimits
    }
}

/// Runs workflows durably over a ``FluxStore``: creates executions, runs and replays their bodies,
/// pauses, resumes and cancels them, and recovers those a crashed process left behind.
///
/// ```swift
/// let engine = FluxEngine(store: try SQLiteStore(path: ".flux/flux.db"))
/// await engine.register(helloWorld.definition)
/// let snapshot = try await engine.run(workflow: "hello_world", input: "World")
/// snapshot.record.output   // "Hello, World"
/// ```
public actor FluxEngine {
    public nonisolated let store: any FluxStore
    public nonisolated let ownerID: String
    public nonisolated let configuration: EngineConfiguration
    nonisolated let logger: Logger
    nonisolated let secrets: (any SecretProvider)?
    nonisolated let watchers = ExecutionWatchers()
    nonisolated let limiter: ExecutionLimiter

    private var definitions: [String: WorkflowDefinition] = [:]
    private var resolver: (@Sendable (_ name: String, _ version: Int?) async throws -> WorkflowDefinition?)?
    private var childDelegate: (@Sendable (_ call: ChildCall) async throws -> ExecutionSnapshot?)?
    private var running: [String: Task<ExecutionSnapshot, any Error>] = [:]
    private var runtimes: [String: ExecutionRuntime] = [:]
    /// Per root execution: its descendants running in this engine now (see ``runChild(_:)``).
    private var runningDescendants: [String: Int] = [:]
    private var maintenance: Task<Void, Never>?

    public init(store: any FluxStore, secrets: (any SecretProvider)? = nil, configuration: EngineConfiguration = EngineConfiguration(),
                ownerID: String = OwnerIdentity.current, logger: Logger = Logger(label: "flux.engine")) {
        self.store = store
        self.secrets = secrets
        self.configuration = configuration
        self.ownerID = ownerID
        self.logger = logger
        limiter = ExecutionLimiter(limit: configuration.maxConcurrentExecutions)
    }

    // MARK: - Workflows

    /// Makes a workflow runnable by name in this engine (Swift workflows register themselves when run).
    public func register(_ definition: WorkflowDefinition) {
        definitions[definition.name] = definition
    }

    /// Looks up workflows that are not registered in-process (documents in the catalog).
    public func setResolver(_ resolver: @escaping @Sendable (_ name: String, _ version: Int?) async throws -> WorkflowDefinition?) {
        self.resolver = resolver
    }

    /// Lets something else run the child executions of `call`s: the delegate answers the child's end, or nil for
    /// this engine to run the child itself (a remote worker asks its server whether it may; see FluxWorker).
    public func setChildDelegate(_ delegate: @escaping @Sendable (_ call: ChildCall) async throws -> ExecutionSnapshot?) {
        childDelegate = delegate
    }

    /// The names of the workflows registered in-process.
    public func registeredWorkflows() -> [WorkflowDefinition] {
        definitions.values.sorted { $0.name < $1.name }
    }

    func definition(name: String, version: Int?) async throws -> WorkflowDefinition {
        if let resolver, let found = try await resolver(name, version) { return found }
        if let registered = definitions[name], version == nil || registered.version == version { return registered }
        throw EngineError.workflowNotFound(name)
    }

    // MARK: - Running

    /// Runs a new execution in this process until it completes, fails, is cancelled or pauses.
    public func run(workflow name: String, version: Int? = nil, input: JSONValue, executionID: String? = nil) async throws -> ExecutionSnapshot {
        try await run(workflow: name, version: version, input: input, executionID: executionID, cancelledWithCaller: false)
    }

    /// ``run(workflow:version:input:executionID:)``; with `cancelledWithCaller` a cancellation of the calling task
    /// cancels the execution (a `call`'s child, whose parent is being cancelled).
    func run(workflow name: String, version: Int?, input: JSONValue, executionID: String?, cancelledWithCaller: Bool) async throws -> ExecutionSnapshot {
        let definition = try await definition(name: name, version: version)
        let now = Date()
        let record = ExecutionRecord(
            id: executionID ?? ExecutionRecord.newID(), workflowName: definition.name, workflowVersion: definition.version,
            state: .running, input: input, owner: ownerID, claimGeneration: 1,
            leaseExpiresAt: now.addingTimeInterval(configuration.leaseDuration.seconds), createdAt: now, updatedAt: now)
        let runtime = ExecutionRuntime(record: record, events: [], store: store, services: services, createOnFirstFlush: true)
        await runtime.append(.workflowStarted, value: input)
        return try await drive(definition, runtime: runtime, input: input, cancelledWithCaller: cancelledWithCaller)
    }

    /// Records a new execution in CREATED without running it (for asynchronous runs and dispatch).
    public func create(workflow name: String, version: Int? = nil, input: JSONValue, executionID: String? = nil) async throws -> ExecutionRecord {
        let definition = try await definition(name: name, version: version)
        let record = ExecutionRecord(
            id: executionID ?? ExecutionRecord.newID(), workflowName: definition.name, workflowVersion: definition.version,
            state: .created, input: input)
        try await store.createExecution(record, events: [])
        return record
    }

    /// Claims an execution that is not running anywhere (CREATED, SCHEDULED, or abandoned by a dead owner)
    /// and runs it in this process. A finished or paused execution is returned as it is.
    public func execute(executionID: String) async throws -> ExecutionSnapshot {
        try await execute(executionID: executionID, cancelledWithCaller: false)
    }

    func execute(executionID: String, cancelledWithCaller: Bool) async throws -> ExecutionSnapshot {
        if let task = running[executionID] { return try await task.value }
        guard let record = try await store.execution(id: executionID) else { throw EngineError.executionNotFound(executionID) }
        if record.state.isTerminal || record.state == .paused { return try await snapshot(executionID: executionID) }
        if record.state.isActive, !isAbandoned(record) {
            return try await waitUntilSettled(executionID: executionID)
        }
        let newState: ExecutionState? = [.created, .scheduled, .claimed].contains(record.state) ? .running : nil
        guard let claimed = try await store.claim(
            executionID: executionID, expectedGeneration: record.claimGeneration, fromStates: [record.state],
            owner: ownerID, leaseExpiresAt: leaseDeadline(), newState: newState)
        else {
            return try await waitUntilSettled(executionID: executionID)
        }
        return try await continueExecution(claimed, cancelledWithCaller: cancelledWithCaller)
    }

    /// Starts ``execute(executionID:)`` in the background and returns at once.
    public func start(executionID: String) {
        Task { [logger, limiter] in
            do { _ = try await limiter.withSlot { try await self.execute(executionID: executionID) } } catch {
                logger.error("execution \(executionID) could not run: \(error)")
            }
        }
    }

    /// Resumes a PAUSED execution with `input` and runs it in this process until it ends or pauses again.
    ///
    /// `pauseID` names the pending pause the input answers (``ExecutionSnapshot/pendingPauses``); it may be left out
    /// when the execution waits at one pause only.
    public func resume(executionID: String, input: JSONValue) async throws -> ExecutionSnapshot {
        try await resume(executionID: executionID, input: input, pauseID: nil)
    }

    /// ``resume(executionID:input:)``, answering the pending pause `pauseID` (nil: the only one).
    public func resume(executionID: String, input: JSONValue, pauseID: String?) async throws -> ExecutionSnapshot {
        let claimed = try await claimForResume(executionID: executionID, input: input, pauseID: pauseID)
        return try await continueExecution(claimed.record, priorEvents: claimed.events)
    }

    /// Resumes in the background; returns the execution in RESUMING at once. See ``resume(executionID:input:pauseID:)``.
    public func resumeInBackground(executionID: String, input: JSONValue) async throws -> ExecutionSnapshot {
        try await resumeInBackground(executionID: executionID, input: input, pauseID: nil)
    }

    /// ``resumeInBackground(executionID:input:)``, answering the pending pause `pauseID` (nil: the only one).
    public func resumeInBackground(executionID: String, input: JSONValue, pauseID: String?) async throws -> ExecutionSnapshot {
        let claimed = try await claimForResume(executionID: executionID, input: input, pauseID: pauseID)
        Task { [logger, limiter] in
            do {
                _ = try await limiter.withSlot {
                    try await self.continueExecution(claimed.record, priorEvents: claimed.events)
                }
            } catch {
                logger.error("execution \(executionID) could not resume: \(error)")
            }
        }
        var snapshot = claimed
        snapshot.record.state = .resuming
        return snapshot
    }

    private func claimForResume(executionID: String, input: JSONValue, pauseID: String?) async throws -> ExecutionSnapshot {
        guard let record = try await store.execution(id: executionID) else { throw EngineError.executionNotFound(executionID) }
        guard record.state == .paused else { throw EngineError.notPaused(executionID: executionID, state: record.state) }
        // Which pause the input answers, before anything changes: a wrong or missing id changes nothing.
        var events = try await store.events(executionID: executionID, after: 0)
        let pause = try ExecutionSnapshot(record: record, events: events).pause(answeredBy: pauseID)
        guard let claimed = try await store.claim(
            executionID: executionID, expectedGeneration: record.claimGeneration, fromStates: [.paused],
            owner: ownerID, leaseExpiresAt: leaseDeadline(), newState: .resuming)
        else {
            let now = try await store.execution(id: executionID)
            throw EngineError.notPaused(executionID: executionID, state: now?.state ?? record.state)
        }
        // Read again only if something was recorded between the read above and the claim.
        if claimed.lastSequence != (events.last?.sequence ?? 0) {
            events = try await store.events(executionID: executionID, after: 0)
        }
        // Record the request durably before anything runs, so a crash now still resumes with this input.
        var sequence = max(claimed.lastSequence, events.last?.sequence ?? 0)
        sequence += 1
        let resuming = ExecutionEvent.resuming(executionID: executionID, workflowName: record.workflowName, sequence: sequence,
                                               input: input, pauseID: pause?.id)
        _ = try await store.commit(ExecutionCommit(executionID: executionID, events: [resuming], claimGeneration: claimed.claimGeneration))
        var updated = claimed
        updated.lastSequence = sequence
        return ExecutionSnapshot(record: updated, events: events + [resuming])
    }

    /// Runs an execution that was claimed for this engine's owner by someone else (a worker claims through its
    /// server's claim route), replaying `events`, until it ends or pauses. Commits must echo the record's
    /// claim generation, so a claim that has gone stale stops the run at its next checkpoint.
    ///
    /// ```swift
    /// let claimed = try await server.claim(executionID: id)          // record + events
    /// let snapshot = try await engine.runClaimed(claimed.record, events: claimed.events)
    /// ```
    public func runClaimed(_ record: ExecutionRecord, events: [ExecutionEvent]) async throws -> ExecutionSnapshot {
        try await continueExecution(record, priorEvents: events)
    }

    /// Wakes whoever waits in this process for news of `executionID` (``waitUntilSettled(executionID:timeout:recoverAbandoned:)``,
    /// ``waitForChange(executionID:timeout:)``): for commits made by another process that this one learns of,
    /// such as a remote worker's checkpoints arriving at its server.
    public nonisolated func notifyChange(executionID: String) {
        watchers.notify(executionID)
    }

    /// Runs an execution this process has just claimed, replaying its recorded events.
    private func continueExecution(_ record: ExecutionRecord, priorEvents: [ExecutionEvent]? = nil,
                                   cancelledWithCaller: Bool = false) async throws -> ExecutionSnapshot {
        let events: [ExecutionEvent]
        if let priorEvents { events = priorEvents } else { events = try await store.events(executionID: record.id, after: 0) }
        let runtime = ExecutionRuntime(record: record, events: events, store: store, services: services, createOnFirstFlush: false)
        if record.state == .cancelling {
            runtimes[record.id] = runtime
            defer { runtimes[record.id] = nil }
            let final = try await runtime.finish(state: .cancelled, event: .workflowCancelled, value: .null, output: .null)
            return ExecutionSnapshot(record: final, events: await runtime.events)
        }
        let definition = try await definition(name: record.workflowName, version: record.workflowVersion)
        if !events.contains(where: { $0.type == .workflowStarted }) {
            await runtime.append(.workflowStarted, value: record.input)
        }
        if let pending = Self.unconsumedResume(events) {
            await runtime.setResumeInput(pending.input, target: pending.pauseID)
        }
        await runtime.setState(record.state == .resuming ? .resuming : .running)
        return try await drive(definition, runtime: runtime, input: record.input, cancelledWithCaller: cancelledWithCaller)
    }

    /// The input of a WORKFLOW_RESUMING that no WORKFLOW_RESUMED has answered yet, and the pause it is for (its
    /// source, when that is a pause point's task id; a request recorded before resumes named pauses has none).
    static func unconsumedResume(_ events: [ExecutionEvent]) -> (input: JSONValue, pauseID: String?)? {
        guard let last = events.lastIndex(where: { $0.type == .workflowResuming }) else { return nil }
        if events[last...].contains(where: { $0.type == .workflowResumed }) { return nil }
        let source = events[last].sourceID
        let isPause = events[..<last].contains { $0.type == .taskPaused && $0.sourceID == source }
        return (events[last].value, isPause ? source : nil)
    }

    /// Runs the body under the runtime and records how it ended.
    ///
    /// The body runs in a task of its own, so that cancelling the caller (a client that hangs up on a sync call, a
    /// service shutting down) does not cancel the execution, which stays durable. With `cancelledWithCaller` (a
    /// child of `call`), the caller's cancellation cancels the execution, as ``cancel(executionID:wait:)`` would.
    private func drive(_ definition: WorkflowDefinition, runtime: ExecutionRuntime, input: JSONValue,
                       cancelledWithCaller: Bool = false) async throws -> ExecutionSnapshot {
        let id = runtime.executionID
        let info = ExecutionInfo(executionID: id, workflowName: definition.name, workflowVersion: runtime.workflowVersion)
        let body = definition.body
        let work = Task { () -> ExecutionSnapshot in
            let result: Result<JSONValue, any Error> = await RuntimeContext.$runtime.withValue(runtime) {
                await RuntimeContext.$scope.withValue("") {
                    do { return .success(try await body(input, info)) } catch { return .failure(error) }
                }
            }
            let record: ExecutionRecord
            switch result {
            case .success(let output):
                if let exceeded = await runtime.limitExceeded(recording: output) {
                    let described = errorJSON(exceeded)
                    record = try await runtime.finish(state: .failed, event: .workflowFailed, value: described, output: described)
                } else if await runtime.cancelRequested, Task.isCancelled {
                    record = try await runtime.finish(state: .cancelled, event: .workflowCancelled, value: .null, output: .null)
                } else {
                    record = try await runtime.finish(state: .completed, event: .workflowCompleted, value: output, output: output)
                }
            case .failure(let error as PauseRequested):
                record = try await runtime.finish(state: .paused, event: .workflowPaused, value: .string(error.name), output: .null)
            case .failure(let error):
                if error is StoreError { throw error }
                if await runtime.cancelRequested || error is CancellationError {
                    record = try await runtime.finish(state: .cancelled, event: .workflowCancelled, value: .null, output: .null)
                } else {
                    let described = await runtime.redact(errorJSON(error))
                    record = try await runtime.finish(state: .failed, event: .workflowFailed, value: described, output: described)
                }
            }
            return ExecutionSnapshot(record: record, events: await runtime.events)
        }
        running[id] = work
        runtimes[id] = runtime
        startMaintenance()
        await runtime.setCancelHandler { work.cancel() }
        defer {
            running[id] = nil
            runtimes[id] = nil
        }
        var snapshot: ExecutionSnapshot
        if cancelledWithCaller {
            snapshot = try await withTaskCancellationHandler {
                try await work.value
            } onCancel: {
                Task { await runtime.requestCancel() }
            }
        } else {
            snapshot = try await work.value
        }
        snapshot.record.createdAt = snapshot.events.first?.time ?? snapshot.record.createdAt
        return snapshot
    }

    // MARK: - Leases and remote cancellation

    /// While executions run here: renews their leases (so no other process takes them over) and passes
    /// on cancellations that other processes requested through the store, even to an execution that
    /// commits nothing for a long time (a long sleep or a slow task).
    private func startMaintenance() {
        guard maintenance == nil else { return }
        let interval = configuration.pollInterval * 5
        let renewEvery = configuration.leaseDuration / 3
        maintenance = Task { [weak self] in
            var sinceRenewal = Duration.zero
            while let self, !Task.isCancelled {
                try? await Task.sleep(for: interval)
                sinceRenewal += interval
                guard await self.maintain(renew: sinceRenewal >= renewEvery) else { return }
                if sinceRenewal >= renewEvery { sinceRenewal = .zero }
            }
        }
    }

    /// One round of maintenance; returns false (and stops the loop) once nothing runs here.
    private func maintain(renew: Bool) async -> Bool {
        guard !running.isEmpty else {
            maintenance = nil
            return false
        }
        do {
            if renew { try await renewLeases() }
            // Make buffered start events visible to observers of long-running tasks.
            for runtime in runtimes.values { try await runtime.flush() }
            let cancelling = try await store.executions(inStates: [.cancelling], limit: 1000)
            for record in cancelling where record.owner == ownerID {
                await runtimes[record.id]?.requestCancel(external: true)
            }
        } catch {
            logger.warning("lease renewal or cancellation check failed: \(error)")
        }
        return true
    }

    // MARK: - Cancelling

    /// Cancels an execution. A running one sees Swift task cancellation in the task in flight, whose rollback
    /// runs; a paused or waiting one is cancelled at once. With `wait` the call returns once it is CANCELLED
    /// (or finished otherwise); without, it returns at once.
    public func cancel(executionID: String, wait: Bool = true) async throws -> ExecutionSnapshot {
        // One running here may not be in the store yet (its first events are still buffered).
        if let runtime = runtimes[executionID], let task = running[executionID] {
            await runtime.requestCancel()
            if wait { return try await task.value }
            try await runtime.flush()
            return try await snapshot(executionID: executionID)
        }
        guard let record = try await store.execution(id: executionID) else { throw EngineError.executionNotFound(executionID) }
        if record.state.isTerminal { throw EngineError.alreadyFinished(executionID: executionID, state: record.state) }
        let waiting: Set<ExecutionState> = [.created, .scheduled, .paused]
        if waiting.contains(record.state) {
            if let claimed = try await store.claim(
                executionID: executionID, expectedGeneration: record.claimGeneration, fromStates: waiting,
                owner: ownerID, leaseExpiresAt: leaseDeadline(), newState: .cancelling) {
                return try await continueExecution(claimed)
            }
            return try await cancel(executionID: executionID, wait: wait)
        }
        // Running in another process (or abandoned): ask its owner through the store.
        let after = try await store.transition(executionID: executionID, fromStates: [.claimed, .running, .resuming], to: .cancelling)
        if let after, after.state.isTerminal, after.state != .cancelled {
            throw EngineError.alreadyFinished(executionID: executionID, state: after.state)
        }
        if wait { return try await waitUntilSettled(executionID: executionID, recoverAbandoned: true) }
        return try await snapshot(executionID: executionID)
    }

    // MARK: - Reading and waiting

    public func snapshot(executionID: String) async throws -> ExecutionSnapshot {
        guard let record = try await store.execution(id: executionID) else { throw EngineError.executionNotFound(executionID) }
        return ExecutionSnapshot(record: record, events: try await store.events(executionID: executionID, after: 0))
    }

    /// Waits until the execution is finished or paused. It wakes on this process's commits and re-reads the
    /// store every poll interval for executions run elsewhere; with `recoverAbandoned` it takes over an
    /// execution whose owner died meanwhile.
    public nonisolated func waitUntilSettled(executionID: String, timeout: Duration? = nil, recoverAbandoned: Bool = true) async throws -> ExecutionSnapshot {
        let deadline = timeout.map { ContinuousClock.now + $0 }
        while true {
            let ticket = watchers.ticket(for: executionID)
            defer { watchers.cancel(ticket) }
            guard let record = try await store.execution(id: executionID) else { throw EngineError.executionNotFound(executionID) }
            if record.state.isTerminal || record.state == .paused {
                return ExecutionSnapshot(record: record, events: try await store.events(executionID: executionID, after: 0))
            }
            if let deadline, ContinuousClock.now >= deadline {
                return ExecutionSnapshot(record: record, events: try await store.events(executionID: executionID, after: 0))
            }
            if recoverAbandoned, record.state.isActive || record.state == .created, isAbandoned(record),
               await !isRunningHere(executionID) {
                return try await execute(executionID: executionID)
            }
            try Task.checkCancellation()
            await watchers.wait(ticket, timeout: configuration.pollInterval)
        }
    }

    /// Starts listening for this process's commits to an execution. Take the ticket before reading the
    /// execution, then pass it to ``waitForChange(_:timeout:)``: a commit in between is not missed.
    ///
    /// ```swift
    /// let ticket = engine.changeTicket(executionID: id)
    /// let events = try await store.events(executionID: id, after: last)
    /// await engine.waitForChange(ticket, timeout: .milliseconds(100))
    /// ```
    public nonisolated func changeTicket(executionID: String) -> ChangeTicket {
        watchers.ticket(for: executionID)
    }

    /// Returns after a commit to the ticket's execution in this process since the ticket was taken, or
    /// after `timeout`.
    public nonisolated func waitForChange(_ ticket: ChangeTicket, timeout: Duration) async {
        await watchers.wait(ticket, timeout: timeout)
    }

    /// Forgets a ticket that will not be waited on.
    public nonisolated func discard(_ ticket: ChangeTicket) {
        watchers.cancel(ticket)
    }

    /// Writes what an execution running here has buffered, so that the store holds it (before another process takes
    /// it over, say).
    public func checkpoint(executionID: String) async throws {
        try await runtimes[executionID]?.flush()
    }

    /// Whether this engine runs the execution now (it may not be in the store yet: its first events can be buffered).
    public func isRunningHere(_ executionID: String) -> Bool { running[executionID] != nil }

    /// The executions running in this process.
    public func runningExecutionIDs() -> [String] { Array(running.keys) }

    // MARK: - Recovery

    /// Takes over every execution whose owner has died (same host) or whose lease has lapsed, and runs
    /// each in the background. Returns their ids.
    ///
    /// With `includingQueued` (the default) it also starts the CREATED executions nobody has claimed: an async
    /// run is recorded before it is started, so a process killed in between leaves one behind, and nothing
    /// else would ever run it. Pass `false` where another component (a dispatcher to workers) owns CREATED ones.
    @discardableResult
    public func recoverAbandoned(includingQueued: Bool = true) async throws -> [String] {
        var states: [ExecutionState] = [.claimed, .running, .resuming, .cancelling]
        if includingQueued { states.append(.created) }
        var recovered: [String] = []
        // Page by page, every state: however many executions a dead process left, all of them are taken over.
        for state in states {
            var cursor: String?
            repeat {
                let page = try await store.listExecutions(ExecutionQuery(state: state, limit: Self.recoveryPage, cursor: cursor))
                recovered += try await recover(page.executions)
                cursor = page.nextCursor
            } while cursor != nil
        }
        return recovered
    }

    /// How many executions recovery reads at a time.
    static let recoveryPage = 1_000

    /// The first ten of `ids` and how many more, for a log line that stays short however many were recovered.
    public static func summary(of ids: [String]) -> String {
        ids.prefix(10).joined(separator: ", ") + (ids.count > 10 ? " and \(ids.count - 10) more" : "")
    }

    /// Claims and starts, in the background, those of `records` that their owner abandoned.
    private func recover(_ records: [ExecutionRecord]) async throws -> [String] {
        var recovered: [String] = []
        for record in records where running[record.id] == nil && isAbandoned(record) {
            // Leave alone what this process cannot run (a Swift workflow compiled into another binary).
            if record.state != .cancelling, (try? await definition(name: record.workflowName, version: record.workflowVersion)) == nil {
                continue
            }
            guard let claimed = try await store.claim(
                executionID: record.id, expectedGeneration: record.claimGeneration, fromStates: [record.state],
                owner: ownerID, leaseExpiresAt: leaseDeadline(),
                newState: record.state == .claimed || record.state == .created ? .running : nil)
            else { continue }
            recovered.append(record.id)
            logger.debug("recovering execution \(record.id) of \(record.workflowName) left \(record.state.rawValue) by \(record.owner ?? "nobody")")
            Task { [logger, limiter] in
                do { _ = try await limiter.withSlot { try await self.continueExecution(claimed) } } catch {
                    logger.error("recovered execution \(record.id) could not run: \(error)")
                }
            }
        }
        return recovered
    }

    /// Extends the leases of the executions this process owns; call it periodically.
    @discardableResult
    public nonisolated func renewLeases() async throws -> Int {
        try await store.renewLeases(owner: ownerID, until: leaseDeadline())
    }

    /// True when nobody is running the execution any more: no owner, an owner process on this host that has
    /// died, or a lease that has lapsed.
    public nonisolated func isAbandoned(_ record: ExecutionRecord) -> Bool {
        guard let owner = record.owner else { return true }
        if owner == ownerID { return false }
        if OwnerIdentity.isDeadLocalProcess(owner) { return true }
        if let lease = record.leaseExpiresAt { return lease < Date() }
        return false
    }

    nonisolated func leaseDeadline() -> Date {
        Date().addingTimeInterval(configuration.leaseDuration.seconds)
    }

    // MARK: - Services for running executions

    nonisolated var services: EngineServices {
        EngineServices(
            secrets: secrets, cache: store, mapConcurrency: configuration.mapConcurrency,
            maxMapItems: configuration.maxMapItems, maxRecordedBytes: configuration.maxRecordedBytes, logger: logger,
            notify: { [watchers] id in watchers.notify(id) },
            callWorkflow: { [weak self] call in
                guard let self else { throw EngineError.workflowNotFound(call.workflowName) }
                return try await self.runChild(call)
            })
    }

    /// Runs (or finds, or finishes) the child execution of a `call`. A child run here is cancelled with its parent.
    ///
    /// A new child is admitted first (``CallLineage/admit(_:store:limits:)``: the call depth and the descendants of
    /// its root are bounded), here or, for a worker, by its server when asked where the child runs. None is started
    /// once the parent's cancellation is accepted. While it runs, the child holds one of the places of
    /// `maxConcurrentExecutions`: it never waits for one (its parent holds a place already, and waiting could
    /// deadlock), but the executions started in the background wait while children hold the places.
    func runChild(_ call: ChildCall) async throws -> ExecutionSnapshot {
        if Task.isCancelled { throw CancellationError() }
        if let parent = runtimes[call.parentID], await parent.cancelRequested { throw CancellationError() }
        if let childDelegate, let elsewhere = try await childDelegate(call) { return elsewhere }
        let childID = call.childID
        let existing = try await store.execution(id: childID)
        if let existing, existing.state.isTerminal || existing.state == .paused { return try await snapshot(executionID: childID) }
        // A worker's server admitted the child already (it answered the delegate); here the root is known only
        // when this engine admits or finds the lineage itself.
        var root: String?
        if childDelegate == nil {
            if existing == nil {
                root = try await CallLineage.admit(call, store: store, limits: configuration.callLimits).rootID
            } else {
                root = try await store.lineage(executionID: childID)?.rootID
            }
        }
        if let root { runningDescendants[root, default: 0] += 1 }
        defer {
            if let root {
                runningDescendants[root, default: 1] -= 1
                if runningDescendants[root] == 0 { runningDescendants[root] = nil }
            }
        }
        return try await limiter.occupying {
            if existing != nil { return try await self.execute(executionID: childID, cancelledWithCaller: true) }
            return try await self.run(workflow: call.workflowName, version: nil, input: call.input, executionID: childID, cancelledWithCaller: true)
        }
    }

    /// How many child executions of `call`s run in this engine under the given roots, for limits that count an
    /// execution's children with it (`security.max_executions_per_client`).
    public func runningDescendants(ofRoots roots: some Sequence<String>) -> Int {
        roots.reduce(0) { $0 + (runningDescendants[$1] ?? 0) }
    }
}

extension Duration {
    /// The duration in seconds as a Double.
    public var seconds: Double {
        let (s, atto) = components
        return Double(s) + Double(atto) / 1e18
    }
}
