import FluxCore
import Foundation
import Testing

/// The catalog routes against a real `flux start server`: register (raw YAML, raw JSON, multipart), list,
/// show, delete, and the errors a client can cause.
@Suite struct WorkflowRoutesTests {
    @Test func registerListShowAndDelete() async throws {
        let server = try await ServerProcess()
        // Raw YAML body.
        let registered = try await server.register(try TestPaths.example("hello_world.yaml"))
        #expect(registered[0]?["name"] == "hello_world")
        #expect(registered[0]?["version"] == 1)
        // Raw JSON body.
        let json = try await server.request("POST", "/workflows", body: Data(try TestPaths.example("json_document.json").utf8),
                                            headers: ["Content-Type": "application/json"])
        #expect(json.status == 200, "\(json.text)")
        #expect(json.json[0]?["name"] == "json_document")
        // Multipart upload, field `file`, as the original's CLI sends it.
        let boundary = "flux-test-\(UUID().uuidString)"
        let upload = try await server.request(
            "POST", "/workflows", body: multipartBody(field: "file", filename: "pause.yaml", content: try TestPaths.example("pause.yaml"), boundary: boundary),
            headers: ["Content-Type": "multipart/form-data; boundary=\(boundary)"])
        #expect(upload.status == 200, "\(upload.text)")
        #expect(upload.json[0]?["name"] == "pause")
        #expect(upload.json[0]?["kind"] == "document")

        // A changed document is a new version; the same one is not.
        let changed = try TestPaths.example("hello_world.yaml").replacingOccurrences(of: "Greets someone by name", with: "Greets anyone")
        #expect(try await server.register(changed)[0]?["version"] == 2)
        #expect(try await server.register(changed)[0]?["version"] == 2)

        let list = try await server.get("/workflows")
        #expect(list.status == 200)
        #expect(list.header("Content-Type")?.hasPrefix("application/json") == true)
        let names = list.json.arrayValue?.compactMap { $0["name"]?.stringValue }.sorted()
        #expect(names == ["hello_world", "json_document", "pause"])
        #expect(list.json.arrayValue?.first { $0["name"] == "hello_world" }?["version"] == 2)

        let show = try await server.get("/workflows/hello_world")
        #expect(show.status == 200)
        #expect(show.json["versions"] == [1, 2])
        #expect(show.json["steps"] == ["greet"])
        #expect(show.json["document"]?.stringValue?.contains("Greets anyone") == true)
        let old = try await server.get("/workflows/hello_world?version=1")
        #expect(old.json["version"] == 1)
        #expect(old.json["document"]?.stringValue?.contains("Greets someone by name") == true)

        let deleteOne = try await server.request("DELETE", "/workflows/hello_world?version=1")
        #expect(deleteOne.status == 200)
        #expect(deleteOne.json == ["name": "hello_world", "deleted_versions": 1])
        #expect(try await server.get("/workflows/hello_world").json["versions"] == [2])
        let deleteAll = try await server.request("DELETE", "/workflows/json_document")
        #expect(deleteAll.json["deleted_versions"] == 1)
        #expect(try await server.get("/workflows/json_document").status == 404)
    }

    @Test func catalogErrorsAreClientErrors() async throws {
        let server = try await ServerProcess()
        // Unknown workflow: 404 with the JSON error body.
        let missing = try await server.get("/workflows/nope")
        #expect(missing.status == 404)
        #expect(missing.errorCode == "not_found")
        #expect(missing.json["error"]?["message"]?.stringValue?.contains("nope") == true)
        #expect(try await server.request("DELETE", "/workflows/nope").status == 404)
        // An invalid document: 400 with the location of the mistake.
        let invalid = try await server.request("POST", "/workflows", body: Data("flux: 1\nname: broken\nsteps: []\n".utf8),
                                               headers: ["Content-Type": "application/yaml"])
        #expect(invalid.status == 400)
        #expect(invalid.errorCode == "invalid_document")
        // Not YAML at all, an empty body, a multipart body without `file`, a bad version.
        let garbage = try await server.request("POST", "/workflows", body: Data("{{{{ :::".utf8), headers: ["Content-Type": "application/yaml"])
        #expect(garbage.status == 400)
        #expect(try await server.request("POST", "/workflows").status == 400)
        let boundary = "b\(UUID().uuidString)"
        let wrongField = try await server.request(
            "POST", "/workflows", body: multipartBody(field: "document", filename: "x.yaml", content: "flux: 1", boundary: boundary),
            headers: ["Content-Type": "multipart/form-data; boundary=\(boundary)"])
        #expect(wrongField.status == 400)
        #expect(wrongField.json["error"]?["message"]?.stringValue?.contains("file") == true)
        let noBoundary = try await server.request("POST", "/workflows", body: Data("x".utf8), headers: ["Content-Type": "multipart/form-data"])
        #expect(noBoundary.status == 400)
        #expect(try await server.get("/workflows/hello_world?version=abc").status == 400)
        // Not valid UTF-8.
        let binary = try await server.request("POST", "/workflows", body: Data([0xff, 0xfe, 0x00, 0x81]), headers: ["Content-Type": "application/yaml"])
        #expect(binary.status == 400)
        // An unknown route is a JSON 404 too.
        let route = try await server.get("/no/such/route")
        #expect(route.status == 404)
        #expect(route.errorCode == "not_found")
        // A known path with a method it does not serve is 405 with Allow.
        let method = try await server.request("PUT", "/workflows/hello_world")
        #expect(method.status == 405)
        #expect(method.header("Allow") == "GET, DELETE")
        #expect(try await server.request("PATCH", "/workflows").header("Allow") == "GET, POST")
        #expect(server.stderr.contains("internal") == false)
    }
}
