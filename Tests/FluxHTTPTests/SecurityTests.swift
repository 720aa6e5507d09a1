import FluxCore
import Foundation
import Testing

/// Bearer tokens, the admin API, and the body limit.
@Suite struct SecurityTests {
    @Test func authTokenGuardsEveryRouteReadsIncluded() async throws {
        let server = try await ServerProcess(environment: ["FLUX_SECURITY__AUTH_TOKEN": "s3cret-token"])
        let good = ["Authorization": "Bearer s3cret-token"]
        let wrong = ["Authorization": "Bearer s3cret-tokeN"]
        let document = Data(try TestPaths.example("pause.yaml").utf8)

        let missing = try await server.request("POST", "/workflows", body: document)
        #expect(missing.status == 401)
        #expect(missing.errorCode == "unauthorized")
        #expect(missing.header("WWW-Authenticate") == "Bearer")
        #expect(try await server.request("POST", "/workflows", body: document, headers: ["Authorization": "Basic abc"]).status == 401)
        let forbidden = try await server.request("POST", "/workflows", body: document, headers: wrong)
        #expect(forbidden.status == 403)
        #expect(forbidden.errorCode == "forbidden")
        #expect(try await server.request("POST", "/workflows", body: document, headers: ["Authorization": "Bearer s3cret"]).status == 403)
        try await server.register(String(decoding: document, as: UTF8.self), headers: good)

        // Reading needs the token too: inputs, outputs and events are data.
        #expect(try await server.get("/workflows").status == 401)
        #expect(try await server.get("/workflows", headers: wrong).status == 403)
        #expect(try await server.get("/workflows", headers: good).status == 200)
        #expect(try await server.get("/workflows/pause", headers: good).status == 200)

        #expect(try await server.post("/workflows/pause/run/sync").status == 401)
        #expect(try await server.post("/workflows/pause/run/sync", headers: wrong).status == 403)
        let run = try await server.post("/workflows/pause/run/sync", headers: good)
        #expect(run.status == 200)
        let id = try #require(run.json["execution_id"]?.stringValue)
        #expect(try await server.get("/workflows/pause/status/\(id)").status == 401)
        #expect(try await server.get("/workflows/pause/status/\(id)", headers: good).status == 200)
        #expect(try await server.post("/workflows/pause/resume/\(id)/sync", json: "1").status == 401)
        #expect(try await server.post("/workflows/pause/resume/\(id)/sync", json: "1", headers: wrong).status == 403)
        #expect(try await server.get("/workflows/pause/cancel/\(id)").status == 401)
        #expect(try await server.post("/workflows/pause/cancel/\(id)", headers: wrong).status == 403)
        #expect(try await server.request("DELETE", "/workflows/pause").status == 401)
        #expect(try await server.get("/workflows/pause/status/\(id)", headers: good).json["state"] == "PAUSED")
        #expect(try await server.post("/workflows/pause/cancel/\(id)?mode=sync", headers: good).json["state"] == "CANCELLED")
        #expect(try await server.request("DELETE", "/workflows/pause", headers: good).status == 200)
    }

    @Test func adminSecretsNeedTheAdminToken() async throws {
        let server = try await ServerProcess(environment: [
            "FLUX_SECURITY__ENCRYPTION_KEY": "an-encryption-key-of-enough-length-0123456789",
            "FLUX_SECURITY__ADMIN_TOKEN": "admin-token",
        ])
        let admin = ["Authorization": "Bearer admin-token"]
        #expect(try await server.get("/admin/secrets").status == 401)
        #expect(try await server.get("/admin/secrets", headers: ["Authorization": "Bearer nope"]).status == 403)
        #expect(try await server.post("/admin/secrets", json: "{\"name\": \"api_key\", \"value\": \"v\"}").status == 401)

        let set = try await server.post("/admin/secrets", json: "{\"name\": \"api_key\", \"value\": \"p@ss word\"}", headers: admin)
        #expect(set.status == 200, "\(set.text)")
        #expect(set.json["status"] == "ok")
        #expect(try await server.get("/admin/secrets", headers: admin).json == ["api_key"])
        let value = try await server.get("/admin/secrets/api_key", headers: admin)
        #expect(value.json == ["name": "api_key", "value": "p@ss word"])
        #expect(try await server.get("/admin/secrets/api_key").status == 401)
        #expect(try await server.get("/admin/secrets/missing", headers: admin).status == 404)
        #expect(try await server.post("/admin/secrets", json: "{\"name\": 3}", headers: admin).status == 400)
        #expect(try await server.post("/admin/secrets", json: "not json", headers: admin).status == 400)
        // An empty value is refused (the vault could not read it back).
        #expect(try await server.post("/admin/secrets", json: "{\"name\": \"empty\", \"value\": \"\"}", headers: admin).status == 400)
        #expect(try await server.post("/admin/secrets", json: "{\"name\": \"bad name!\", \"value\": \"v\"}", headers: admin).status == 400)
        #expect(try await server.request("DELETE", "/admin/secrets/api_key").status == 401)
        #expect(try await server.request("DELETE", "/admin/secrets/api_key", headers: admin).status == 200)
        #expect(try await server.request("DELETE", "/admin/secrets/api_key", headers: admin).status == 404)
        #expect(try await server.get("/admin/secrets", headers: admin).json == [])
        // The secret's value never reaches the log.
        #expect(!server.stderr.contains("p@ss word"))
    }

    @Test func adminRoutesAreOffWithoutAnEncryptionKey() async throws {
        let server = try await ServerProcess(environment: ["FLUX_SECURITY__ADMIN_TOKEN": "admin-token"])
        #expect(server.stderr.contains("security.encryption_key"))
        for path in ["/admin/secrets", "/admin/secrets/x"] {
            let reply = try await server.get(path, headers: ["Authorization": "Bearer admin-token"])
            #expect(reply.status == 503)
            #expect(reply.json["error"]?["message"]?.stringValue?.contains("security.encryption_key") == true)
        }
        #expect(try await server.post("/admin/secrets", json: "{}").status == 503)

        // With a key but no admin token, the admin API is closed to everyone.
        let closed = try await ServerProcess(environment: ["FLUX_SECURITY__ENCRYPTION_KEY": "an-encryption-key-of-enough-length-0123456789"])
        #expect(try await closed.get("/admin/secrets").status == 403)
        #expect(try await closed.get("/admin/secrets", headers: ["Authorization": "Bearer anything"]).status == 403)
    }

    @Test func bodiesOverTheLimitAre413() async throws {
        let server = try await ServerProcess(environment: ["FLUX_SECURITY__MAX_BODY_BYTES": "2000"])
        try await server.register(try TestPaths.example("hello_world.yaml"))
        let big = "\"" + String(repeating: "x", count: 5000) + "\""
        let run = try await server.post("/workflows/hello_world/run/sync", json: big)
        #expect(run.status == 413)
        #expect(run.errorCode == "too_large")
        let document = try TestPaths.example("hello_world.yaml") + "\n# " + String(repeating: "y", count: 5000) + "\n"
        #expect(try await server.request("POST", "/workflows", body: Data(document.utf8)).status == 413)
        // Just under the limit is fine.
        #expect(try await server.post("/workflows/hello_world/run/sync", json: "\"" + String(repeating: "x", count: 1500) + "\"").status == 200)
    }
}
