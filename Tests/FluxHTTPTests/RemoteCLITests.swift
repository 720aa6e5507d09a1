import FluxCore
import Foundation
import Testing

/// `flux workflow …` and `flux secrets …` with `--server-url`: the real binary against a real server, from a
/// directory of its own (so nothing can come from a local store).
@Suite struct RemoteCLITests {
    struct Result {
        let status: Int32
        let stdout: String
        let stderr: String
        var json: JSONValue { (try? JSONValue(parsing: stdout)) ?? .null }
    }

    /// Runs `flux ARGS` in a fresh directory with `environment` (the caller's FLUX_* variables dropped).
    static func flux(_ arguments: [String], environment: [String: String] = [:], in directory: URL) async throws -> Result {
        let process = Process()
        process.executableURL = try TestPaths.flux
        process.arguments = arguments
        process.currentDirectoryURL = directory
        var env = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("FLUX_") }
        env.merge(environment) { _, new in new }
        process.environment = env
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let (stdout, stderr) = await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                let o = out.fileHandleForReading.readDataToEndOfFile()
                let e = err.fileHandleForReading.readDataToEndOfFile()
                continuation.resume(returning: (o, e))
            }
        }
        while process.isRunning { try await Task.sleep(for: .milliseconds(10)) }
        return Result(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self), stderr: String(decoding: stderr, as: UTF8.self))
    }

    static func scratch() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("flux-remote-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test func workflowCommandsGoThroughTheServer() async throws {
        let server = try await ServerProcess(environment: ["FLUX_SECURITY__AUTH_TOKEN": "tok"])
        let here = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: here) }
        let url = ["--server-url", server.baseURL.absoluteString]
        let auth = url + ["--auth-token", "tok"]
        let hello = TestPaths.examples.appendingPathComponent("hello_world.yaml").path
        let pause = TestPaths.examples.appendingPathComponent("pause.yaml").path

        let refused = try await Self.flux(["workflow", "register", hello] + url, in: here)
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("Authorization"))
        #expect(try await Self.flux(["workflow", "register", hello] + auth, in: here).stdout.contains("registered hello_world version 1"))
        // The token and the URL can come from the configuration instead.
        let configured = ["FLUX_WORKERS__SERVER_URL": server.baseURL.absoluteString, "FLUX_SECURITY__AUTH_TOKEN": "tok"]
        #expect(try await Self.flux(["workflow", "register", pause], environment: configured, in: here).status == 0)
        let list = try await Self.flux(["workflow", "list", "--format", "json"], environment: configured, in: here)
        #expect(list.json.arrayValue?.compactMap { $0["name"]?.stringValue }.sorted() == ["hello_world", "pause"])
        // Reads need the token too.
        let unread = try await Self.flux(["workflow", "show", "pause", "--format", "json"] + url, in: here)
        #expect(unread.status == 1 && unread.stderr.contains("Authorization"), "\(unread.stderr)")
        #expect(try await Self.flux(["workflow", "show", "pause", "--format", "json"] + auth, in: here).json["steps"] == ["prepare", "approval", "done"])

        let run = try await Self.flux(["workflow", "run", "hello_world", "World", "--format", "json"] + auth, in: here)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.json["output"] == "Hello, World")

        let stream = try await Self.flux(["workflow", "run", "hello_world", "Stream", "--mode", "stream", "--format", "json"] + auth, in: here)
        #expect(stream.status == 0, "\(stream.stderr)")
        let lines = stream.stdout.split(separator: "\n").compactMap { try? JSONValue(parsing: String($0)) }
        #expect(lines.dropLast().compactMap { $0["type"]?.stringValue } == ["WORKFLOW_STARTED", "TASK_STARTED", "TASK_COMPLETED", "WORKFLOW_COMPLETED"])
        #expect(lines.last?["output"] == "Hello, Stream")

        let paused = try await Self.flux(["workflow", "run", "pause", "--format", "json"] + auth, in: here)
        #expect(paused.status == 3)
        let id = try #require(paused.json["execution_id"]?.stringValue)
        let status = try await Self.flux(["workflow", "status", "pause", id, "--format", "json"] + auth, in: here)
        #expect(status.status == 3)
        #expect(status.json["pause"]?["name"] == "wait_for_approval")
        let resumed = try await Self.flux(["workflow", "resume", "pause", id, "go", "--mode", "stream", "--format", "json"] + auth, in: here)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(resumed.stdout.contains("WORKFLOW_RESUMING"))
        #expect(resumed.stdout.split(separator: "\n").last.flatMap { try? JSONValue(parsing: String($0)) }?["output"] == "Approved with: go")
        let again = try await Self.flux(["workflow", "resume", "pause", id, "go"] + auth, in: here)
        #expect(again.status == 2)
        #expect(again.stderr.contains("not PAUSED"))

        let second = try await Self.flux(["workflow", "run", "pause", "--format", "json"] + auth, in: here)
        let secondID = try #require(second.json["execution_id"]?.stringValue)
        let cancelled = try await Self.flux(["workflow", "cancel", "pause", secondID, "--format", "json"] + auth, in: here)
        #expect(cancelled.status == 0, "a cancel that succeeded exits 0")
        #expect(cancelled.json["state"] == "CANCELLED")

        let async = try await Self.flux(["workflow", "run", "hello_world", "Later", "--mode", "async", "--format", "json"] + auth, in: here)
        #expect(async.status == 0)
        let asyncID = try #require(async.json["execution_id"]?.stringValue)
        #expect(try await server.waitForExecution(asyncID, headers: ["Authorization": "Bearer tok"]) { $0["state"] == "COMPLETED" }["output"] == "Hello, Later")

        #expect(try await Self.flux(["workflow", "status", "pause", "0123456789abcdef0123456789abcdef"] + auth, in: here).status == 2)
        #expect(try await Self.flux(["workflow", "delete", "pause"] + auth, in: here).stdout.contains("deleted 1 version"))
        #expect(try await Self.flux(["workflow", "show", "pause"] + auth, in: here).status == 2)
        // Nothing was written locally.
        #expect(!FileManager.default.fileExists(atPath: here.appendingPathComponent(".flux").path))

        let unreachable = try await Self.flux(["workflow", "list", "--server-url", "http://127.0.0.1:1"], in: here)
        #expect(unreachable.status == 1)
        #expect(unreachable.stderr.contains("cannot reach the Flux server"))
        #expect(try await Self.flux(["workflow", "list", "--server-url", "not a url"], in: here).status == 2)
    }

    @Test func secretsCommandsUseTheAdminAPI() async throws {
        let server = try await ServerProcess(environment: [
            "FLUX_SECURITY__ENCRYPTION_KEY": "an-encryption-key-of-enough-length-0123456789",
            "FLUX_SECURITY__ADMIN_TOKEN": "adm",
        ])
        let here = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: here) }
        let url = ["--server-url", server.baseURL.absoluteString]
        let noToken = try await Self.flux(["secrets", "set", "API_KEY", "v1"] + url, in: here)
        #expect(noToken.status == 1)
        #expect(noToken.stderr.contains("security.admin_token"))
        #expect(try await Self.flux(["secrets", "set", "API_KEY", "v1", "--admin-token", "adm"] + url, in: here).status == 0)
        let env = ["FLUX_SECURITY__ADMIN_TOKEN": "adm"]
        #expect(try await Self.flux(["secrets", "list"] + url, environment: env, in: here).stdout == "API_KEY\n")
        #expect(try await Self.flux(["secrets", "get", "API_KEY", "--yes"] + url, environment: env, in: here).stdout == "v1\n")
        #expect(try await Self.flux(["secrets", "remove", "API_KEY"] + url, environment: env, in: here).status == 0)
        #expect(try await Self.flux(["secrets", "remove", "API_KEY"] + url, environment: env, in: here).status == 2)
        #expect(try await server.get("/admin/secrets", headers: ["Authorization": "Bearer adm"]).json == [])
    }
}
