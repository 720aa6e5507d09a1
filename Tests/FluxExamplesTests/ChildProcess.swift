import Flux
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Sends `signal` to `pid` (a free function: `ChildProcess.kill` would shadow the system call).
private func send(_ signal: Int32, to pid: Int32) {
    _ = kill(pid, signal)
}

/// Where the `flux-examples` executable is: next to this test binary (both are products of the
/// same build, e.g. `swift build --manifest-cache local --build-tests`), or built on demand.
///
/// A running `swift test` holds the lock of `.build`, so a `swift build` there would wait for it
/// forever: the on-demand build uses a scratch directory of its own, `.build-examples-runner`
/// (slow the first time, incremental afterwards, so never stale).
actor RunnerBinary {
    static let shared = RunnerBinary()

    /// The package's root directory, three levels above this file.
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static let scratchPath = packageRoot.appendingPathComponent(".build-examples-runner")

    private var found: URL?

    func url() async throws -> URL {
        if let found { return found }
        if let existing = Self.locate() {
            found = existing
            return existing
        }
        let build = try ChildProcess(
            executable: URL(fileURLWithPath: "/usr/bin/env"),
            arguments: ["swift", "build", "--manifest-cache", "local", "--scratch-path", Self.scratchPath.path,
                        "--product", "flux-examples"],
            directory: Self.packageRoot)
        let status = try await build.waitForExit(timeout: .seconds(1800))
        let built = Self.scratchPath.appendingPathComponent("debug/flux-examples")
        guard status == 0, FileManager.default.isExecutableFile(atPath: built.path) else {
            throw ChildProcessError(
                "flux-examples is not built next to the tests, and building it failed (status \(status)); "
                    + "run `swift build --manifest-cache local --build-tests` first. \(build.standardError.suffix(2000))")
        }
        found = built
        return built
    }

    /// Looks in the directory of the test binary and its parents (the products directory is the
    /// parent of the `.xctest` bundle), then in `.build/debug` of the package.
    static func locate() -> URL? {
        var directories: [URL] = []
        var executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        if !FileManager.default.fileExists(atPath: executable.path), let first = CommandLine.arguments.first {
            executable = URL(fileURLWithPath: first).resolvingSymlinksInPath()
        }
        var directory = executable.deletingLastPathComponent()
        for _ in 0..<4 {
            directories.append(directory)
            directory = directory.deletingLastPathComponent()
        }
        directories.append(Bundle.main.bundleURL.deletingLastPathComponent())
        directories.append(packageRoot.appendingPathComponent(".build/debug"))
        return directories
            .map { $0.appendingPathComponent("flux-examples") }
            .first { FileManager.default.isExecutableFile(atPath: $0.path) }
    }
}

struct ChildProcessError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A child process whose stdout and stderr are collected as they come (by threads of their own,
/// so that a blocked read never holds a Swift concurrency thread).
final class ChildProcess: @unchecked Sendable {
    let process = Process()
    private let lock = NSLock()
    private var output = Data()
    private var errors = Data()
    private var openStreams = 2

    init(executable: URL, arguments: [String], directory: URL? = nil) throws {
        process.executableURL = executable
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = directory }
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        process.standardInput = FileHandle.nullDevice
        try process.run()
        collect(stdout.fileHandleForReading) { $0.output.append($1) }
        collect(stderr.fileHandleForReading) { $0.errors.append($1) }
    }

    private func collect(_ handle: FileHandle, into append: @escaping @Sendable (ChildProcess, Data) -> Void) {
        Thread.detachNewThread { [self] in
            while true {
                let data = handle.availableData
                lock.lock()
                if data.isEmpty {
                    openStreams -= 1
                    lock.unlock()
                    return
                }
                append(self, data)
                lock.unlock()
            }
        }
    }

    var standardOutput: String {
        lock.lock()
        defer { lock.unlock() }
        return String(decoding: output, as: UTF8.self)
    }

    var standardError: String {
        lock.lock()
        defer { lock.unlock() }
        return String(decoding: errors, as: UTF8.self)
    }

    /// The complete lines written to stdout so far.
    var lines: [String] {
        let text = standardOutput
        var lines = text.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
        if !text.hasSuffix("\n"), !lines.isEmpty { lines.removeLast() }
        return lines
    }

    private var streamsClosed: Bool {
        lock.lock()
        defer { lock.unlock() }
        return openStreams == 0
    }

    var pid: Int32 { process.processIdentifier }

    func kill(_ signal: Int32 = SIGKILL) {
        send(signal, to: process.processIdentifier)
    }

    /// Waits until the process has exited (and was reaped) and its output is read; returns its status.
    @discardableResult
    func waitForExit(timeout: Duration = Deadline.run) async throws -> Int32 {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning || !streamsClosed {
            guard ContinuousClock.now < deadline else {
                kill()
                throw ChildProcessError("\(process.executableURL?.lastPathComponent ?? "child") \(process.arguments ?? []) did not finish within \(timeout); "
                    + "stdout: \(standardOutput.suffix(2000)) stderr: \(standardError.suffix(2000))")
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        return process.terminationStatus
    }
}

/// One run of `flux-examples` to its end.
struct RunnerResult {
    let status: Int32
    let lines: [String]
    let standardError: String

    /// The JSON lines of stdout.
    var json: [JSONValue] { lines.compactMap { try? JSONValue(parsing: $0) } }
    /// The last JSON line (the final snapshot of `run`, `start`, `resume`, `status`).
    var last: JSONValue? { json.last }
}

/// Runs `flux-examples` with `arguments` until it exits.
func runFluxExamples(_ arguments: [String], timeout: Duration = Deadline.run) async throws -> RunnerResult {
    let child = try ChildProcess(executable: try await RunnerBinary.shared.url(), arguments: arguments)
    let status = try await child.waitForExit(timeout: timeout)
    return RunnerResult(status: status, lines: child.lines, standardError: child.standardError)
}

/// Starts `flux-examples` with `arguments` and returns at once.
func spawnFluxExamples(_ arguments: [String]) async throws -> ChildProcess {
    try ChildProcess(executable: try await RunnerBinary.shared.url(), arguments: arguments)
}
