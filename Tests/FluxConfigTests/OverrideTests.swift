import Foundation
import Testing
@testable import FluxConfig

@Suite("Overrides, reload and reset")
struct OverrideTests {
    @Test("overriding parses dotted keys like environment values")
    func overridingParsesValues() throws {
        let c = try FluxConfiguration.defaults.overriding([
            "workers.concurrency": "4",
            "mcp.transport": "sse",
            "debug": "yes",
            "security.exec_allowlist": "git,make",
            "flux.server_port": "8081",
            "WORKERS.EMBEDDED": "false",
        ])
        #expect(c.workers.concurrency == 4)
        #expect(c.mcp.transport == .sse)
        #expect(c.debug)
        #expect(c.security.execAllowlist == ["git", "make"])
        #expect(c.serverPort == 8081)
        #expect(c.workers.embedded == false)
        #expect(FluxConfiguration.defaults.workers.concurrency == 8, "the original is unchanged")
    }

    @Test("overriding home moves derived paths; an empty value returns a path to its default")
    func overridingHome() throws {
        let moved = try FluxConfiguration.defaults.overriding(["home": "/data", "cache_path": "/fast/cache"])
        #expect(moved.databaseURL == "sqlite:////data/flux.db")
        #expect(moved.cachePath == "/fast/cache")
        let back = try moved.overriding(["cache_path": ""])
        #expect(back.cachePath == "/data/cache")
    }

    @Test("overriding rejects bad values and unknown keys, naming them")
    func overridingErrors() {
        let bad = configurationError { _ = try FluxConfiguration.defaults.overriding(["workers.concurrency": "abc"]) }
        #expect(bad?.description == #"override: workers.concurrency: expected an integer, found "abc""#)
        let unknown = configurationError { _ = try FluxConfiguration.defaults.overriding(["workers.concurency": "2"]) }
        #expect(unknown?.kind == .unknownKey)
        #expect(unknown?.description == #"override: workers.concurency: unknown key; did you mean "workers.concurrency"?"#)
    }

    @Test("overriding checks relations between keys")
    func overridingChecksRelations() {
        let error = configurationError { _ = try FluxConfiguration.defaults.overriding(["workers.lease_timeout": "2"]) }
        #expect(error?.key == "workers.lease_timeout")
        #expect(error?.source == .override)
    }

    @Test("overriding keeps the warnings of the loaded configuration")
    func overridingKeepsWarnings() throws {
        let loaded = try FluxConfiguration(toml: "[flux]\nmystery = 1\n", environment: [:])
        let changed = try loaded.overriding(["debug": "true"])
        #expect(changed.warnings == loaded.warnings)
    }

    @Test("every key can be overridden with its own rendered value")
    func everyKeyOverridable() throws {
        let c = try FluxConfiguration(toml: TOMLLoadingTests.sample, environment: [:])
        var changes: [String: String] = [:]
        for key in ConfigurationKeys.all {
            switch key.read(c) {
            case .string(let text)?: changes[key.name] = text
            case .integer(let number)?: changes[key.name] = String(number)
            case .float(let number)?: changes[key.name] = String(number)
            case .boolean(let flag)?: changes[key.name] = String(flag)
            case .array(let items)?:
                changes[key.name] = "[" + items.map { ConfigurationRenderer.quoted(textOf($0)) }.joined(separator: ",") + "]"
            default: changes[key.name] = ""
            }
        }
        #expect(changes.count == ConfigurationKeys.all.count)
        #expect(try FluxConfiguration.defaults.overriding(changes) == c)
    }

    @Test("validate() catches values set in code")
    func validateProgrammatic() {
        var c = FluxConfiguration.defaults
        c.mcp.port = 70_000
        let error = configurationError { try c.validate() }
        #expect(error?.description == "configuration: mcp.port: expected an integer from 1 to 65535, found 70000")

        var relation = FluxConfiguration.defaults
        relation.workers.heartbeatInterval = 60
        #expect(configurationError { try relation.validate() }?.key == "workers.heartbeat_interval")
    }

    @Test("equality compares effective values")
    func equalityIsSemantic() {
        #expect(FluxConfiguration(cachePath: ".flux/cache") == .defaults)
        #expect(FluxConfiguration(home: "elsewhere") != .defaults)
        #expect(FluxConfiguration(warnings: ["w"]) != .defaults)
    }

    @Test("the store overrides, resets and reloads")
    func storeLifecycle() async throws {
        try await withTemporaryDirectoryAsync(files: ["flux.toml": "[flux.workers]\nconcurrency = 3\n"]) { directory in
            let store = try ConfigurationStore(directory: directory, environment: ["FLUX_DEBUG": "true"])
            #expect(await store.current.workers.concurrency == 3)
            #expect(await store.current.debug)

            try await store.override(["workers.concurrency": "5"])
            #expect(await store.current.workers.concurrency == 5)
            #expect(await store.loaded.workers.concurrency == 3)

            await #expect(throws: ConfigurationError.self) { try await store.override(["mcp.port": "0"]) }
            #expect(await store.current.workers.concurrency == 5, "a failed override changes nothing")

            await store.reset()
            #expect(await store.current.workers.concurrency == 3)

            try await store.override(["debug": "false"])
            try Data("[flux.workers]\nconcurrency = 6\n".utf8).write(to: directory.appendingPathComponent("flux.toml"))
            try await store.reload()
            #expect(await store.current.workers.concurrency == 6)
            #expect(await store.current.debug, "reload reads the same environment again and drops overrides")
        }
    }

    @Test("a store made from a value keeps it across reload")
    func storeFromValue() async throws {
        let store = ConfigurationStore(try FluxConfiguration.defaults.overriding(["mcp.port": "9100"]))
        try await store.override(["mcp.port": "9200"])
        try await store.reload()
        #expect(await store.current.mcp.port == 9100)
    }

    private func textOf(_ raw: ConfigValue) -> String {
        if case .string(let text) = raw { return text }
        return ""
    }
}

/// The async form of ``withTemporaryDirectory(files:_:)``.
func withTemporaryDirectoryAsync(
    files: [String: String] = [:],
    _ body: (URL) async throws -> Void
) async throws {
    let directory = FileManager.default.temporaryDirectory
        .appendingPathComponent("flux-config-tests-\(UUID().uuidString)", isDirectory: true)
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    for (name, contents) in files {
        try Data(contents.utf8).write(to: directory.appendingPathComponent(name))
    }
    try await body(directory)
}
