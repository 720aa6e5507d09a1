import Foundation
import Testing
@testable import FluxConfig

/// One invalid input and what the error must say.
struct BadCase: Sendable, CustomTestStringConvertible {
    var toml = ""
    var environment: [String: String] = [:]
    /// The dotted key the error must name.
    let key: String
    /// The full expected description, or a fragment of it when `exact` is false.
    let expected: String
    var exact = true

    var testDescription: String { expected }
}

@Suite("Invalid values")
struct InvalidValueTests {
    static let cases: [BadCase] = [
        BadCase(
            toml: "[flux.workers]\nconcurrency = \"abc\"",
            key: "workers.concurrency",
            expected: #"flux.toml: workers.concurrency: expected an integer, found "abc""#
        ),
        BadCase(
            environment: ["FLUX_MCP__PORT": "x"],
            key: "mcp.port",
            expected: #"environment FLUX_MCP__PORT: expected an integer from 1 to 65535, found "x""#
        ),
        BadCase(
            toml: "[flux]\nserver_port = 70000",
            key: "server_port",
            expected: "flux.toml: server_port: expected an integer from 1 to 65535, found 70000"
        ),
        BadCase(
            environment: ["FLUX_WORKERS__CONCURRENCY": "0"],
            key: "workers.concurrency",
            expected: #"environment FLUX_WORKERS__CONCURRENCY: expected an integer of at least 1, found "0""#
        ),
        BadCase(
            toml: "[flux]\nlog_level = \"loud\"",
            key: "log_level",
            expected: #"flux.toml: log_level: expected one of "trace", "debug", "info", "notice", "warning", "error", "critical", found "loud""#
        ),
        BadCase(
            environment: ["FLUX_SERIALIZER": "pkl"],
            key: "serializer",
            expected: #"environment FLUX_SERIALIZER: pickle serialization ("pkl") is not supported"#,
            exact: false
        ),
        BadCase(
            toml: "[flux]\nserializer = \"yaml\"",
            key: "serializer",
            expected: #"flux.toml: serializer: expected one of "json", found "yaml""#
        ),
        BadCase(
            toml: "[flux]\ndebug = 3",
            key: "debug",
            expected: "flux.toml: debug: expected a boolean (true or false), found 3"
        ),
        BadCase(
            environment: ["FLUX_DEBUG": "maybe"],
            key: "debug",
            expected: #"environment FLUX_DEBUG: expected a boolean (true or false), found "maybe""#
        ),
        BadCase(
            toml: "[flux.workers]\nheartbeat_interval = 0",
            key: "workers.heartbeat_interval",
            expected: "flux.toml: workers.heartbeat_interval: expected a number greater than 0, found 0"
        ),
        BadCase(
            environment: ["FLUX_WORKERS__LEASE_TIMEOUT": "-5"],
            key: "workers.lease_timeout",
            expected: #"environment FLUX_WORKERS__LEASE_TIMEOUT: expected a number greater than 0, found "-5""#
        ),
        BadCase(
            environment: ["FLUX_WORKERS__DEFAULT_TIMEOUT": "nan"],
            key: "workers.default_timeout",
            expected: #"environment FLUX_WORKERS__DEFAULT_TIMEOUT: expected a number of at least 0, found "nan""#
        ),
        BadCase(
            environment: ["FLUX_WORKERS__RETRY_BACKOFF": "0.5"],
            key: "workers.retry_backoff",
            expected: #"environment FLUX_WORKERS__RETRY_BACKOFF: expected a number of at least 1, found "0.5""#
        ),
        BadCase(
            toml: "[flux.store]\nbusy_timeout_ms = -1",
            key: "store.busy_timeout_ms",
            expected: "flux.toml: store.busy_timeout_ms: expected an integer of at least 0, found -1"
        ),
        BadCase(
            environment: ["FLUX_SECURITY__MAX_BODY_BYTES": "1.5"],
            key: "security.max_body_bytes",
            expected: #"environment FLUX_SECURITY__MAX_BODY_BYTES: expected an integer, found "1.5""#
        ),
        BadCase(
            toml: "[flux.workers]\nlabels = \"gpu\"",
            key: "workers.labels",
            expected: #"flux.toml: workers.labels: expected an array of strings, found "gpu""#
        ),
        BadCase(
            toml: "[flux.workers]\nlabels = [\"gpu\", 2]",
            key: "workers.labels",
            expected: "flux.toml: workers.labels: expected an array of strings, found an array containing 2"
        ),
        BadCase(
            environment: ["FLUX_MCP__ALLOWED_ORIGINS": "[1, 2]"],
            key: "mcp.allowed_origins",
            expected: "environment FLUX_MCP__ALLOWED_ORIGINS: expected an array of strings",
            exact: false
        ),
        BadCase(
            environment: ["FLUX_DATABASE_URL": "mysql://db/flux"],
            key: "database_url",
            expected: #"environment FLUX_DATABASE_URL: unsupported database scheme "mysql""#,
            exact: false
        ),
        BadCase(
            toml: "[flux.workers]\nserver_url = \"ftp://files.example\"",
            key: "workers.server_url",
            expected: #"flux.toml: workers.server_url: expected an http:// or https:// URL, found "ftp://files.example""#
        ),
        BadCase(
            environment: ["FLUX_MCP__SERVER_URL": "not a url"],
            key: "mcp.server_url",
            expected: #"environment FLUX_MCP__SERVER_URL: expected an http:// or https:// URL, found "not a url""#
        ),
        BadCase(
            toml: "[flux.mcp]\ntransport = \"websocket\"",
            key: "mcp.transport",
            expected: #"flux.toml: mcp.transport: expected one of "stdio", "sse", "streamable-http", found "websocket""#
        ),
        BadCase(
            toml: "[flux]\nserver_host = 5",
            key: "server_host",
            expected: "flux.toml: server_host: expected a string, found 5"
        ),
        BadCase(
            environment: ["FLUX_HOME": "  "],
            key: "home",
            expected: #"environment FLUX_HOME: expected a non-empty string, found "  ""#
        ),
        BadCase(
            toml: "[flux.mcp]\nsession_idle_timeout = 1979-05-27",
            key: "mcp.session_idle_timeout",
            expected: "flux.toml: mcp.session_idle_timeout: expected a number greater than 0, found a date"
        ),
        BadCase(
            toml: "[flux]\nworkers = 3",
            key: "workers",
            expected: "flux.toml: workers: expected a table, found 3"
        ),
        BadCase(
            environment: ["FLUX_EXECUTOR__MAP_CONCURRENCY": "-2"],
            key: "executor.map_concurrency",
            expected: #"environment FLUX_EXECUTOR__MAP_CONCURRENCY: expected an integer of at least 1, found "-2""#
        ),
        BadCase(
            toml: "[flux.workers]\nheartbeat_interval = 40",
            key: "workers.heartbeat_interval",
            expected: "flux.toml: workers.heartbeat_interval: expected a number less than workers.lease_timeout (30.0) "
                + "so that leases are renewed before they expire, found 40.0"
        ),
        BadCase(
            environment: ["FLUX_WORKERS__LEASE_TIMEOUT": "5"],
            key: "workers.lease_timeout",
            expected: "environment FLUX_WORKERS__LEASE_TIMEOUT: expected a number greater than workers.heartbeat_interval (5.0)",
            exact: false
        ),
    ]

    @Test("a bad value fails, naming the key and the source", arguments: cases)
    func badValue(_ bad: BadCase) {
        let error = configurationError {
            _ = try FluxConfiguration(toml: bad.toml, environment: bad.environment)
        }
        #expect(error?.kind == .invalidValue)
        #expect(error?.key == bad.key)
        let description = error?.description ?? "no error"
        if bad.exact {
            #expect(description == bad.expected)
        } else {
            #expect(description.hasPrefix(bad.expected), "\(description)")
        }
    }

    @Test("the environment's bad value is reported even when the file's value is fine")
    func environmentErrorNamesEnvironment() {
        let error = configurationError {
            _ = try FluxConfiguration(toml: "[flux.mcp]\nport = 9000", environment: ["FLUX_MCP__PORT": "99999"])
        }
        #expect(error?.source == .environment(variable: "FLUX_MCP__PORT"))
        #expect(error?.key == "mcp.port")
    }

    @Test("a file's bad value names the file's path")
    func fileErrorNamesPath() throws {
        try withTemporaryDirectory(files: ["flux.toml": "[flux.workers]\nconcurrency = \"abc\"\n"]) { directory in
            let error = configurationError { _ = try FluxConfiguration.load(directory: directory, environment: [:]) }
            let path = directory.appendingPathComponent("flux.toml").path
            #expect(error?.source == .file(path))
            #expect(error?.description == #"\#(path): workers.concurrency: expected an integer, found "abc""#)
        }
    }

    @Test("a non-table [flux] is an error")
    func fluxMustBeATable() {
        let error = configurationError { _ = try FluxConfiguration(toml: "flux = 1", environment: [:]) }
        #expect(error?.description == "flux.toml: [flux] must be a table, found 1")
    }

    @Test("pickle gets an explanation rather than a list of choices")
    func pickleIsExplained() {
        let error = configurationError { _ = try FluxConfiguration(toml: "[flux]\nserializer = \"pkl\"", environment: [:]) }
        #expect(error?.description.contains("pickles are a Python-only format") == true)
        #expect(error?.description.contains("not supported") == true)
    }
}
