import FluxCore
import Foundation
import Synchronization
import Testing
@testable import FluxDocuments
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// exec and http policies, and the HTTP step's request and response handling.
@Suite("Interpreter exec and http policies")
struct InterpreterSecurityTests {
    func runOne(_ steps: String, _ environment: InterpreterEnvironment = InterpreterEnvironment(), input: JSONValue = .null,
                header: String = "") async throws -> ExecutionSnapshot {
        let engine = try await documentEngine(doc(steps, header: header), environment: environment)
        return try await engine.run(workflow: "t", input: input)
    }

    // MARK: exec

    @Test func execIsDisabledByDefault() async throws {
        let s = try await runOne("""
              - id: hi
                exec: { command: echo, args: [hi] }
            """)
        #expect(s.record.state == .failed)
        #expect(s.failureMessage.contains("exec is disabled") && s.failureMessage.contains("security.exec_allowlist"), "\(s.failureMessage)")
    }

    @Test func execRunsAllowedProgramsWithoutAShell() async throws {
        let steps = """
              - id: hi
                exec: { command: echo, args: ["hello $HOME", "${{ input }}"] }
              - id: env
                exec: { command: sh, args: ["-c", "echo $GREETING-${FLUX_INTERPRETER_TEST_LEAK:-unset}"], env: { GREETING: hey } }
            """
        setenv("FLUX_INTERPRETER_TEST_LEAK", "leaked", 1)
        let s = try await runOne(steps, InterpreterEnvironment(execAllowlist: ["echo", "sh"]), input: "x;rm -rf /")
        #expect(s.record.state == .completed, "\(s.record.output)")
        #expect(s.events(.taskCompleted, named: "hi").first?.value == ["exit_code": 0, "stdout": "hello $HOME x;rm -rf /\n", "stderr": ""])
        #expect(s.record.output["stdout"] == "hey-unset\n", "only PATH, HOME, LANG, TMPDIR and env reach the program")
        #expect(s.events(.taskStarted, named: "hi").first?.value["input"] == ["command": "echo", "args": ["hello $HOME", "x;rm -rf /"]])
    }

    @Test func execAllowlistMatchesNamesAndPaths() async throws {
        let echo = try #require(ExecStep.resolve("echo"))
        let byPath = try await runOne("""
              - id: hi
                exec: { command: echo, args: [ok] }
            """, InterpreterEnvironment(execAllowlist: [echo]))
        #expect(byPath.record.output["stdout"] == "ok\n", "a listed path allows the name that resolves to it")
        let pathNotName = try await runOne("""
              - id: hi
                exec: { command: \(echo), args: [ok] }
            """, InterpreterEnvironment(execAllowlist: ["echo"]))
        #expect(pathNotName.record.state == .failed)
        #expect(pathNotName.failureMessage.contains("security.exec_allowlist does not grant it to workflow"), "\(pathNotName.failureMessage)")
        let other = try await runOne("""
              - id: hi
                exec: { command: ls }
            """, InterpreterEnvironment(execAllowlist: ["echo"]))
        #expect(other.failureMessage.contains("exec of ls is refused"))
    }

    @Test func execNonZeroExitFailsWithStderr() async throws {
        let s = try await runOne("""
              - id: bad
                exec: { command: sh, args: ["-c", "echo broken >&2; exit 3"] }
            """, InterpreterEnvironment(execAllowlist: ["sh"]))
        #expect(s.record.state == .failed)
        #expect(s.failureMessage.contains("exited with 3: broken"), "\(s.failureMessage)")
    }

    /// The program would run an hour: the run ending at all (the time limit only catches a hang) shows it was stopped.
    @Test(.timeLimit(.minutes(10))) func execTimeoutStopsTheProgram() async throws {
        let s = try await runOne("""
              - id: slow
                exec: { command: sleep, args: ["3600"] }
                timeout: 300ms
            """, InterpreterEnvironment(execAllowlist: ["sleep"]))
        #expect(s.record.state == .failed)
        #expect(s.failureMessage.contains("timed out"), "\(s.failureMessage)")
    }

    @Test func execLargeOutputDoesNotDeadlock() async throws {
        let s = try await runOne("""
              - id: big
                exec: { command: sh, args: ["-c", "head -c 300000 /dev/zero | tr '\\\\0' e >&2; head -c 300000 /dev/zero | tr '\\\\0' o"] }
            """, InterpreterEnvironment(execAllowlist: ["sh"]))
        #expect(s.record.state == .completed, "\(s.failureMessage)")
        #expect(s.record.output["stdout"]?.stringValue?.count == 300_000)
        #expect(s.record.output["stderr"]?.stringValue?.count == 300_000)
    }

    // MARK: http policy

    @Test func linkLocalAndMetadataAreRefused() async throws {
        for url in ["http://169.254.169.254/latest/meta-data", "http://[fe80::1]/", "http://metadata.google.internal/computeMetadata/v1",
                    "http://2852039166/", "http://[::ffff:169.254.169.254]/", "http://METADATA.google.internal./"] {
            let s = try await runOne("""
                  - id: get
                    http: "\(url)"
                """)
            #expect(s.record.state == .failed, "\(url)")
            #expect(s.failureMessage.contains("refused"), "\(url): \(s.failureMessage)")
        }
    }

    @Test func denyAndAllowLists() async throws {
        let server = try TestHTTPServer()
        defer { server.stop() }
        let steps = """
              - id: get
                http: { url: "${{ input }}" }
            """
        let url: JSONValue = .string(server.url("/ok"))
        let open = try await runOne(steps, input: url)
        #expect(open.record.output["status"] == 200, "loopback is allowed by default")
        for deny in [["127.0.0.1"], ["127.0.0.0/8"], ["localhost"], ["::1", "127.0.0.5/8"]] {
            let target: JSONValue = deny == ["localhost"] ? .string("http://localhost:\(server.port)/ok") : url
            let s = try await runOne(steps, InterpreterEnvironment(httpDenyHosts: deny), input: target)
            #expect(s.failureMessage.contains("refused by security.http_deny_hosts"), "\(deny): \(s.failureMessage)")
        }
        let notAllowed = try await runOne(steps, InterpreterEnvironment(httpAllowHosts: ["example.com", "*.example.org"]), input: url)
        #expect(notAllowed.failureMessage.contains("not in security.http_allow_hosts"), "\(notAllowed.failureMessage)")
        let allowed = try await runOne(steps, InterpreterEnvironment(httpAllowHosts: ["127.0.0.1"]), input: url)
        #expect(allowed.record.output["status"] == 200)
        let linkLocalEvenIfAllowed = try await runOne(steps, InterpreterEnvironment(httpAllowHosts: ["169.254.0.0/16"]),
                                                      input: "http://169.254.169.254/")
        #expect(linkLocalEvenIfAllowed.failureMessage.contains("link-local"))
        #expect(server.hits("/ok") == 2)
    }

    @Test func redirectsToRefusedHostsAreNotFollowed() async throws {
        let server = try TestHTTPServer()
        defer { server.stop() }
        let s = try await runOne("""
              - id: get
                http: { url: "${{ input }}" }
            """, input: .string(server.url("/redirect-link-local")))
        #expect(s.record.state == .failed)
        #expect(s.failureMessage.contains("redirect refused"), "\(s.failureMessage)")
    }

    @Test func aRefusedConnectionFailsTheStepAtOnceWithItsReason() async throws {
        let closed = try TestHTTPServer()
        let url = closed.url("/gone")
        closed.stop()
        let s = try await runOne("""
              - id: get
                http: { url: "${{ input }}" }
            """, input: .string(url))
        #expect(s.record.state == .failed)
        // Not "timed out after 30 s": the client does not retry the connection quietly until its timeout.
        #expect(s.failureMessage.lowercased().contains("refused"), "\(s.failureMessage)")
    }

    @Test func responsesOverTheLimitFail() async throws {
        let server = try TestHTTPServer()
        defer { server.stop() }
        let s = try await runOne("""
              - id: get
                http: { url: "${{ input }}" }
            """, InterpreterEnvironment(maxResponseBytes: 1000), input: .string(server.url("/big")))
        #expect(s.record.state == .failed)
        #expect(s.failureMessage.contains("exceeds the limit of 1000 bytes"), "\(s.failureMessage)")
    }

    @Test func requestShapeAndResponseDecoding() async throws {
        let server = try TestHTTPServer()
        defer { server.stop() }
        let s = try await runOne("""
              - id: post
                http:
                  method: post
                  url: "${{ input }}/echo"
                  headers: { X-Flux: "yes" }
                  query: { q: "a b", n: 2 }
                  body: { hello: "world" }
              - id: text
                http: "${{ input }}/text"
              - id: missing
                http: { url: "${{ input }}/nothing", expect: [200, 404] }
            """, input: .string("http://127.0.0.1:\(server.port)"))
        #expect(s.record.state == .completed, "\(s.failureMessage)")
        let post = try #require(s.events(.taskCompleted, named: "post").first?.value)
        #expect(post["status"] == 200)
        #expect(post["headers"]?["content-type"] == "application/json")
        #expect(post["body"]?["method"] == "POST")
        #expect(post["body"]?["target"] == "/echo?n=2&q=a%20b")
        #expect(post["body"]?["headers"]?["x-flux"] == "yes")
        #expect(post["body"]?["headers"]?["content-type"] == "application/json")
        #expect(post["body"]?["body"] == #"{"hello":"world"}"#)
        #expect(s.events(.taskCompleted, named: "text").first?.value["body"] == "hello")
        #expect(s.events(.taskCompleted, named: "missing").first?.value["status"] == 404)
        let engine = try await documentEngine(doc("""
              - id: status
                http: { url: "${{ input }}/nothing", timeout: 5s }
            """))
        let notFound = try await engine.run(workflow: "t", input: .string("http://127.0.0.1:\(server.port)"))
        #expect(notFound.failureMessage.contains("answered 404, expected 2xx"), "\(notFound.failureMessage)")
    }

    /// The server would answer in an hour: the run ending at all (the time limit only catches a hang) shows that the
    /// step gave up at its timeout.
    @Test(.timeLimit(.minutes(10))) func httpTimeout() async throws {
        let server = try TestHTTPServer()
        defer { server.stop() }
        let started = Date()
        let s = try await runOne("""
              - id: slow
                http: { url: "${{ input }}", timeout: 500ms }
            """, input: .string(server.url("/slow")))
        #expect(s.record.state == .failed)
        #expect(s.failureMessage.contains("timed out after 0.5 s"), "\(s.failureMessage)")
        #expect(Date().timeIntervalSince(started) >= 0.45, "waited for the timeout, not less")
    }

    @Test func injectedHTTPClient() async throws {
        let seen = Mutex<[HTTPClientRequest]>([])
        let client: HTTPClient = { transfer in
            seen.withLock { $0.append(transfer) }
            #expect(transfer.maxResponseBytes == 4096)
            return HTTPClientResponse(status: 201, headers: ["Content-Type": "application/json; charset=utf-8"], body: Data(#"{"id": 7}"#.utf8))
        }
        let s = try await runOne("""
              - id: create
                http:
                  method: PUT
                  url: "http://127.0.0.1:9/items"
                  body: "plain text"
            """, InterpreterEnvironment(maxResponseBytes: 4096, httpClient: client))
        #expect(s.record.output == ["status": 201, "headers": ["content-type": "application/json; charset=utf-8"], "body": ["id": 7]])
        let request = try #require(seen.withLock { $0.first })
        #expect(request.method == "PUT")
        #expect(request.body == Data("plain text".utf8))
        #expect(request.header("Content-Type") == "text/plain; charset=utf-8")
    }

    @Test func hostPatterns() {
        #expect(HostPattern("*.example.com")?.matches(name: "api.example.com") == true)
        #expect(HostPattern("*.example.com")?.matches(name: "example.com") == false)
        #expect(HostPattern("*.example.com")?.matches(name: "badexample.com") == false)
        #expect(HostPattern("Example.COM.")?.matches(name: "example.com") == true)
        let net = IPAddress("10.1.2.3")
        #expect(net.map { HostPattern("10.0.0.0/8")?.matches(address: $0) } == true)
        #expect(net.map { HostPattern("11.0.0.0/8")?.matches(address: $0) } == false)
        #expect(IPAddress("::ffff:169.254.1.1")?.isLinkLocal == true)
        #expect(IPAddress("fe80::1")?.isLinkLocal == true && IPAddress("fec0::1")?.isLinkLocal == false)
        #expect(IPAddress("127.0.0.1")?.isLinkLocal == false)
        #expect(IPAddress.resolve("2852039166").map(\.description) == ["169.254.169.254"])
    }
}
