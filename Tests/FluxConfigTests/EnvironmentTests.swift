import Foundation
import Testing
@testable import FluxConfig

@Suite("Environment variables")
struct EnvironmentTests {
    @Test("environment variables win over flux.toml")
    func environmentWinsOverToml() throws {
        let toml = "[flux]\nserver_port = 9000\nlog_level = \"debug\"\n[flux.workers]\nconcurrency = 4\n"
        try withTemporaryDirectory(files: ["flux.toml": toml]) { directory in
            let c = try FluxConfiguration.load(
                directory: directory,
                environment: ["FLUX_SERVER_PORT": "9100", "FLUX_WORKERS__CONCURRENCY": "2"]
            )
            #expect(c.serverPort == 9100)
            #expect(c.workers.concurrency == 2)
            #expect(c.logLevel == .debug, "keys not in the environment keep the file's value")
        }
    }

    @Test("double underscores reach nested tables")
    func nestedKeys() throws {
        let c = try FluxConfiguration(toml: "", environment: [
            "FLUX_SECURITY__ENCRYPTION_KEY": "secret-key",
            "FLUX_WORKERS__BOOTSTRAP_TOKEN": "boot-token",
            "FLUX_MCP__PORT": "9000",
            "FLUX_STORE__SYNCHRONOUS": "FULL",
            "FLUX_EXECUTOR__MAP_CONCURRENCY": "3",
            "FLUX_MCP__TRANSPORT": "streamable_http",
        ])
        #expect(c.security.encryptionKey == "secret-key")
        #expect(c.workers.bootstrapToken == "boot-token")
        #expect(c.mcp.port == 9000)
        #expect(c.store.synchronous == .full)
        #expect(c.executor.mapConcurrency == 3)
        #expect(c.mcp.transport == .streamableHTTP)
        #expect(c.warnings.isEmpty)
    }

    @Test("variable names are case-insensitive")
    func caseInsensitiveNames() throws {
        let c = try FluxConfiguration(toml: "", environment: [
            "flux_mcp__port": "9001",
            "Flux_Workers__Concurrency": "3",
            "FLUX_debug": "true",
        ])
        #expect(c.mcp.port == 9001)
        #expect(c.workers.concurrency == 3)
        #expect(c.debug)
    }

    @Test("the same key in two spellings: the uppercase one wins, with a warning")
    func duplicateSpellings() throws {
        let c = try FluxConfiguration(toml: "", environment: ["FLUX_SERVER_PORT": "8001", "flux_server_port": "8002"])
        #expect(c.serverPort == 8001)
        #expect(c.warnings.count == 1)
        #expect(c.warnings.first?.contains("flux_server_port") == true)
    }

    @Test("variables without the FLUX_ prefix are ignored")
    func otherVariablesIgnored() throws {
        let c = try FluxConfiguration(toml: "", environment: ["HOME": "/root", "PATH": "/bin", "SERVER_PORT": "1"])
        #expect(c == .defaults)
    }

    @Test("lists come from JSON arrays or comma-separated text")
    func listValues() throws {
        let c = try FluxConfiguration(toml: "[flux.workers]\nlabels = [\"a\"]\n", environment: [
            "FLUX_WORKERS__LABELS": #"["gpu", "eu,west"]"#,
            "FLUX_SECURITY__EXEC_ALLOWLIST": "git, make ,,ls",
            "FLUX_SECURITY__HTTP_DENY_HOSTS": "",
        ])
        #expect(c.workers.labels == ["gpu", "eu,west"])
        #expect(c.security.execAllowlist == ["git", "make", "ls"])
        #expect(c.security.httpDenyHosts == [])
    }

    @Test("booleans, numbers and empty optional values from text")
    func textConversions() throws {
        let c = try FluxConfiguration(toml: "[flux.security]\nauth_token = \"from-file\"\n", environment: [
            "FLUX_DEBUG": "on",
            "FLUX_WORKERS__EMBEDDED": "0",
            "FLUX_SECURITY__MAX_BODY_BYTES": "2_000",
            "FLUX_WORKERS__RETRY_DELAY": "1e-1",
            "FLUX_WORKERS__LEASE_TIMEOUT": "45",
            "FLUX_SECURITY__AUTH_TOKEN": "",
        ])
        #expect(c.debug)
        #expect(c.workers.embedded == false)
        #expect(c.security.maxBodyBytes == 2000)
        #expect(c.workers.retryDelay == 0.1)
        #expect(c.workers.leaseTimeout == 45)
        #expect(c.security.authToken == nil, "an empty variable unsets an optional key")
    }

    @Test("FLUX_HOME moves the derived paths, but an explicit database_url in the file stays")
    func homeFromEnvironment() throws {
        let c = try FluxConfiguration(
            toml: "[flux]\ndatabase_url = \"sqlite:///data/flux.db\"\n",
            environment: ["FLUX_HOME": "/tmp/flux-home"]
        )
        #expect(c.home == "/tmp/flux-home")
        #expect(c.cachePath == "/tmp/flux-home/cache")
        #expect(c.databaseURL == "sqlite:///data/flux.db")
    }

    @Test("names map between dotted keys and variables")
    func nameMapping() {
        #expect(EnvironmentReader.dottedKey(for: "FLUX_WORKERS__BOOTSTRAP_TOKEN") == "workers.bootstrap_token")
        #expect(EnvironmentReader.environmentName(for: "mcp.max_stored_events") == "FLUX_MCP__MAX_STORED_EVENTS")
        for key in ConfigurationKeys.all {
            #expect(EnvironmentReader.dottedKey(for: EnvironmentReader.environmentName(for: key.name)) == key.name)
        }
    }
}
