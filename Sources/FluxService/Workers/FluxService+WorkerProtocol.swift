import FluxConfig
import FluxCore
import Foundation

/// The use cases behind the worker routes: register, authenticate, connect, claim, checkpoint, heartbeat, and the
/// reads a worker's engine needs (executions, task cache, secrets). docs/workers.md describes the protocol.
extension FluxService {
    var workerSettings: WorkerSettings { environment.configuration.workers }
    var leaseTimeout: TimeInterval { max(0.1, workerSettings.leaseTimeout) }

    // MARK: - Sessions

    /// Registers a worker (its Swift workflows join the catalog as kind `swift`) and answers its session token.
    /// Registering again rotates the token.
    public func registerWorker(_ body: JSONValue) async throws(ServiceError) -> JSONValue {
        let registration = try WorkerRegistration.parse(body)
        do {
            for workflow in registration.workflows {
                // A Swift workflow never shadows a document of the same name.
                if let latest = try await store.workflow(name: workflow.name, version: nil), latest.kind == .document { continue }
                _ = try await store.saveWorkflow(WorkflowDraft(
                    name: workflow.name, kind: .swift, source: "", description: workflow.description,
                    inputSchema: workflow.inputSchema, contentHash: "swift:\(workflow.name):\(workflow.version)"))
            }
            let (token, record) = try await workers.register(registration)
            logger.info("worker \(record.name) registered (incarnation \(record.incarnation), concurrency \(registration.concurrency), \(registration.workflows.count) Swift workflow(s), \(registration.tasks.count) Swift task(s))")
            dispatchSignal.fire()
            return [
                "name": .string(record.name), "incarnation": .string(record.incarnation), "owner": .string(record.owner),
                "session_token": .string(token), "heartbeat_interval": .double(workerSettings.heartbeatInterval),
                "lease_timeout": .double(leaseTimeout), "registered_at": .string(Timestamp.format(record.registeredAt)),
            ]
        } catch {
            throw ServiceError.wrap(error)
        }
    }

    /// The worker whose session token `token` is (401 otherwise).
    public func authenticateWorker(name: String, token: String?) async throws(ServiceError) -> WorkerRecord {
        try WorkerRegistration.checkName(name)
        return try await workers.authenticate(name: name, token: token)
    }

    /// Opens the worker's event stream (`execution_scheduled`, `execution_resumed`, `execution_cancelled`).
    public func connectWorker(_ worker: WorkerRecord) async -> (id: UInt64, messages: AsyncStream<WorkerMessage>) {
        let connection = await workers.connect(name: worker.name)
        logger.info("worker \(worker.name) connected")
        dispatchSignal.fire()
        return connection
    }

    public func disconnectWorker(_ worker: WorkerRecord, connection: UInt64) async {
        await workers.disconnect(name: worker.name, id: connection)
        logger.info("worker \(worker.name) disconnected")
    }

    /// Closes every worker stream (server shutdown).
    public func closeWorkerStreams() async { await workers.closeAll() }

    // MARK: - Claim and checkpoint

    /// Claims an execution for the worker: atomic on the claim generation. Answers the row (with the new
    /// generation, which every checkpoint must echo), its events, and the workflow. 409 when someone else holds
    /// it, when it is not waiting to run, or when the worker lacks what it needs.
    public func claim(worker: WorkerRecord, executionID: String) async throws(ServiceError) -> JSONValue {
        do {
            guard let record = try await store.execution(id: executionID) else { throw ServiceError(.notFound, "no execution with id \(executionID)") }
            let owner = worker.owner
            let claimable: Bool
            switch record.state {
            case .created, .scheduled:
                claimable = true
            case .claimed, .running, .resuming, .cancelling:
                claimable = record.owner == nil || record.owner == owner || engine.isAbandoned(record)
            case .paused, .completed, .failed, .cancelled:
                throw ServiceError(.conflict, "execution \(executionID) is \(record.state.rawValue): there is nothing to claim")
            }
            guard claimable else {
                throw ServiceError(.conflict, "execution \(executionID) is held by \(record.owner ?? "another owner") until its lease lapses")
            }
            let (requirement, workflow) = try await requirement(forExecution: record)
            let live = WorkerRegistry.live(worker)
            if record.state != .cancelling {
                let missing = requirement.unmet(workflows: live.workflows, tasks: live.tasks, capacity: live.capacity)
                guard missing.isEmpty else {
                    throw ServiceError(.conflict, "worker \(worker.name) cannot run execution \(executionID): it lacks \(missing.joined(separator: ", "))")
                }
            }
            let newState: ExecutionState? = [.created, .scheduled, .claimed].contains(record.state) ? .running : nil
            guard var claimed = try await store.claim(
                executionID: executionID, expectedGeneration: record.claimGeneration, fromStates: [record.state], owner: owner,
                leaseExpiresAt: Date().addingTimeInterval(leaseTimeout), newState: newState)
            else {
                throw ServiceError(.conflict, "execution \(executionID) was claimed by someone else first")
            }
            // Who ran what, in the execution's own history.
            let sequence = claimed.lastSequence + 1
            let event = ExecutionEvent(
                id: ExecutionRecord.eventIDPrefix(executionID: executionID) + String(sequence), type: .workflowClaimed, sourceID: "\(record.workflowName)_\(executionID)",
                name: record.workflowName, value: ["worker": .string(worker.name), "claim_generation": .int(claimed.claimGeneration)],
                sequence: sequence)
            _ = try await store.commit(ExecutionCommit(executionID: executionID, events: [event], claimGeneration: claimed.claimGeneration))
            claimed.lastSequence = sequence
            await workers.claimed(name: worker.name, executionID: executionID)
            let events = try await store.events(executionID: executionID, after: 0)
            engine.notifyChange(executionID: executionID)
            var answer: [String: JSONValue] = [
                "execution": WireFormat.record(claimed), "events": .array(events.map(WireFormat.event)),
                "claim_generation": .int(claimed.claimGeneration),
            ]
            if let workflow { answer["workflow"] = Self.workflowPayload(workflow) }
            return .object(answer)
        } catch {
            throw ServiceError.wrap(error)
        }
    }

    /// Appends a worker's new events and state: only from the worker holding the execution, only with the
    /// claim generation its claim answered (409 otherwise); a retried checkpoint changes nothing.
    public func checkpoint(worker: WorkerRecord, executionID: String, body: JSONValue) async throws(ServiceError) -> JSONValue {
        var commit: ExecutionCommit
        do {
            commit = try WireFormat.commit(from: body, executionID: executionID)
        } catch {
            throw ServiceError(.invalidInput, "malformed checkpoint: \(error.message)")
        }
        if let state = commit.state, [.created, .scheduled, .claimed].contains(state) {
            throw ServiceError(.invalidInput, "a checkpoint cannot move an execution back to \(state.rawValue)")
        }
        do {
            guard let record = try await store.execution(id: executionID) else { throw ServiceError(.notFound, "no execution with id \(executionID)") }
            // A retry of a checkpoint that was stored (its answer was lost) after which the worker let go: nobody
            // has claimed since (same generation) and every event is there, so it is answered as applied.
            if record.owner != worker.owner, commit.claimGeneration == record.claimGeneration, commit.releaseOwnership,
               (commit.events.last?.sequence ?? 0) <= record.lastSequence, let stored = try await storedAlready(commit) {
                return ["applied": true, "state": .string(record.state.rawValue), "last_sequence": .int(stored)]
            }
            guard record.owner == worker.owner else {
                throw ServiceError(.conflict, "execution \(executionID) is not held by worker \(worker.name): its claim is stale or it never claimed it")
            }
            guard commit.claimGeneration == record.claimGeneration else {
                throw ServiceError(.conflict, "stale claim generation \(commit.claimGeneration ?? -1) for execution \(executionID) (now \(record.claimGeneration))")
            }
            // A cancellation requested meanwhile is not overwritten by the worker's RUNNING.
            if record.state == .cancelling, let state = commit.state, state == .running || state == .resuming { commit.state = nil }
            let outcome = try await store.commit(commit)
            let settled = outcome.state.isTerminal || outcome.state == .paused
            if commit.releaseOwnership || settled {
                await workers.released(name: worker.name, executionID: executionID)
                if outcome.state.isTerminal { await workers.forgetCancel(executionID) }
                dispatchSignal.fire()
            }
            engine.notifyChange(executionID: executionID)
            return [
                "applied": .bool(outcome.applied), "state": .string(outcome.state.rawValue),
                "last_sequence": .int(max(record.lastSequence, commit.events.last?.sequence ?? 0)),
            ]
        } catch {
            throw ServiceError.wrap(error)
        }
    }

    /// The last stored sequence when every event of `commit` is stored with the same id, else nil.
    private func storedAlready(_ commit: ExecutionCommit) async throws -> Int? {
        guard let first = commit.events.first else { return nil }
        let stored = try await store.events(executionID: commit.executionID, after: first.sequence - 1)
        let bySequence = Dictionary(stored.map { ($0.sequence, $0.id) }, uniquingKeysWith: { a, _ in a })
        guard commit.events.allSatisfy({ bySequence[$0.sequence] == $0.id }) else { return nil }
        return stored.last?.sequence
    }

    /// Renews the worker's leases and records what it runs; answers the executions it must cancel.
    public func workerHeartbeat(worker: WorkerRecord, body: JSONValue) async throws(ServiceError) -> JSONValue {
        guard body == .null || body.objectValue != nil else { throw ServiceError(.invalidInput, "send the heartbeat as {\"in_flight\": [...], \"resources\": {...}}") }
        var inFlight = Set<String>()
        if let raw = body["in_flight"], raw != .null {
            guard let items = raw.arrayValue, items.count <= 100_000 else { throw ServiceError(.invalidInput, "in_flight must be an array of execution ids") }
            for item in items {
                guard let id = item.stringValue, (1...128).contains(id.utf8.count) else { throw ServiceError(.invalidInput, "in_flight must be an array of execution ids") }
                inFlight.insert(id)
            }
        }
        if let resources = body["resources"], resources != .null, resources.objectValue == nil {
            throw ServiceError(.invalidInput, "resources must be an object")
        }
        do {
            let now = Date()
            await workers.heartbeat(name: worker.name, inFlight: inFlight)
            _ = try await store.renewLeases(owner: worker.owner, until: now.addingTimeInterval(leaseTimeout))
            _ = try await workers.store.recordWorkerHeartbeat(
                name: worker.name, at: now, status: ["in_flight": .array(inFlight.sorted().map(JSONValue.string)), "resources": body["resources"] ?? .null])
            let cancelling = try await store.executions(inStates: [.cancelling], limit: 10_000)
                .filter { $0.owner == worker.owner }.map(\.id)
            dispatchSignal.fire()
            return [
                "cancel": .array(cancelling.sorted().map(JSONValue.string)),
                "lease_expires_at": .string(Timestamp.format(now.addingTimeInterval(leaseTimeout))),
                "heartbeat_interval": .double(workerSettings.heartbeatInterval),
            ]
        } catch {
            throw ServiceError.wrap(error)
        }
    }

    // MARK: - Reads for a worker's engine

    /// The execution's row and (unless `withEvents` is false) its events after `after`, in wire form.
    public func workerExecution(executionID: String, after: Int, withEvents: Bool) async throws(ServiceError) -> JSONValue {
        do {
            guard let record = try await store.execution(id: executionID) else { throw ServiceError(.notFound, "no execution with id \(executionID)") }
            var answer: [String: JSONValue] = ["execution": WireFormat.record(record)]
            if withEvents { answer["events"] = .array(try await store.events(executionID: executionID, after: after).map(WireFormat.event)) }
            return .object(answer)
        } catch {
            throw ServiceError.wrap(error)
        }
    }

    /// A workflow version for a worker: kind, and the document's text.
    public func workerWorkflow(name: String, version: Int?) async throws(ServiceError) -> JSONValue {
        do {
            guard let record = try await store.workflow(name: name, version: version) else {
                throw ServiceError(.notFound, "no workflow named \(name)\(version.map { " with version \($0)" } ?? "")")
            }
            return Self.workflowPayload(record)
        } catch {
            throw ServiceError.wrap(error)
        }
    }

    public func workerCachedValue(key: String) async throws(ServiceError) -> JSONValue {
        try Self.checkCacheKey(key)
        do {
            guard let value = try await store.cachedValue(key: key) else { throw ServiceError(.notFound, "nothing cached under \(key)") }
            return ["key": .string(key), "value": value]
        } catch {
            throw ServiceError.wrap(error)
        }
    }

    public func storeWorkerCachedValue(key: String, body: JSONValue) async throws(ServiceError) {
        try Self.checkCacheKey(key)
        guard let value = body["value"], body.objectValue?.count == 1 else { throw ServiceError(.invalidInput, "send {\"value\": <json>}") }
        do { try await store.storeCachedValue(value, key: key) } catch { throw ServiceError.wrap(error) }
    }

    /// The secrets a task running on the worker asks for: only for an execution the worker holds (`execution_id`),
    /// and only those granted to that execution's workflow, as the embedded executor gets them.
    public func workerSecrets(worker: WorkerRecord, body: JSONValue) async throws(ServiceError) -> JSONValue {
        guard let names = body["names"]?.arrayValue, !names.isEmpty, names.count <= 1000, names.allSatisfy({ $0.stringValue != nil })
        else { throw ServiceError(.invalidInput, "send {\"names\": [\"...\"], \"execution_id\": \"...\"} with 1 to 1000 secret names") }
        guard let executionID = body["execution_id"]?.stringValue else {
            throw ServiceError(.invalidInput, "send the execution_id of the execution whose task asks: secrets are handed out only for an "
                + "execution this worker holds, and only those granted to its workflow")
        }
        do {
            guard let record = try await store.execution(id: executionID) else { throw ServiceError(.notFound, "no execution with id \(executionID)") }
            guard record.owner == worker.owner, record.state.isActive else {
                throw ServiceError(.conflict, "worker \(worker.name) does not hold execution \(executionID), so it gets none of its secrets")
            }
            let requester = SecretRequester(executionID: record.id, workflowName: record.workflowName, workflowVersion: record.workflowVersion)
            let values = try await environment.secrets.secrets(named: names.compactMap(\.stringValue), for: requester)
            return ["secrets": .object(values.mapValues(JSONValue.string))]
        } catch {
            throw ServiceError.wrap(error)
        }
    }

    // MARK: - Listing

    /// Every registered worker with what this process knows of it now (connected, running), and this
    /// process's embedded executor when it runs executions.
    public func listWorkers() async throws(ServiceError) -> [JSONValue] {
        do {
            let live = await workers.liveStatus()
            let staleAfter = max(1, workerSettings.heartbeatInterval * 3)
            var result: [JSONValue] = []
            if runsExecutionsInProcess {
                let running = await engine.runningExecutionIDs().sorted()
                result.append([
                    "name": .string(engine.ownerID), "kind": "embedded", "connected": true,
                    "executions_running": .int(running.count), "running_execution_ids": .array(running.map(JSONValue.string)),
                    "concurrency": .int(environment.configuration.executor.maxConcurrentExecutions),
                ])
            }
            for record in try await workers.store.listWorkers() {
                let here = live[record.name]
                let running = here?["running"]?.arrayValue ?? record.status["in_flight"]?.arrayValue ?? []
                var object: [String: JSONValue] = [
                    "name": .string(record.name), "kind": "remote", "incarnation": .string(record.incarnation),
                    "connected": here?["connected"] ?? .bool(Date().timeIntervalSince(record.lastSeenAt) < staleAfter),
                    "executions_running": .int(running.count), "running_execution_ids": .array(running),
                    "registered_at": .string(Timestamp.format(record.registeredAt)),
                    "last_seen_at": .string(Timestamp.format(record.lastSeenAt)),
                ]
                for key in ["concurrency", "labels", "workflows", "tasks", "runtime", "resources"] { object[key] = record.info[key] ?? .null }
                if let resources = record.status["resources"], resources != .null { object["resources"] = resources }
                result.append(.object(object))
            }
            return result
        } catch {
            throw ServiceError.wrap(error)
        }
    }

    static func workflowPayload(_ record: WorkflowRecord) -> JSONValue {
        ["name": .string(record.name), "version": .int(record.version), "kind": .string(record.kind.rawValue), "source": .string(record.source)]
    }

    static func checkCacheKey(_ key: String) throws(ServiceError) {
        guard (1...256).contains(key.utf8.count) else { throw ServiceError(.invalidInput, "a cache key has 1 to 256 bytes") }
    }
}
