import Foundation
import Testing
@testable import FluxConfig

@Suite("FLUX_EVENT_LOOPS")
struct EventLoopSettingTests {
    @Test("unset: one loop running Swift concurrency, except in a worker, which keeps the pool")
    func defaults() throws {
        let server = try EventLoopSetting(environment: [:], runsTaskBodies: false)
        #expect(server.eventLoops == 1 && server.concurrencyOnEventLoop)
        let worker = try EventLoopSetting(environment: [:], runsTaskBodies: true)
        #expect(worker.eventLoops == nil && !worker.concurrencyOnEventLoop)
    }

    @Test("a number sets the loops; only one loop takes Swift concurrency", arguments: [("1", 1, true), (" 4 ", 4, false), ("256", 256, false)])
    func numbers(raw: String, loops: Int, onLoop: Bool) throws {
        for worker in [false, true] {
            let setting = try EventLoopSetting(environment: ["FLUX_EVENT_LOOPS": raw], runsTaskBodies: worker)
            #expect(setting.eventLoops == loops && setting.concurrencyOnEventLoop == onLoop)
        }
    }

    @Test("anything else is an error naming the variable and the value", arguments: ["0", "257", "two", "", "1.5"])
    func refused(raw: String) {
        #expect {
            _ = try EventLoopSetting(environment: ["FLUX_EVENT_LOOPS": raw], runsTaskBodies: false)
        } throws: { error in
            let text = String(describing: error)
            return text.hasPrefix("environment FLUX_EVENT_LOOPS:") && text.contains("from 1 to 256") && text.contains("\"\(raw)\"")
        }
    }

    @Test("it is no configuration key, so the configuration does not warn about it")
    func notAConfigurationKey() throws {
        let configuration = try FluxConfiguration(toml: "", environment: ["FLUX_EVENT_LOOPS": "2"])
        #expect(configuration.warnings.isEmpty, "\(configuration.warnings)")
    }
}
