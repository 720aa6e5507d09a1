import FluxCore
import FluxDocuments
import Foundation

/// How a run or resume call waits.
public enum RunMode: String, Sendable, CaseIterable, Codable {
    /// Return when the execution completes, fails, is cancelled or pauses.
    case sync
    /// Return at once; the execution goes on in the background.
    case async
    /// Like async, and the caller watches the events as they happen.
    case stream
}

extension FluxService {
    /// Starts (`.async`, `.stream`) or runs to its end or pause (`.sync`) a new execution. `executionID` chooses
    /// the id instead of a new random one.
    public func run(workflow name: String, version: Int? = nil, input: JSONValue, mode: RunMode,
                    executionID: String? = nil) async throws(ServiceError) -> ExecutionSnapshot {
        do {
            if case .workers = placement, let workflow = try await store.workflow(name: name, version: version), dispatchesToWorkers(workflow) {
                return try await runOnWorkers(workflow, input: input, mode: mode, executionID: executionID)
            }
            guard let definition = try await definition(name: name, version: version) else {
                throw ServiceError(.notFound, "no workflow named \(name)\(version.map { " with version \($0)" } ?? ""); register it first")
            }
            if let schema = definition.inputSchema {
                let validator = try InputSchemaValidator(schema: schema)
                let violations = validator.violations(of: input)
                if !violations.isEmpty {
                    throw ServiceError(.invalidInput, "the input does not match the input schema of \(name): "
                        + violations.map { String(describing: $0) }.joined(separator: "; "))
                }
            }
            switch mode {
            case .sync:
                return try await engine.run(workflow: name, version: definition.version, input: input, executionID: executionID)
            case .async, .stream:
                let record = try await engine.create(workflow: name, version: definition.version, input: input, executionID: executionID)
                await engine.start(executionID: record.id)
                return ExecutionSnapshot(record: record, events: [])
            }
        } catch {
            throw ServiceError.wrap(error)
        }
    }

    /// Resumes a paused execution with `input`, answering the pending pause `pauseID` (which may be left out when the
    /// execution waits at one pause only; with several, leaving it out is a conflict that lists them).
    public func resume(workflow name: String?, executionID: String, input: JSONValue, mode: RunMode,
                       pauseID: String? = nil) async throws(ServiceError) -> ExecutionSnapshot {
        do {
            let record = try await execution(workflow: name, executionID: executionID)
            guard record.state == .paused else { throw EngineError.notPaused(executionID: executionID, state: record.state) }
            let pause = try await engine.snapshot(executionID: executionID).pause(answeredBy: pauseID)
            try await validateResumeInput(input, for: record, pauseName: pause?.name)
            if case .workers = placement,
               dispatchesToWorkers(try await store.workflow(name: record.workflowName, version: record.workflowVersion)) {
                return try await resumeOnWorkers(record, input: input, mode: mode, pauseID: pause?.id)
            }
            switch mode {
            case .sync: return try await engine.resume(executionID: executionID, input: input, pauseID: pause?.id)
            case .async, .stream: return try await engine.resumeInBackground(executionID: executionID, input: input, pauseID: pause?.id)
            }
        } catch {
            throw ServiceError.wrap(error)
        }
    }

    /// The execution with its events. When `workflow` is given the execution must belong to it.
    public func status(workflow name: String?, executionID: String) async throws(ServiceError) -> ExecutionSnapshot {
        do {
            _ = try await execution(workflow: name, executionID: executionID)
            return try await engine.snapshot(executionID: executionID)
        } catch {
            throw ServiceError.wrap(error)
        }
    }

    /// Cancels an execution; with `wait` returns once it has stopped.
    public func cancel(workflow name: String?, executionID: String, wait: Bool) async throws(ServiceError) -> ExecutionSnapshot {
        do {
            // Started here a moment ago, perhaps not in the store yet (a CLI run interrupted at once).
            if name == nil, await engine.isRunningHere(executionID) {
                return try await engine.cancel(executionID: executionID, wait: wait)
            }
            let record = try await execution(workflow: name, executionID: executionID)
            if let owner = record.owner, owner.hasPrefix("worker:"), record.state.isActive {
                return try await cancelOnWorker(record, wait: wait)
            }
            return try await engine.cancel(executionID: executionID, wait: wait)
        } catch {
            throw ServiceError.wrap(error)
        }
    }

    /// Waits until the execution finishes or pauses (or `timeout` passes) and returns it.
    public func waitUntilSettled(executionID: String, timeout: Duration? = nil) async throws(ServiceError) -> ExecutionSnapshot {
        do {
            return try await engine.waitUntilSettled(executionID: executionID, timeout: timeout, recoverAbandoned: placement == .inProcess)
        } catch {
            throw ServiceError.wrap(error)
        }
    }

    /// A page of executions, newest first.
    public func listExecutions(workflow name: String? = nil, state: ExecutionState? = nil, limit: Int = 50, cursor: String? = nil) async throws(ServiceError) -> ExecutionPage {
        guard (1...1000).contains(limit) else { throw ServiceError(.invalidInput, "limit must be from 1 to 1000, got \(limit)") }
        do {
            return try await store.listExecutions(ExecutionQuery(workflowName: name, state: state, limit: limit, cursor: cursor))
        } catch {
            if String(describing: type(of: error)) == "InvalidCursorError" { throw ServiceError(.invalidInput, String(describing: error)) }
            throw ServiceError.wrap(error)
        }
    }

    /// The execution's events after sequence number `after`.
    public func events(executionID: String, after: Int = 0) async throws(ServiceError) -> [ExecutionEvent] {
        do {
            _ = try await execution(workflow: nil, executionID: executionID)
            return try await store.events(executionID: executionID, after: after)
        } catch {
            throw ServiceError.wrap(error)
        }
    }

    /// Every event of the execution after `after`, as it is recorded, ending once the execution has finished
    /// or paused and every event has been delivered. No event is skipped: the store's order is the stream's.
    public func watch(executionID: String, after: Int = 0) -> AsyncThrowingStream<ExecutionEvent, any Error> {
        let store = self.store
        let engine = self.engine
        return AsyncThrowingStream { continuation in
            let task = Task {
                var last = after
                do {
                    while !Task.isCancelled {
                        let ticket = engine.changeTicket(executionID: executionID)
                        defer { engine.discard(ticket) }
                        guard let record = try await store.execution(id: executionID) else {
                            throw ServiceError(.notFound, "no execution with id \(executionID)")
                        }
                        let events = try await store.events(executionID: executionID, after: last)
                        for event in events {
                            continuation.yield(event)
                            last = event.sequence
                        }
                        if (record.state.isTerminal || record.state == .paused), last >= record.lastSequence { break }
                        await engine.waitForChange(ticket, timeout: .milliseconds(100))
                    }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    /// Refuses a resume input that breaks the schema of the pause `pauseName` a document execution waits at,
    /// before anything is recorded.
    func validateResumeInput(_ input: JSONValue, for record: ExecutionRecord, pauseName: String?) async throws {
        guard let pauseName, record.state == .paused,
              let workflow = try await store.workflow(name: record.workflowName, version: record.workflowVersion),
              workflow.kind == .document,
              let document = try? DocumentParser.parse(text: workflow.source, sourceName: workflow.name).first(where: { $0.name == workflow.name })
        else { return }
        try DocumentInterpreter.validateResumeInput(input, pauseName: pauseName, in: document)
    }

    /// The execution row; `notFound` when it does not exist or belongs to another workflow than `name`.
    func execution(workflow name: String?, executionID: String) async throws -> ExecutionRecord {
        guard let record = try await store.execution(id: executionID) else {
            throw ServiceError(.notFound, "no execution with id \(executionID)")
        }
        if let name, record.workflowName != name {
            throw ServiceError(.notFound, "execution \(executionID) belongs to workflow \(record.workflowName), not \(name)")
        }
        return record
    }
}
