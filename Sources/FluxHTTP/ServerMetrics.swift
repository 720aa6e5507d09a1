import Flux
import FluxService
import Foundation
import Hummingbird
import Metrics
import Prometheus

/// The server's metrics, recorded through swift-metrics into a Prometheus registry of its own (no global
/// bootstrap, so several servers can live in one process) and rendered by `GET /metrics`.
///
/// - `flux_http_requests_total{method,route,status}` and `flux_http_request_duration_seconds{method,route}`
/// - `flux_executions{state}`: executions in the store by state, read at each scrape
/// - `flux_execution_queue_depth`: executions created or scheduled and not yet running
/// - `flux_executions_in_process`: executions this server process is running now
/// - `flux_tasks_total{outcome}` and `flux_task_duration_seconds{outcome}`: tasks (TASK_STARTED to TASK_COMPLETED
///   or TASK_FAILED) of the executions this server ran or resumed in sync mode or streamed to a client
final class ServerMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    let factory: PrometheusMetricsFactory

    init() {
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.durationHistogramBuckets = [
            "flux_http_request_duration_seconds": Self.latencyBuckets,
            "flux_task_duration_seconds": Self.latencyBuckets,
        ]
        self.factory = factory
    }

    static let latencyBuckets: [Duration] = [
        .milliseconds(1), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
        .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5), .seconds(10), .seconds(30), .seconds(60),
    ]

    func recordRequest(method: String, route: String, status: Int, duration: Duration) {
        Counter(label: "flux_http_requests_total", dimensions: [("method", method), ("route", route), ("status", String(status))],
                factory: factory).increment()
        Metrics.Timer(label: "flux_http_request_duration_seconds", dimensions: [("method", method), ("route", route)], factory: factory)
            .recordNanoseconds(Int64(duration.seconds * 1e9))
    }

    /// Counts the tasks that finished among `events` (those after sequence `after`), with their durations.
    func recordTasks(_ events: [ExecutionEvent], after: Int = 0) {
        var timer = TaskTimer(metrics: self)
        for event in events where event.sequence > after { timer.observe(event) }
    }

    /// Pairs TASK_STARTED with the TASK_COMPLETED or TASK_FAILED of the same task as events go by.
    struct TaskTimer {
        let metrics: ServerMetrics
        var started: [String: Date] = [:]

        mutating func observe(_ event: ExecutionEvent) {
            switch event.type {
            case .taskStarted:
                started[event.sourceID] = event.time
            case .taskCompleted, .taskFailed:
                let outcome = event.type == .taskCompleted ? "completed" : "failed"
                Counter(label: "flux_tasks_total", dimensions: [("outcome", outcome)], factory: metrics.factory).increment()
                if let start = started.removeValue(forKey: event.sourceID) {
                    Metrics.Timer(label: "flux_task_duration_seconds", dimensions: [("outcome", outcome)], factory: metrics.factory)
                        .recordNanoseconds(Int64(max(0, event.time.timeIntervalSince(start)) * 1e9))
                }
            default:
                break
            }
        }
    }

    /// The Prometheus text exposition, with the store's gauges read now.
    func render(service: FluxService, limits: ClientLimits) async throws -> String {
        let counts = try await service.store.countExecutionsByState()
        for state in ExecutionState.allCases {
            Gauge(label: "flux_executions", dimensions: [("state", state.rawValue.lowercased())], factory: factory)
                .record(counts[state] ?? 0)
        }
        Gauge(label: "flux_execution_queue_depth", factory: factory).record((counts[.created] ?? 0) + (counts[.scheduled] ?? 0))
        Gauge(label: "flux_executions_in_process", factory: factory).record(await service.engine.runningExecutionIDs().count)
        Gauge(label: "flux_client_executions_tracked", factory: factory).record(limits.trackedExecutions)
        Gauge(label: "flux_open_event_streams", factory: factory).record(limits.openStreams)
        return registry.emitToString()
    }
}

/// Counts and times every request by its route template (not its path, to keep the label set small).
struct MetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: ServerMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        let response = try await next(request, context)
        let route = context.endpointPath ?? "unmatched"
        metrics.recordRequest(method: request.method.rawValue, route: route, status: response.status.code,
                              duration: ContinuousClock.now - start)
        return response
    }
}
