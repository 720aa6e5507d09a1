import Foundation
import Testing
@testable import FluxConfig

@Suite("Defaults")
struct DefaultsTests {
    @Test("every key has its documented default")
    func builtInDefaults() {
        let c = FluxConfiguration.defaults
        #expect(c.debug == false)
        #expect(c.logLevel == .info)
        #expect(c.logFormat == .text)
        #expect(c.serverHost == "127.0.0.1")
        #expect(c.serverPort == 8000)
        #expect(c.home == ".flux")
        #expect(c.databaseURL == "sqlite:///.flux/flux.db")
        #expect(c.serializer == .json)
        #expect(c.cachePath == ".flux/cache")
        #expect(c.localStoragePath == ".flux/storage")

        #expect(c.store.synchronous == .normal)
        #expect(c.store.busyTimeoutMilliseconds == 5000)

        #expect(c.workers.bootstrapToken == nil)
        #expect(c.workers.serverURL == "http://127.0.0.1:8000")
        #expect(c.workers.defaultTimeout == 0)
        #expect(c.workers.retryAttempts == 3)
        #expect(c.workers.retryDelay == 1.0)
        #expect(c.workers.retryBackoff == 2.0)
        #expect(c.workers.concurrency == 8)
        #expect(c.workers.heartbeatInterval == 5)
        #expect(c.workers.leaseTimeout == 30)
        #expect(c.workers.embedded == true)
        #expect(c.workers.labels == [])

        #expect(c.security.encryptionKey == nil)
        #expect(c.security.adminToken == nil)
        #expect(c.security.authToken == nil)
        #expect(c.security.execAllowlist == [])
        #expect(c.security.httpAllowHosts == [])
        #expect(c.security.httpDenyHosts == [])
        #expect(c.security.maxBodyBytes == 10_485_760)

        #expect(c.mcp.name == "flux")
        #expect(c.mcp.host == "127.0.0.1")
        #expect(c.mcp.port == 8080)
        #expect(c.mcp.transport == .stdio)
        #expect(c.mcp.serverURL == nil)
        #expect(c.mcp.authToken == nil)
        #expect(c.mcp.workflowTools == false)
        #expect(c.mcp.allowedOrigins == [])
        #expect(c.mcp.sessionIdleTimeout == 600)
        #expect(c.mcp.maxStoredEvents == 1000)

        #expect(c.executor.maxConcurrentExecutions == 64)
        #expect(c.executor.mapConcurrency == 64)
        #expect(c.warnings.isEmpty)
    }

    @Test("loading an empty directory with an empty environment gives the defaults")
    func emptyDirectoryLoadsDefaults() throws {
        try withTemporaryDirectory { directory in
            let loaded = try FluxConfiguration.load(directory: directory, environment: [:])
            #expect(loaded == .defaults)
            #expect(loaded.warnings.isEmpty)
        }
    }

    @Test("the defaults pass validation")
    func defaultsAreValid() throws {
        try FluxConfiguration.defaults.validate()
    }

    @Test("paths follow home until set explicitly")
    func derivedPathsFollowHome() throws {
        let moved = try FluxConfiguration(toml: "[flux]\nhome = \"/var/lib/flux\"", environment: [:])
        #expect(moved.databaseURL == "sqlite:////var/lib/flux/flux.db")
        #expect(moved.cachePath == "/var/lib/flux/cache")
        #expect(moved.localStoragePath == "/var/lib/flux/storage")
        #expect(try moved.databaseLocation() == .sqlite(path: "/var/lib/flux/flux.db"))

        let explicit = try FluxConfiguration(
            toml: "[flux]\nhome = \"/srv\"\ncache_path = \"/tmp/cache\"",
            environment: [:]
        )
        #expect(explicit.cachePath == "/tmp/cache")
        #expect(explicit.localStoragePath == "/srv/storage")
    }

    @Test("the log level maps to swift-log levels")
    func logLevelMapping() {
        #expect(LogLevel.warning.loggerLevel == .warning)
        #expect(LogLevel.allCases.count == 7)
        #expect(LogLevel.allCases.map(\.loggerLevel.rawValue) == LogLevel.allCases.map(\.rawValue))
    }
}
