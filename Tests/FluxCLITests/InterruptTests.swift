import FluxCore
import Foundation
import Testing

/// Ctrl-C during a synchronous run (issue #16, point 2): `flux run` of a document whose `exec` step ran `sleep`, interrupted,
/// exited without the execution id, left the program running in its own process group and the execution RUNNING, for
/// a later server to run again. Now the id is printed at the start, the first SIGINT cancels (exit 4, CANCELLED, the
/// program stopped), `--detach` leaves the execution to a background process, a second SIGINT exits at once, and an
/// `exec` program dies with the process that started it.
@Suite("Interrupting a run", .timeLimit(.minutes(30)))
struct InterruptTests {
    /// Long enough never to end by itself during a test; the fraction makes the program findable among others.
    static func sleeper(_ seconds: String) -> String {
        """
        flux: 1
        name: sleeper
        steps:
          - id: wait
            exec: { command: sleep, args: ["\(seconds)"] }
        """
    }

    static let deadline: Duration = .seconds(300)

    /// `flux ARGS` started in the background, its output going to files of the test's directory.
    final class Running: @unchecked Sendable {
        let process = Process()
        let out: URL
        let err: URL

        init(_ flux: FluxBinary, _ arguments: [String]) throws {
            out = flux.directory.appendingPathComponent("out-\(UUID().uuidString)")
            err = flux.directory.appendingPathComponent("err-\(UUID().uuidString)")
            FileManager.default.createFile(atPath: out.path, contents: nil)
            FileManager.default.createFile(atPath: err.path, contents: nil)
            process.executableURL = try FluxBinary.executable
            process.arguments = arguments
            process.currentDirectoryURL = flux.directory
            process.environment = flux.environment
            process.standardOutput = try FileHandle(forWritingTo: out)
            process.standardError = try FileHandle(forWritingTo: err)
            process.standardInput = FileHandle.nullDevice
            try process.run()
        }

        var stdout: String { (try? String(contentsOf: out, encoding: .utf8)) ?? "" }
        var stderr: String { (try? String(contentsOf: err, encoding: .utf8)) ?? "" }

        func signal(_ number: Int32) { kill(process.processIdentifier, number) }

        /// Waits for the process to exit; its status.
        func exit() async throws -> Int32 {
            try await until("flux exits") { !process.isRunning }
            process.waitUntilExit()
            return process.terminationStatus
        }
    }

    /// Polls `condition` every 20 ms until it holds, at most ``deadline``.
    static func until(_ what: String, _ condition: () throws -> Bool) async throws {
        let end = ContinuousClock.now + deadline
        while ContinuousClock.now < end {
            if try condition() { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        Issue.record("\(what) did not happen within \(deadline)")
        throw CancellationError()
    }

    /// The pids of running processes whose command line contains `argument`.
    static func processes(with argument: String) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { entry -> Int32? in
            guard let pid = Int32(entry), let data = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline") else { return nil }
            let words = data.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            guard words.contains(argument) else { return nil }
            // A zombie (exited, not reaped yet) is not running.
            let status = (try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8)) ?? ""
            return status.contains(") Z ") ? nil : pid
        }
    }

    struct TestStop: Error, CustomStringConvertible {
        let message: String
        var description: String { message }
    }

    static func uniqueSeconds() -> String { "3\(Int.random(in: 100...999)).\(Int.random(in: 100_000...999_999))" }

    static func started(_ running: Running) async throws -> String {
        try await until("the execution id on stderr") {
            if !running.process.isRunning { throw TestStop(message: "flux exited with \(running.process.terminationStatus): \(running.stderr)") }
            return running.stderr.contains(" started; Ctrl-C ")
        }
        let line = try #require(running.stderr.split(separator: "\n").first { $0.contains(" started; Ctrl-C ") })
        return try #require(line.split(separator: " ").dropFirst(2).first.map(String.init))
    }

    @Test func theFirstSIGINTCancelsTheExecutionAndStopsItsProgram() async throws {
        let flux = try FluxBinary(environment: ["FLUX_SECURITY__EXEC_ALLOWLIST": #"["sleep"]"#])
        defer { try? FileManager.default.removeItem(at: flux.directory) }
        let seconds = Self.uniqueSeconds()
        let path = try flux.write("sleeper.yaml", Self.sleeper(seconds))
        let running = try Running(flux, ["run", path, "--format", "json"])
        let id = try await Self.started(running)
        #expect(id.count == 32, "\(running.stderr)")
        try await Self.until("the program runs") { !Self.processes(with: seconds).isEmpty }
        running.signal(SIGINT)
        #expect(try await running.exit() == 4, "\(running.stdout) \(running.stderr)")
        let summary = try JSONValue(parsing: running.stdout)
        #expect(summary["state"] == "CANCELLED" && summary["execution_id"]?.stringValue == id, "\(summary)")
        #expect(running.stderr.contains("SIGINT: cancelling execution \(id)"), "\(running.stderr)")
        try await Self.until("the program is gone") { Self.processes(with: seconds).isEmpty }
        let status = try flux.run(["workflow", "status", "sleeper", id, "--format", "json"])
        #expect(try JSONValue(parsing: status.stdout)["state"] == "CANCELLED", "\(status.stdout) \(status.stderr)")
    }

    @Test func aProgramDiesWithTheProcessThatStartedIt() async throws {
        let flux = try FluxBinary(environment: ["FLUX_SECURITY__EXEC_ALLOWLIST": #"["sleep"]"#])
        defer { try? FileManager.default.removeItem(at: flux.directory) }
        let seconds = Self.uniqueSeconds()
        let running = try Running(flux, ["run", try flux.write("sleeper.yaml", Self.sleeper(seconds))])
        _ = try await Self.started(running)
        try await Self.until("the program runs") { !Self.processes(with: seconds).isEmpty }
        running.signal(SIGKILL)
        #expect(try await running.exit() == SIGKILL)
        try await Self.until("the orphaned program is gone") { Self.processes(with: seconds).isEmpty }
    }

    @Test func aSecondSIGINTExitsAtOnce() async throws {
        // The rollback of the step before, which takes an hour, keeps the first SIGINT's cancellation from ending.
        let flux = try FluxBinary(environment: ["FLUX_SECURITY__EXEC_ALLOWLIST": #"["sleep"]"#])
        defer { try? FileManager.default.removeItem(at: flux.directory) }
        let seconds = Self.uniqueSeconds(), rollback = Self.uniqueSeconds()
        let path = try flux.write("stubborn.yaml", """
            flux: 1
            name: stubborn
            steps:
              - id: reserve
                set: 1
                rollback:
                  exec: { command: sleep, args: ["\(rollback)"] }
              - id: wait
                exec: { command: sleep, args: ["\(seconds)"] }
            """)
        let running = try Running(flux, ["run", path])
        let id = try await Self.started(running)
        try await Self.until("the program runs") { !Self.processes(with: seconds).isEmpty }
        running.signal(SIGINT)
        try await Self.until("the rollback runs") { !Self.processes(with: rollback).isEmpty }
        running.signal(SIGINT)
        #expect(try await running.exit() == 128 + SIGINT, "\(running.stderr)")
        #expect(running.stderr.contains("SIGINT after SIGINT: exiting at once; execution \(id)"), "\(running.stderr)")
        try await Self.until("the rollback's program is gone") { Self.processes(with: rollback).isEmpty }
    }

    @Test func withDetachTheExecutionGoesOnInTheBackground() async throws {
        let flux = try FluxBinary(environment: ["FLUX_SECURITY__EXEC_ALLOWLIST": #"["sleep"]"#])
        defer { try? FileManager.default.removeItem(at: flux.directory) }
        let seconds = Self.uniqueSeconds()
        let path = try flux.write("sleeper.yaml", Self.sleeper(seconds))
        let running = try Running(flux, ["run", path, "--detach"])
        let id = try await Self.started(running)
        try await Self.until("the program runs") { !Self.processes(with: seconds).isEmpty }
        let first = Self.processes(with: seconds)
        running.signal(SIGINT)
        #expect(try await running.exit() == 0, "\(running.stderr)")
        #expect(running.stderr.contains("execution \(id) goes on in the background; follow it with `flux workflow status sleeper \(id)`"),
                "\(running.stderr)")
        // The background process took the execution over: the step runs again there, in a program of its own.
        try await Self.until("the step runs again in the background") {
            let now = Self.processes(with: seconds)
            return !now.isEmpty && Set(now).isDisjoint(with: first)
        }
        let status = try flux.run(["workflow", "status", "sleeper", id, "--format", "json"])
        #expect(status.status == 5 && (try? JSONValue(parsing: status.stdout))?["state"] == "RUNNING", "\(status.stdout)")
        let cancelled = try flux.run(["workflow", "cancel", "sleeper", id, "--format", "json"])
        #expect(cancelled.status == 0, "\(cancelled.stdout) \(cancelled.stderr)")
        try await Self.until("the background program is gone") { Self.processes(with: seconds).isEmpty }
    }
}
