import Foundation
import Testing
@testable import FluxConfig

@Suite("TOML files")
struct TOMLLoadingTests {
    static let sample = """
        [flux]
        debug = true
        log_level = "debug"
        log_format = "json"
        server_host = "0.0.0.0"
        server_port = 9090
        home = "/opt/flux"
        database_url = "postgresql://flux@db:5432/flux"

        [flux.store]
        synchronous = "full"
        busy_timeout_ms = 250

        [flux.workers]
        bootstrap_token = "boot"
        server_url = "https://flux.example:8443"
        default_timeout = 120.5
        retry_attempts = 5
        retry_delay = 0.5
        retry_backoff = 3
        concurrency = 4
        heartbeat_interval = 2
        lease_timeout = 20
        embedded = false
        labels = ["gpu", "eu"]

        [flux.security]
        encryption_key = "k3y"
        exec_allowlist = ["git"]
        http_allow_hosts = ["api.example"]
        http_deny_hosts = ["169.254.169.254"]
        max_body_bytes = 1_024

        [flux.mcp]
        name = "flux-test"
        port = 9000
        transport = "streamable-http"
        server_url = "http://127.0.0.1:8000"
        workflow_tools = true
        allowed_origins = ["http://localhost:3000"]
        session_idle_timeout = 60
        max_stored_events = 10

        [flux.executor]
        max_concurrent_executions = 16
        map_concurrency = 4
        """

    @Test("flux.toml values override the defaults")
    func fluxTomlOverridesDefaults() throws {
        try withTemporaryDirectory(files: ["flux.toml": Self.sample]) { directory in
            let c = try FluxConfiguration.load(directory: directory, environment: [:])
            #expect(c.debug)
            #expect(c.logLevel == .debug)
            #expect(c.logFormat == .json)
            #expect(c.serverHost == "0.0.0.0")
            #expect(c.serverPort == 9090)
            #expect(c.home == "/opt/flux")
            #expect(c.databaseURL == "postgresql://flux@db:5432/flux")
            #expect(c.cachePath == "/opt/flux/cache")
            #expect(c.store == StoreSettings(synchronous: .full, busyTimeoutMilliseconds: 250))
            #expect(c.workers.bootstrapToken == "boot")
            #expect(c.workers.serverURL == "https://flux.example:8443")
            #expect(c.workers.defaultTimeout == 120.5)
            #expect(c.workers.retryAttempts == 5)
            #expect(c.workers.retryDelay == 0.5)
            #expect(c.workers.retryBackoff == 3.0)
            #expect(c.workers.concurrency == 4)
            #expect(c.workers.heartbeatInterval == 2)
            #expect(c.workers.leaseTimeout == 20)
            #expect(c.workers.embedded == false)
            #expect(c.workers.labels == ["gpu", "eu"])
            #expect(c.security.encryptionKey == "k3y")
            #expect(c.security.execAllowlist == ["git"])
            #expect(c.security.httpAllowHosts == ["api.example"])
            #expect(c.security.httpDenyHosts == ["169.254.169.254"])
            #expect(c.security.maxBodyBytes == 1024)
            #expect(c.mcp.name == "flux-test")
            #expect(c.mcp.port == 9000)
            #expect(c.mcp.transport == .streamableHTTP)
            #expect(c.mcp.serverURL == "http://127.0.0.1:8000")
            #expect(c.mcp.workflowTools)
            #expect(c.mcp.allowedOrigins == ["http://localhost:3000"])
            #expect(c.mcp.sessionIdleTimeout == 60)
            #expect(c.mcp.maxStoredEvents == 10)
            #expect(c.executor == ExecutorSettings(maxConcurrentExecutions: 16, mapConcurrency: 4))
            #expect(c.warnings.isEmpty)
        }
    }

    @Test("keys left out of the file keep their defaults")
    func partialFileKeepsDefaults() throws {
        let c = try FluxConfiguration(toml: "[flux.workers]\nconcurrency = 2\n", environment: [:])
        var expected = FluxConfiguration.defaults
        expected.workers.concurrency = 2
        #expect(c == expected)
    }

    @Test("pyproject.toml [tool.flux] is used when flux.toml is absent")
    func pyprojectFallback() throws {
        let pyproject = """
            [project]
            name = "demo"
            version = "1.0"

            [tool.black]
            line-length = 100

            [tool.flux]
            server_port = 7000

            [tool.flux.mcp]
            transport = "sse"
            """
        try withTemporaryDirectory(files: ["pyproject.toml": pyproject]) { directory in
            let c = try FluxConfiguration.load(directory: directory, environment: [:])
            #expect(c.serverPort == 7000)
            #expect(c.mcp.transport == .sse)
            #expect(c.warnings.isEmpty, "other tools' tables are not Flux's business")
        }
    }

    @Test("pyproject.toml without [tool.flux] gives the defaults")
    func pyprojectWithoutFluxTable() throws {
        try withTemporaryDirectory(files: ["pyproject.toml": "[project]\nname = \"demo\"\n"]) { directory in
            let loaded = try FluxConfiguration.load(directory: directory, environment: [:])
            #expect(loaded == .defaults)
        }
    }

    @Test("flux.toml wins over pyproject.toml, with a warning")
    func fluxTomlWinsOverPyproject() throws {
        let files = [
            "flux.toml": "[flux]\nserver_port = 8100\n",
            "pyproject.toml": "[tool.flux]\nserver_port = 8200\n",
        ]
        try withTemporaryDirectory(files: files) { directory in
            let c = try FluxConfiguration.load(directory: directory, environment: [:])
            #expect(c.serverPort == 8100)
            #expect(c.warnings.count == 1)
            #expect(c.warnings.first?.contains("[tool.flux] is ignored") == true)
        }
    }

    @Test("load(file:) reads an explicit file")
    func explicitFile() throws {
        try withTemporaryDirectory(files: ["custom.toml": "[flux]\ndebug = true\n"]) { directory in
            let c = try FluxConfiguration.load(file: directory.appendingPathComponent("custom.toml"), environment: [:])
            #expect(c.debug)
        }
    }

    @Test("a missing explicit file is an unreadable-file error")
    func missingExplicitFile() throws {
        try withTemporaryDirectory { directory in
            let error = configurationError {
                _ = try FluxConfiguration.load(file: directory.appendingPathComponent("nope.toml"), environment: [:])
            }
            #expect(error?.kind == .unreadableFile)
            #expect(error?.description.contains("nope.toml") == true)
        }
    }

    @Test("reload reads the file again")
    func reloadSeesChanges() throws {
        try withTemporaryDirectory(files: ["flux.toml": "[flux]\nserver_port = 8001\n"]) { directory in
            let first = try FluxConfiguration.load(directory: directory, environment: [:])
            #expect(first.serverPort == 8001)
            try Data("[flux]\nserver_port = 8002\n".utf8).write(to: directory.appendingPathComponent("flux.toml"))
            let second = try FluxConfiguration.reload(directory: directory, environment: [:])
            #expect(second.serverPort == 8002)
        }
    }

    @Test("TOML strings holding numbers and booleans are accepted, like environment values")
    func laxStringsInToml() throws {
        let c = try FluxConfiguration(
            toml: "[flux]\ndebug = \"yes\"\nserver_port = \"8123\"\n[flux.workers]\nretry_delay = \"2.5\"\n",
            environment: [:]
        )
        #expect(c.debug)
        #expect(c.serverPort == 8123)
        #expect(c.workers.retryDelay == 2.5)
    }
}
