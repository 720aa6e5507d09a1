import Flux
import FluxService
import Foundation
import HTTPTypes
import Hummingbird

/// Server-Sent Events: the frames, and the streamed response that follows one execution.
///
/// Every recorded event becomes one frame, in the store's order, with its sequence number as the SSE
/// `id` and one line of JSON as `data`:
/// - a WORKFLOW_* event is named `{workflow_name}.execution.{state}` (the state the event moves the
///   execution to, lower case) and carries the execution's summary plus the `event`;
/// - a TASK_* event is named `task.{kind}` (`task.started`, `task.completed`, `task.retry_failed`, …)
///   and carries the event plus `execution_id` and `workflow_name`.
///
/// `: ping` comments keep the connection alive; the stream ends once the execution has finished or paused
/// and every event has been sent, or at once when the server shuts down.
enum EventStream {
    static let contentType = "text/event-stream"

    /// One SSE frame. `data` must be a single line (canonical JSON is).
    static func frame(id: Int?, event: String, data: String) -> ByteBuffer {
        var text = ""
        if let id { text += "id: \(id)\n" }
        text += "event: \(event)\ndata: \(data)\n\n"
        return ByteBuffer(string: text)
    }

    static let ping = ByteBuffer(string: ": ping\n\n")

    /// The state a workflow event moves an execution to.
    static func state(after type: EventType) -> ExecutionState? {
        switch type {
        case .workflowScheduled: return .scheduled
        case .workflowClaimed: return .claimed
        case .workflowStarted, .workflowResumed: return .running
        case .workflowCompleted: return .completed
        case .workflowFailed: return .failed
        case .workflowPaused: return .paused
        case .workflowResuming: return .resuming
        case .workflowCancelling: return .cancelling
        case .workflowCancelled: return .cancelled
        default: return nil
        }
    }

    /// `task.completed` for TASK_COMPLETED, `task.retry_started` for TASK_RETRY_STARTED, ….
    static func taskEventName(_ type: EventType) -> String {
        "task." + type.rawValue.dropFirst("TASK_".count).lowercased()
    }

    static func executionEventName(workflow: String, state: ExecutionState) -> String {
        "\(workflow).execution.\(state.rawValue.lowercased())"
    }

    /// Folds events into the execution's summary as the stream goes, to name and describe each frame.
    struct Framer {
        var record: ExecutionRecord

        /// The summary frame of the execution as it is now (the first frame of a run's stream).
        func summaryFrame() -> ByteBuffer {
            EventStream.frame(id: nil, event: executionEventName(workflow: record.workflowName, state: record.state),
                  data: Summaries.executionRow(record).canonicalJSON)
        }

        mutating func frame(for event: ExecutionEvent) -> ByteBuffer {
            if let state = EventStream.state(after: event.type) {
                record.state = state
                record.updatedAt = event.time
                record.lastSequence = event.sequence
                if state == .completed || state == .failed { record.output = event.value }
                var data = Summaries.executionRow(record).objectValue ?? [:]
                data["event"] = event.json
                if state == .paused { data["pause"] = ["name": event.value] }
                return EventStream.frame(id: event.sequence, event: executionEventName(workflow: record.workflowName, state: state),
                                         data: JSONValue.object(data).canonicalJSON)
            }
            var data = event.json.objectValue ?? [:]
            data["execution_id"] = .string(record.id)
            data["workflow_name"] = .string(record.workflowName)
            let name = event.type.isWorkflowEvent ? "\(record.workflowName).execution.event" : taskEventName(event.type)
            return EventStream.frame(id: event.sequence, event: name, data: JSONValue.object(data).canonicalJSON)
        }
    }

    /// A streamed response of the execution's events after `after`, opening with the summary frame of `record`
    /// when `sendSummaryFirst` (so a run's stream tells its execution id at once).
    static func response(service: FluxService, coordinator: ShutdownCoordinator, metrics: ServerMetrics, record: ExecutionRecord, after: Int,
                         sendSummaryFirst: Bool, heartbeat: Duration, onEnd: @escaping @Sendable () -> Void = {}) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = contentType
        headers[.cacheControl] = "no-cache"
        let executionID = record.id
        let body = ResponseBody { writer in
            defer { onEnd() }
            let (frames, continuation) = AsyncStream<ByteBuffer>.makeStream()
            let token = coordinator.register { continuation.finish() }
            defer { coordinator.unregister(token) }
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    var framer = Framer(record: record)
                    var timer = ServerMetrics.TaskTimer(metrics: metrics)
                    if sendSummaryFirst { continuation.yield(framer.summaryFrame()) }
                    do {
                        for try await event in service.watch(executionID: executionID, after: after) {
                            continuation.yield(framer.frame(for: event))
                            timer.observe(event)
                        }
                    } catch is CancellationError {
                    } catch {
                        let failure = (error as? ServiceError).map(APIError.init) ?? APIError.unavailable(String(describing: error))
                        continuation.yield(EventStream.frame(id: nil, event: "error", data: failure.json.canonicalJSON))
                    }
                    continuation.finish()
                }
                group.addTask {
                    while !Task.isCancelled {
                        try await Task.sleep(for: heartbeat)
                        continuation.yield(ping)
                    }
                }
                for await frame in frames {
                    try await writer.write(frame)
                }
                group.cancelAll()
            }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: headers, body: body)
    }
}
