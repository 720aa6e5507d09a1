import FluxCore
import Foundation
import Testing

extension TestPaths {
    /// `flux-example-worker`: the `flux` command line with the example Swift workflows and tasks compiled in.
    static var exampleWorker: URL {
        get throws { try built("flux-example-worker") }
    }
}

/// A real `flux start worker NAME` process (the example worker binary unless told otherwise).
final class WorkerProcess: @unchecked Sendable {
    let name: String
    let process: Process
    private let log = LogBuffer()

    var stderr: String { log.text }
    var pid: Int32 { process.processIdentifier }

    init(name: String, server: ServerProcess, token: String, concurrency: Int = 8, environment: [String: String] = [:],
         executable: URL? = nil, arguments: [String] = []) throws {
        self.name = name
        process = Process()
        process.executableURL = try executable ?? TestPaths.exampleWorker
        process.arguments = ["start", "worker", name, "--server-url", server.baseURL.absoluteString, "--concurrency", String(concurrency)] + arguments
        process.currentDirectoryURL = server.directory
        var env = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("FLUX_") }
        env["FLUX_WORKERS__BOOTSTRAP_TOKEN"] = token
        env.merge(environment) { _, new in new }
        process.environment = env
        log.capture(standardErrorOf: process)
        try process.run()
    }

    /// Waits until the worker says it is connected to its server.
    func waitUntilConnected(timeout: Duration = Deadline.startUp) async throws {
        try await waitForLog("connected to", timeout: timeout)
    }

    /// Waits until the worker's log says `text`.
    func waitForLog(_ text: String, timeout: Duration = Deadline.event) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if stderr.contains(text) { return }
            if !process.isRunning { throw TestFailure("worker \(name) exited with \(process.terminationStatus): \(stderr)") }
            try await Task.sleep(for: .milliseconds(20))
        }
        if stderr.contains(text) { return }
        throw TestFailure("worker \(name) did not log \"\(text)\" within \(timeout): \(stderr)")
    }

    func kill(_ signal: Int32 = SIGKILL) {
        Foundation.kill(process.processIdentifier, signal)
    }

    /// Sends SIGTERM and waits for the exit.
    func stop(timeout: Duration = Deadline.exit) async throws -> Int32 {
        guard process.isRunning else { return process.terminationStatus }
        process.terminate()
        let deadline = ContinuousClock.now + timeout
        while process.isRunning {
            if ContinuousClock.now > deadline {
                kill()
                throw TestFailure("worker \(name) did not exit within \(timeout) of SIGTERM: \(stderr)")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        return process.terminationStatus
    }

    deinit {
        if process.isRunning { Foundation.kill(process.processIdentifier, SIGKILL) }
    }
}

/// Runs `body` for each element with at most `width` at a time, returning the results in order.
func concurrently<T: Sendable, R: Sendable>(_ items: [T], width: Int, _ body: @escaping @Sendable (T) async throws -> R) async throws -> [R] {
    try await withThrowingTaskGroup(of: (Int, R).self) { group in
        var results = [R?](repeating: nil, count: items.count)
        var next = 0
        for _ in 0..<min(width, items.count) {
            let i = next
            group.addTask { (i, try await body(items[i])) }
            next += 1
        }
        while let (i, result) = try await group.next() {
            results[i] = result
            if next < items.count {
                let j = next
                group.addTask { (j, try await body(items[j])) }
                next += 1
            }
        }
        return results.compactMap { $0 }
    }
}
