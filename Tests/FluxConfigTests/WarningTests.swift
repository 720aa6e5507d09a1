import Foundation
import Testing
@testable import FluxConfig

@Suite("Unknown keys")
struct WarningTests {
    @Test("unknown keys in flux.toml are warnings, not errors")
    func unknownTomlKeys() throws {
        let toml = """
            title = "outside"

            [flux]
            debugg = true
            server_port = 8001

            [flux.workers]
            concurrancy = 3

            [flux.bogus]
            x = 1
            """
        let c = try FluxConfiguration(toml: toml, environment: [:])
        #expect(c.serverPort == 8001)
        #expect(c.workers.concurrency == 8)
        #expect(c.warnings.count == 4)
        #expect(c.warnings.contains { $0.contains("\"title\"") && $0.contains("outside the [flux] table") })
        #expect(c.warnings.contains { $0.contains("unknown key \"debugg\"") && $0.contains("did you mean \"debug\"") })
        #expect(c.warnings.contains {
            $0.hasPrefix("flux.toml: unknown key \"workers.concurrancy\"") && $0.contains("workers.concurrency")
        })
        #expect(c.warnings.contains { $0.contains("unknown table \"bogus\"") })
    }

    @Test("unknown FLUX_ variables are warnings, not errors")
    func unknownEnvironmentVariables() throws {
        let c = try FluxConfiguration(toml: "", environment: [
            "FLUX_WORKERS__CONCURENCY": "3",
            "FLUX_NOT_A_THING": "1",
            "FLUX_WORKERS": "x",
            "FLUX_MCP__PORT": "9000",
        ])
        #expect(c.mcp.port == 9000)
        #expect(c.warnings.count == 3)
        #expect(c.warnings.contains {
            $0.hasPrefix("environment FLUX_WORKERS__CONCURENCY: unknown key \"workers.concurency\"")
                && $0.contains("did you mean FLUX_WORKERS__CONCURRENCY?")
        })
        #expect(c.warnings.contains { $0.hasPrefix("environment FLUX_NOT_A_THING: unknown key \"not_a_thing\"") })
        #expect(c.warnings.contains { $0.hasPrefix("environment FLUX_WORKERS: \"workers\" is a table") })
    }

    @Test("warnings are logged at warning level through the given logger")
    func warningsAreLogged() throws {
        let handler = CapturingLogHandler()
        try withTemporaryDirectory(files: ["flux.toml": "[flux]\nunknown_thing = 1\n"]) { directory in
            let c = try FluxConfiguration.load(
                directory: directory,
                environment: ["FLUX_ALSO_UNKNOWN": "1"],
                logger: handler.logger()
            )
            #expect(c.warnings.count == 2)
            #expect(handler.entries.count == 2)
            #expect(handler.entries.allSatisfy { $0.level == .warning })
            #expect(handler.entries.map(\.message) == c.warnings)
        }
    }

    @Test("without a logger, warnings are only collected")
    func noLoggerNoProblem() throws {
        let c = try FluxConfiguration(toml: "[flux]\nnope = 1\n", environment: [:], logger: nil)
        #expect(c.warnings.count == 1)
    }
}
