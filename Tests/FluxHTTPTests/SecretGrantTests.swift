import FluxCore
import Foundation
import Testing

/// Using a secret is a grant, not a wish (issue #15, item 1), against a real `flux start server`, as an attacker
/// would try it: an uploader without the admin token cannot register a document that requests a secret, cannot see
/// which secrets a workflow requests, and a workflow never gets a secret that is not granted to it, whether the
/// server's embedded executor or a remote worker runs it.
@Suite(.serialized) struct SecretGrantTests {
    static let key = "an-encryption-key-for-the-grant-tests-0123456789"
    static let adminToken = "admin-token-for-the-grant-tests"
    static let authToken = "uploader-token-for-the-grant-tests"
    static let admin = ["Authorization": "Bearer \(adminToken)"]
    static let uploader = ["Authorization": "Bearer \(authToken)"]
    static let yaml = ["Content-Type": "application/yaml"]

    /// The attack as found: request a secret, then space its characters so that redaction (which catches the exact
    /// value) does not recognise it.
    static let exfiltrate = """
        flux: 1
        name: exfiltrate
        secrets: [API_KEY]
        steps:
          - id: spaced
            set: "${{ split(secrets.API_KEY, '') }}"
        """

    /// Reads the secret without showing it: its length.
    static func measuring(_ name: String) -> String {
        """
        flux: 1
        name: \(name)
        secrets: [API_KEY]
        steps:
          - id: measure
            set: "${{ length(secrets.API_KEY) }}"
        """
    }

    static func server(_ extra: [String: String] = [:]) async throws -> ServerProcess {
        try await ServerProcess(environment: [
            "FLUX_SECURITY__ENCRYPTION_KEY": key, "FLUX_SECURITY__ADMIN_TOKEN": adminToken, "FLUX_SECURITY__AUTH_TOKEN": authToken,
        ].merging(extra) { _, new in new })
    }

    static func setSecret(_ server: ServerProcess, _ body: String) async throws {
        let reply = try await server.post("/admin/secrets", json: body, headers: admin)
        #expect(reply.status == 200, "POST /admin/secrets \(body): \(reply.text)")
    }

    @Test(.timeLimit(Deadline.wholeTest))
    func anUploaderWithoutTheAdminTokenCannotRegisterADocumentThatRequestsASecret() async throws {
        let server = try await Self.server()
        let secret = "sk-" + UUID().uuidString.replacingOccurrences(of: "-", with: "")
        try await Self.setSecret(server, #"{"name": "API_KEY", "value": "\#(secret)"}"#)

        // With the auth token (an uploader), raw and multipart: refused, naming the secret and how to get trust.
        let refused = try await server.request("POST", "/workflows", body: Data(Self.exfiltrate.utf8), headers: Self.uploader.merging(Self.yaml) { a, _ in a })
        #expect(refused.status == 403, "\(refused.text)")
        #expect(refused.errorCode == "forbidden")
        let message = refused.json["error"]?["message"]?.stringValue ?? ""
        #expect(message.contains("API_KEY") && message.contains("exfiltrate") && message.contains("security.admin_token"), "\(message)")
        #expect(message.contains("Nothing was registered"), "\(message)")
        let boundary = "grant-test-boundary"
        let multipart = try await server.request(
            "POST", "/workflows", body: multipartBody(field: "file", filename: "x.yaml", content: Self.exfiltrate, boundary: boundary),
            headers: Self.uploader.merging(["Content-Type": "multipart/form-data; boundary=\(boundary)"]) { a, _ in a })
        #expect(multipart.status == 403, "\(multipart.text)")
        // Nothing was registered: not listed, not found, not runnable.
        #expect(try await server.get("/workflows", headers: Self.uploader).json.arrayValue?.isEmpty == true)
        #expect(try await server.get("/workflows/exfiltrate", headers: Self.uploader).status == 404)
        #expect(try await server.post("/workflows/exfiltrate/run/sync", json: "null", headers: Self.uploader).status == 404)
        // A document with secrets: [] among others is refused whole: nothing of it is stored.
        let mixed = """
            flux: 1
            workflows:
              - name: harmless
                steps: [{id: s, set: 1}]
              - name: exfiltrate
                secrets: [API_KEY]
                steps: [{id: spaced, set: "${{ split(secrets.API_KEY, '') }}"}]
            """
        #expect(try await server.request("POST", "/workflows", body: Data(mixed.utf8), headers: Self.uploader.merging(Self.yaml) { a, _ in a }).status == 403)
        #expect(try await server.get("/workflows/harmless", headers: Self.uploader).status == 404)
        // A document that requests no secret is still anyone's to register.
        try await server.register("flux: 1\nname: harmless\nsteps:\n  - id: s\n    set: 1\n", headers: Self.uploader)

        // With the admin token the same document is accepted (the admin token stands in for the auth token)...
        try await server.register(Self.exfiltrate, headers: Self.admin)
        // ...and, as docs/security.md says, a workflow granted a secret can reveal it: granting is the boundary.
        let run = try await server.post("/workflows/exfiltrate/run/sync", json: "null", headers: Self.uploader)
        #expect(run.json["state"] == "COMPLETED", "\(run.text)")
        #expect(run.json["output"] == .array(secret.map { .string(String($0)) }))
        #expect(!run.text.contains(secret), "the exact value is still redacted")
        #expect(!server.stderr.contains(secret))
    }

    @Test(.timeLimit(Deadline.wholeTest))
    func withoutAnAdminTokenConfiguredNoRESTRequestMayRegisterADocumentThatRequestsASecret() async throws {
        let server = try await ServerProcess(environment: ["FLUX_SECURITY__ENCRYPTION_KEY": Self.key])
        let refused = try await server.request("POST", "/workflows", body: Data(Self.exfiltrate.utf8), headers: Self.yaml)
        #expect(refused.status == 403, "\(refused.text)")
        #expect(refused.json["error"]?["message"]?.stringValue?.contains("FLUX_SECURITY__ADMIN_TOKEN") == true, "\(refused.text)")
        let anything = try await server.request("POST", "/workflows", body: Data(Self.exfiltrate.utf8),
                                                headers: Self.yaml.merging(["Authorization": "Bearer anything"]) { a, _ in a })
        #expect(anything.status == 403, "\(anything.text)")
        #expect(try await server.get("/workflows/exfiltrate").status == 404)
    }

    @Test(.timeLimit(Deadline.wholeTest))
    func secretNamesAreShownOnlyToTheAdmin() async throws {
        let server = try await Self.server()
        try await Self.setSecret(server, #"{"name": "API_KEY", "value": "a-value-nobody-sees"}"#)
        try await server.register(Self.exfiltrate, headers: Self.admin)
        try await server.register("flux: 1\nname: plain\nsteps:\n  - id: s\n    set: 1\n", headers: Self.uploader)

        let shown = try await server.get("/workflows/exfiltrate", headers: Self.uploader)
        #expect(shown.status == 200, "\(shown.text)")
        #expect(shown.json["secrets"] == nil && shown.json["document"] == nil, "\(shown.text)")
        #expect(shown.json["steps"] == ["spaced"], "what does not name a secret is still shown: \(shown.text)")
        #expect(!shown.text.contains("API_KEY"), "\(shown.text)")
        #expect(!(try await server.get("/workflows", headers: Self.uploader)).text.contains("API_KEY"))
        // A document that requests no secret is shown whole.
        #expect(try await server.get("/workflows/plain", headers: Self.uploader).json["document"]?.stringValue?.contains("name: plain") == true)

        let toAdmin = try await server.get("/workflows/exfiltrate", headers: Self.admin)
        #expect(toAdmin.json["secrets"] == ["API_KEY"], "\(toAdmin.text)")
        #expect(toAdmin.json["document"]?.stringValue?.contains("secrets: [API_KEY]") == true, "\(toAdmin.text)")
    }

    @Test(.timeLimit(Deadline.wholeTest))
    func aSecretGrantedToOneWorkflowIsDeniedToAnother() async throws {
        let server = try await Self.server()
        let secret = "granted-" + UUID().uuidString
        try await Self.setSecret(server, #"{"name": "API_KEY", "value": "\#(secret)", "workflows": ["a"]}"#)
        try await Self.expectGrantsApply(server, secret: secret)
        #expect(!server.stderr.contains(secret))
    }

    @Test(.timeLimit(Deadline.wholeTest))
    func aRemoteWorkerGetsOnlyTheSecretsGrantedToTheWorkflowItRuns() async throws {
        let token = "bootstrap-token-for-the-grant-tests"
        let server = try await Self.server([
            "FLUX_WORKERS__EMBEDDED": "false", "FLUX_WORKERS__BOOTSTRAP_TOKEN": token, "FLUX_WORKERS__HEARTBEAT_INTERVAL": "0.5",
        ])
        let worker = try WorkerProcess(name: "grant-worker", server: server, token: token, executable: try TestPaths.flux)
        try await worker.waitUntilConnected()
        let secret = "remote-" + UUID().uuidString
        try await Self.setSecret(server, #"{"name": "API_KEY", "value": "\#(secret)", "workflows": ["a"]}"#)
        try await Self.expectGrantsApply(server, secret: secret)
        // The refused run was the worker's: the server refused the secret to it, not to its own executor.
        let executions = try await server.get("/executions?workflow_name=b", headers: Self.uploader).json["executions"]?.arrayValue ?? []
        let refused = try #require(executions.first { $0["state"] == "FAILED" }?["execution_id"]?.stringValue, "\(executions)")
        let events = try await server.get("/executions/\(refused)/events", headers: Self.uploader).json["events"]?.arrayValue ?? []
        #expect(events.last { $0["type"] == "WORKFLOW_CLAIMED" }?["value"]?["worker"] == "grant-worker", "\(events)")
        #expect(!worker.stderr.contains(secret) && !server.stderr.contains(secret))
        _ = try await worker.stop()
    }

    /// With API_KEY granted to `a` only: `a` gets it, `b` fails with a message saying how to grant it; then the
    /// grant is widened to `b` without resending the value, and finally to any workflow.
    static func expectGrantsApply(_ server: ServerProcess, secret: String) async throws {
        try await server.register(measuring("a"), headers: admin)
        try await server.register(measuring("b"), headers: admin)

        let a = try await server.post("/workflows/a/run/sync", json: "null", headers: uploader)
        #expect(a.json["state"] == "COMPLETED", "\(a.text)")
        #expect(a.json["output"] == .int(secret.count))

        let b = try await server.post("/workflows/b/run/sync", json: "null", headers: uploader)
        #expect(b.json["state"] == "FAILED", "\(b.text)")
        #expect(b.text.contains("secret API_KEY is not granted to workflow b"), "\(b.text)")
        #expect(b.text.contains("flux secrets set API_KEY --workflows b"), "\(b.text)")
        #expect(!b.text.contains(secret))

        let grants = try await server.get("/admin/secrets?detailed=true", headers: admin)
        #expect(grants.json == [["name": "API_KEY", "workflows": ["a"]]], "\(grants.text)")

        // Only the grant changes: the value stays.
        try await setSecret(server, #"{"name": "API_KEY", "workflows": ["a", "b"]}"#)
        let again = try await server.post("/workflows/b/run/sync", json: "null", headers: uploader)
        #expect(again.json["state"] == "COMPLETED", "\(again.text)")
        #expect(again.json["output"] == .int(secret.count))

        // Rotating the value keeps the grant: a third workflow is still refused...
        try await server.register(measuring("c"), headers: admin)
        try await setSecret(server, #"{"name": "API_KEY", "value": "\#(secret)-2"}"#)
        #expect(try await server.get("/admin/secrets?detailed=true", headers: admin).json == [["name": "API_KEY", "workflows": ["a", "b"]]])
        let c = try await server.post("/workflows/c/run/sync", json: "null", headers: uploader)
        #expect(c.json["state"] == "FAILED" && c.text.contains("not granted to workflow c"), "\(c.text)")
        // ...until the secret is granted to any workflow.
        try await setSecret(server, #"{"name": "API_KEY", "workflows": null}"#)
        let anyone = try await server.post("/workflows/c/run/sync", json: "null", headers: uploader)
        #expect(anyone.json["output"] == .int(secret.count + 2), "\(anyone.text)")

        // Grants that make no sense are refused.
        for body in [#"{"name": "API_KEY", "workflows": []}"#, #"{"name": "API_KEY", "workflows": ["../x"]}"#,
                     #"{"name": "API_KEY", "workflows": "a"}"#, #"{"name": "API_KEY"}"#, #"{"name": "MISSING", "workflows": ["a"]}"#] {
            let reply = try await server.post("/admin/secrets", json: body, headers: admin)
            #expect([400, 404].contains(reply.status), "\(body): \(reply.status) \(reply.text)")
        }
        // Only the admin may change a grant.
        #expect(try await server.post("/admin/secrets", json: #"{"name": "API_KEY", "workflows": ["z"]}"#, headers: uploader).status == 403)
    }
}
