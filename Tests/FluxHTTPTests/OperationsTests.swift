import FluxCore
import Foundation
import Testing

/// Health, readiness, metrics, the OpenAPI description and the docs page.
@Suite struct OperationsTests {
    @Test func healthReadyAndMetrics() async throws {
        let server = try await ServerProcess()
        let health = try await server.get("/health")
        #expect(health.status == 200)
        #expect(health.json == ["status": "ok"])
        let ready = try await server.get("/ready")
        #expect(ready.status == 200)
        #expect(ready.json == ["status": "ready"])

        try await server.register(try TestPaths.example("hello_world.yaml"))
        try await server.register(try TestPaths.example("pause.yaml"))
        for name in ["a", "b", "c"] { _ = try await server.post("/workflows/hello_world/run/sync", json: "\"\(name)\"") }
        _ = try await server.post("/workflows/pause/run/sync")
        _ = try await server.get("/workflows/nope")

        let metrics = try await server.get("/metrics")
        #expect(metrics.status == 200)
        #expect(metrics.header("Content-Type")?.hasPrefix("text/plain") == true)
        let text = metrics.text
        #expect(text.contains(#"flux_executions{state="completed"} 3"#), "\(text)")
        #expect(text.contains(#"flux_executions{state="paused"} 1"#))
        #expect(text.contains(#"flux_executions{state="failed"} 0"#))
        #expect(text.contains("flux_execution_queue_depth 0"))
        #expect(text.contains("flux_executions_in_process"))
        #expect(text.contains(#"flux_tasks_total{outcome="completed"} 4"#))
        #expect(text.contains("flux_task_duration_seconds_bucket"))
        #expect(text.contains(#"flux_http_requests_total{method="POST",route="/workflows/{name}/run/{mode}",status="200"} 4"#))
        #expect(text.contains(#"route="unmatched",status="404""#) || text.contains(#"route="/workflows/{name}",status="404""#))
        #expect(text.contains("flux_http_request_duration_seconds_bucket"))
    }

    @Test func openAPIDescribesEveryRouteAndDocsRenderIt() async throws {
        let server = try await ServerProcess()
        let reply = try await server.get("/openapi.json")
        #expect(reply.status == 200)
        let spec = reply.json
        #expect(spec["openapi"] == "3.1.0")
        let paths = spec["paths"]?.objectValue ?? [:]
        let routes: [(String, String)] = [
            ("get", "/workflows"), ("post", "/workflows"), ("get", "/workflows/{name}"), ("delete", "/workflows/{name}"),
            ("post", "/workflows/{name}/run/{mode}"), ("post", "/workflows/{name}/resume/{execution_id}/{mode}"),
            ("get", "/workflows/{name}/status/{execution_id}"), ("post", "/workflows/{name}/cancel/{execution_id}"),
            ("get", "/workflows/{name}/cancel/{execution_id}"), ("get", "/executions"), ("get", "/executions/{execution_id}"),
            ("get", "/executions/{execution_id}/events"), ("get", "/executions/{execution_id}/stream"),
            ("get", "/admin/secrets"), ("post", "/admin/secrets"), ("get", "/admin/secrets/{name}"), ("delete", "/admin/secrets/{name}"),
            ("get", "/health"), ("get", "/ready"), ("get", "/metrics"), ("get", "/openapi.json"), ("get", "/docs"),
            ("get", "/workers"), ("post", "/workers/register"), ("get", "/workers/{name}/connect"),
            ("post", "/workers/{name}/claim/{execution_id}"), ("post", "/workers/{name}/checkpoint/{execution_id}"),
            ("post", "/workers/{name}/heartbeat"), ("get", "/workers/{name}/executions/{execution_id}"),
            ("post", "/workers/{name}/children"), ("post", "/workers/{name}/children/{execution_id}/cancel"),
            ("post", "/workers/{name}/executions"),
            ("get", "/workers/{name}/workflows/{workflow}"), ("get", "/workers/{name}/cache/{key}"), ("put", "/workers/{name}/cache/{key}"),
            ("post", "/workers/{name}/secrets"),
        ]
        for (method, path) in routes {
            #expect(paths[path]?[method] != nil, "\(method) \(path) is not described")
        }
        let described = paths.values.reduce(0) { count, item in count + ["get", "post", "delete", "put", "patch"].filter { item[$0] != nil }.count }
        #expect(described == routes.count, "the description has operations the server does not serve")

        let docs = try await server.get("/docs")
        #expect(docs.status == 200)
        #expect(docs.header("Content-Type")?.hasPrefix("text/html") == true)
        #expect(!docs.text.contains("<script src"))
        for (method, path) in routes {
            #expect(docs.text.contains(">\(method.uppercased())</span><span class=\"path\">\(path)</span>"), "\(method) \(path) missing from /docs")
        }
    }
}
