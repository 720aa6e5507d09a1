import FluxCore
import Foundation
import Testing

/// The backstop behind graceful shutdown (Sources/FluxCLI/ShutdownBackstop.swift): a process whose graceful shutdown
/// cannot progress still ends after SIGTERM, with status 70 and a line naming what was still running.
@Suite("Shutdown backstop")
struct ShutdownBackstopTests {
    /// A server whose every cooperative thread is held by a task body that ignores cancellation (FluxTestBinary's
    /// `hold_every_thread`): nothing of Swift concurrency can run, so neither can the service group's shutdown.
    static func serverWithEveryThreadHeld() async throws -> (server: ServerProcess, markers: URL) {
        let markers = FileManager.default.temporaryDirectory.appendingPathComponent("flux-markers-\(UUID().uuidString)")
        let server = try await ServerProcess(executable: try TestPaths.testBinary, environment: ["FLUX_TEST_MARKERS": markers.path])
        let threads = ProcessInfo.processInfo.activeProcessorCount
        let reply = try await server.request("POST", "/workflows/hold_every_thread/run/async", body: Data("\(threads * 2 + 2)".utf8),
                                             headers: ["Content-Type": "application/json"])
        #expect(reply.status == 202, "\(reply.text)")
        let deadline = ContinuousClock.now + .seconds(300)
        while ContinuousClock.now < deadline {
            let started = (try? String(contentsOf: markers, encoding: .utf8))?.split(separator: "\n").count ?? 0
            if started >= threads { return (server, markers) }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw TestFailure("the blocking tasks did not start within 300 s: \(server.stderr)")
    }

    @Test func theBackstopEndsAServerWhoseShutdownIsStuck() async throws {
        let (server, markers) = try await Self.serverWithEveryThreadHeld()
        defer { try? FileManager.default.removeItem(at: markers) }
        // Without the backstop the process would never end: `stop` gives up (and kills it) after 120 s.
        let (status, elapsed) = try await server.stop(timeout: .seconds(120))
        #expect(status == 70, "\(server.stderr)")
        #expect(server.stderr.contains("flux: graceful shutdown did not finish within 11 s of SIGTERM; still running: "), "\(server.stderr)")
        #expect(server.stderr.contains("Application"), "the line names the services still running: \(server.stderr)")
        print("the backstop ended the server \(elapsed) after SIGTERM")
    }

    @Test func aSecondSignalEndsTheProcessAtOnce() async throws {
        let (server, markers) = try await Self.serverWithEveryThreadHeld()
        defer { try? FileManager.default.removeItem(at: markers) }
        let pid = try #require(server.process?.processIdentifier)
        kill(pid, SIGTERM)
        let deadline = ContinuousClock.now + .seconds(60)
        while !server.stderr.contains("flux: SIGTERM: shutting down"), ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(10))
        }
        kill(pid, SIGINT)
        let (status, _) = try await server.stop(timeout: .seconds(120))
        #expect(status == 128 + SIGINT, "\(server.stderr)")
        #expect(server.stderr.contains("flux: SIGINT after SIGTERM: exiting at once"), "\(server.stderr)")
    }
}
