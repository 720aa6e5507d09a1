import Foundation

/// The live state of one execution in the process that owns it: its event log, the replay index,
/// the per-scope call counters, and the buffer of events not yet committed.
///
/// Events are appended to a buffer and committed at durability points: before any task body runs
/// (so a completion is stored before the next side effect), at a pause and at the end. Commits of
/// one execution are serialized; events appended while one is in flight go out in the next, which
/// batches the writes of concurrent branches.
actor ExecutionRuntime {
    let executionID: String
    let workflowName: String
    let workflowVersion: Int
    let sourceID: String
    let store: any FluxStore
    let services: EngineServices
    private(set) var claimGeneration: Int

    private(set) var events: [ExecutionEvent]
    private var pending: [ExecutionEvent] = []
    private var pendingState: ExecutionState?
    private var nextSequence: Int
    private var committedSequence: Int
    /// True while a commit is under way. The flush that started it awaits the store directly (no extra
    /// Task, so no thread hand-off) and, when it returns, records the effect and resumes every waiter.
    private var commitInFlight = false
    private var commitWaiters: [CheckedContinuation<Void, any Error>] = []
    /// The last commit had waiters: several branches of this execution flush concurrently.
    private var concurrentFlushes = false
    /// "<first 16 of the execution id>-": event ids are this prefix and the sequence number.
    private let eventIDPrefix: String
    /// True when the buffer holds an event that must be durable before the next task body runs (a
    /// completion, a failure, a resume...), as opposed to only WORKFLOW_STARTED / TASK_STARTED.
    private var pendingNeedsDurability = false
    /// Set when the execution row does not exist yet: the first flush creates it.
    private var pendingCreate: ExecutionRecord?

    private var tasks: [String: TaskHistory] = [:]
    private var occurrences: [String: Int] = [:]
    private var compositions: [String: Int] = [:]
    private(set) var state: ExecutionState
    /// The input of a resume request, consumed by the pause point the execution stopped at.
    private var resumeInput: JSONValue?
    /// The pause point `resumeInput` is for (nil: whichever pause point reaches it first).
    private var resumeTarget: String?
    private var secretValues: [String] = []
    private(set) var cancelRequested = false
    private var cancelHandler: (@Sendable () -> Void)?
    /// About how many bytes the execution's events hold (``JSONValue/estimatedSize`` of their values).
    private var recordedBytes = 0
    /// Set once an event would have taken ``recordedBytes`` past the limit: that event was recorded without its
    /// value, and the execution fails at its next durability point.
    private var overLimit: ExecutionLimitExceeded?

    init(record: ExecutionRecord, events: [ExecutionEvent], store: any FluxStore, services: EngineServices, createOnFirstFlush: Bool) {
        executionID = record.id
        workflowName = record.workflowName
        workflowVersion = record.workflowVersion
        sourceID = "\(record.workflowName)_\(record.id)"
        eventIDPrefix = ExecutionRecord.eventIDPrefix(executionID: record.id)
        self.store = store
        self.services = services
        claimGeneration = record.claimGeneration
        self.events = events
        state = record.state
        let last = max(record.lastSequence, events.last?.sequence ?? 0)
        nextSequence = last + 1
        committedSequence = createOnFirstFlush ? 0 : last
        pendingCreate = createOnFirstFlush ? record : nil
        for event in events {
            recordedBytes += event.value.estimatedSize
            if !event.type.isWorkflowEvent { tasks[event.sourceID, default: TaskHistory()].apply(event) }
        }
    }

    // MARK: - Events

    /// Appends an event to the buffer (it becomes durable at the next flush).
    @discardableResult
    func append(_ type: EventType, source: String? = nil, name: String? = nil, value: JSONValue = .null) -> ExecutionEvent {
        var v = secretValues.isEmpty ? value : Redactor.redact(value, secrets: secretValues)
        let size = v.estimatedSize
        if recordedBytes + size > services.maxRecordedBytes, size > Self.omittedValue.estimatedSize {
            overLimit = overLimit ?? .recordedBytes(limit: services.maxRecordedBytes)
            v = Self.omittedValue
        }
        recordedBytes += v.estimatedSize
        let sequence = nextSequence
        nextSequence += 1
        let event = ExecutionEvent(
            id: eventIDPrefix + String(sequence), type: type, sourceID: source ?? sourceID,
            name: name ?? workflowName, value: v, time: Date(), sequence: sequence)
        events.append(event)
        pending.append(event)
        if type != .taskStarted && type != .workflowStarted { pendingNeedsDurability = true }
        if !type.isWorkflowEvent { tasks[event.sourceID, default: TaskHistory()].apply(event) }
        return event
    }

    func setState(_ newState: ExecutionState) {
        state = newState
        pendingState = newState
    }

    /// Records TASK_STARTED (unless a replay already has it) and, when an earlier task's completion (or
    /// any other fact that must survive) is still buffered, commits before the body runs. A buffer holding
    /// only start events is not worth a transaction of its own: losing it loses no completed work, so it
    /// goes out with the next commit (or within half a second through the engine's maintenance).
    ///
    /// A side-effect-free body commits nothing first, not even the move from CLAIMED to RUNNING: running it
    /// again after a crash is harmless, and a claimed execution is recovered like a running one. So a claimed
    /// run whose first steps only compute (a document's `set` steps) costs one commit less, which on a remote
    /// worker is one checkpoint request less. Other state changes (a resume) are still committed first.
    func startTask(taskID: String, name: String, arguments: JSONValue, alreadyStarted: Bool, sideEffectFree: Bool = false) async throws {
        if let overLimit { throw overLimit }
        if !alreadyStarted { append(.taskStarted, source: taskID, name: name, value: arguments) }
        if sideEffectFree && (pendingState == nil || pendingState == .running) { return }
        if pendingNeedsDurability || pendingState != nil { try await flush() }
    }

    /// Makes every event appended so far durable; fails once the execution has gone past its recorded-bytes limit
    /// (the events are then written by ``finish(state:event:value:output:)``, which records the failure).
    func flush() async throws {
        if let overLimit { throw overLimit }
        let target = nextSequence - 1
        var yielded = false
        while committedSequence < target || pendingState != nil {
            if commitInFlight {
                try await waitForCommit()
                continue
            }
            // Other branches were flushing too (a map, a parallel): let those that are ready append their
            // events first, so that one transaction carries them all instead of one each.
            if concurrentFlushes, !yielded {
                yielded = true
                await Task.yield()
                continue
            }
            let batch = pending
            let newState = pendingState
            pending.removeAll(keepingCapacity: true)
            pendingState = nil
            pendingNeedsDurability = false
            let last = batch.last?.sequence ?? committedSequence
            commitInFlight = true
            let result: Result<CommitOutcome, any Error>
            if var record = pendingCreate {
                pendingCreate = nil
                record.state = newState ?? record.state
                record.lastSequence = last
                do {
                    try await store.createExecution(record, events: batch)
                    result = .success(CommitOutcome(applied: true, state: record.state))
                } catch {
                    result = .failure(error)
                }
            } else {
                let commit = ExecutionCommit(executionID: executionID, events: batch, state: newState, claimGeneration: claimGeneration)
                do { result = .success(try await store.commit(commit)) } catch { result = .failure(error) }
            }
            commitInFlight = false
            let waiters = commitWaiters
            commitWaiters.removeAll()
            concurrentFlushes = !waiters.isEmpty
            switch result {
            case .success(let outcome):
                committedSequence = max(committedSequence, last)
                if outcome.state == .cancelling, !cancelRequested { requestCancel(external: true) }
                services.notify(executionID)
                for waiter in waiters { waiter.resume() }
            case .failure(let error):
                for waiter in waiters { waiter.resume(throwing: error) }
                throw error
            }
        }
    }

    /// Waits until the commit under way has ended (throws its error if it failed).
    private func waitForCommit() async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            commitWaiters.append(continuation)
        }
    }

    /// Appends the final workflow event and commits it with the final state and output, letting go of the execution.
    func finish(state final: ExecutionState, event: EventType, value: JSONValue, output: JSONValue) async throws -> ExecutionRecord {
        while commitInFlight { try await waitForCommit() }
        if final == .cancelled, !events.contains(where: { $0.type == .workflowCancelling }) {
            append(.workflowCancelling)
        }
        append(event, value: value)
        let cleanOutput = secretValues.isEmpty ? output : Redactor.redact(output, secrets: secretValues)
        state = final
        pendingState = nil
        let batch = pending
        pending.removeAll()
        let last = batch.last?.sequence ?? committedSequence
        // Hold off other flushes (the engine's maintenance) while the final write is under way.
        commitInFlight = true
        let result: Result<Void, any Error>
        if var record = pendingCreate {
            pendingCreate = nil
            record.state = final
            record.output = cleanOutput
            record.owner = nil
            record.leaseExpiresAt = nil
            record.lastSequence = last
            do { try await store.createExecution(record, events: batch); result = .success(()) } catch { result = .failure(error) }
        } else {
            let commit = ExecutionCommit(
                executionID: executionID, events: batch, state: final, output: cleanOutput,
                claimGeneration: claimGeneration, releaseOwnership: true)
            do { _ = try await store.commit(commit); result = .success(()) } catch { result = .failure(error) }
        }
        commitInFlight = false
        let waiters = commitWaiters
        commitWaiters.removeAll()
        switch result {
        case .success:
            committedSequence = last
            for waiter in waiters { waiter.resume() }
        case .failure(let error):
            for waiter in waiters { waiter.resume(throwing: error) }
            throw error
        }
        committedSequence = last
        services.notify(executionID)
        return snapshotRecord(output: cleanOutput)
    }

    /// What stands in an event for a value that would have taken the execution past its recorded-bytes limit.
    static let omittedValue: JSONValue = ["omitted": "over the execution's recorded-bytes limit (executor.max_recorded_bytes)"]

    /// The limit the execution has gone past, or would go past by recording `output` as its result.
    func limitExceeded(recording output: JSONValue) -> ExecutionLimitExceeded? {
        if let overLimit { return overLimit }
        guard recordedBytes + 2 * output.estimatedSize > services.maxRecordedBytes else { return nil }
        return .recordedBytes(limit: services.maxRecordedBytes)
    }

    func snapshotRecord(output: JSONValue) -> ExecutionRecord {
        ExecutionRecord(
            id: executionID, workflowName: workflowName, workflowVersion: workflowVersion, state: state,
            input: events.first(where: { $0.type == .workflowStarted })?.value ?? .null, output: output,
            claimGeneration: claimGeneration, lastSequence: nextSequence - 1)
    }

    // MARK: - Task identity and replay

    /// The task id of the next call with `contentID` in `scope`.
    func nextTaskID(contentID: String, scope: String) -> String {
        let key = scope.isEmpty ? contentID : scope + "\u{1}" + contentID
        let n = (occurrences[key] ?? 0) + 1
        occurrences[key] = n
        return TaskIdentity.taskID(contentID: contentID, scope: scope, occurrence: n)
    }

    /// Task ids for a batch of calls made in order (a map), in one step.
    func nextTaskIDs(contentIDs: [String], scope: String) -> [String] {
        contentIDs.map { nextTaskID(contentID: $0, scope: scope) }
    }

    /// A fresh scope for the k-th composition (parallel) made in `scope`.
    func nextCompositionScope(in scope: String, kind: String) -> String {
        let n = (compositions[scope] ?? 0) + 1
        compositions[scope] = n
        return scope.isEmpty ? "\(kind)\(n)" : "\(scope)/\(kind)\(n)"
    }

    func history(of taskID: String) -> TaskHistory? { tasks[taskID] }

    // MARK: - Pause and resume

    /// Delivers a resume's input to the pause point `target` (any one, when nil: the execution waits at one).
    func setResumeInput(_ input: JSONValue, target: String?) {
        resumeInput = input
        resumeTarget = target
    }

    enum PausePoint { case resumed(JSONValue), pause }

    /// Decides what a `pause(name)` call does: return a recorded or newly delivered resume input, or stop.
    func pausePoint(taskID: String, name: String, output: JSONValue, inputSchema: JSONValue?) -> PausePoint {
        let history = tasks[taskID]
        if let resumed = history?.resumed { return .resumed(resumed) }
        if history?.paused != nil {
            guard let input = resumeInput, resumeTarget == nil || resumeTarget == taskID else { return .pause }
            resumeInput = nil
            resumeTarget = nil
            append(.workflowResumed, value: input)
            append(.taskResumed, source: taskID, name: "pause", value: ["name": .string(name), "input": input])
            setState(.running)
            return .resumed(input)
        }
        var recorded: [String: JSONValue] = ["name": .string(name), "output": output]
        if let inputSchema { recorded["input"] = inputSchema }
        append(.taskPaused, source: taskID, name: "pause", value: .object(recorded))
        return .pause
    }

    // MARK: - Secrets

    /// Fetches the requested secrets and remembers their values so that they are redacted from everything recorded.
    func secrets(named names: [String]) async throws -> [String: String] {
        guard !names.isEmpty else { return [:] }
        guard let provider = services.secrets else { throw SecretError.missing(names) }
        // The provider hands out only the secrets granted to this execution's workflow.
        let values = try await provider.secrets(
            named: names, for: SecretRequester(executionID: executionID, workflowName: workflowName, workflowVersion: workflowVersion))
        for value in values.values where !value.isEmpty && !secretValues.contains(value) {
            secretValues.append(value)
        }
        secretValues.sort { $0.count > $1.count }
        return values
    }

    func redact(_ value: JSONValue) -> JSONValue {
        secretValues.isEmpty ? value : Redactor.redact(value, secrets: secretValues)
    }

    func redact(_ text: String) -> String {
        secretValues.isEmpty ? text : Redactor.redact(text, secrets: secretValues)
    }

    // MARK: - Cancellation

    func setCancelHandler(_ handler: @escaping @Sendable () -> Void) {
        cancelHandler = handler
        if cancelRequested { handler() }
    }

    /// Records the request and cancels the Swift task running the body.
    func requestCancel(external: Bool = false) {
        guard !cancelRequested else { return }
        cancelRequested = true
        append(.workflowCancelling)
        state = .cancelling
        if !external { pendingState = .cancelling }
        cancelHandler?()
    }
}
