import Foundation
import Testing

/// How long the proofs wait for what must happen. Not a claim about speed: each only bounds a wait (a server
/// listening, a program's end) so that a broken build fails instead of hanging, and is generous enough for a machine
/// busy with parallel tests and a build beside them. Figures about speed belong to the benchmarks.
enum Deadline {
    /// A server says where it listens.
    static let startUp: Duration = .seconds(300)
    /// A process exits after SIGTERM.
    static let exit: Duration = .seconds(120)
    /// One command run to its end.
    static let command: Duration = .seconds(600)
    /// A whole harness (scripts/crash-loop.py, hostile.py) run to its end.
    static let harness: Duration = .seconds(1800)
}

/// Paths of the repository, the built `flux` binary and the proof scripts.
enum ProofPaths {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static var flux: URL {
        get throws {
            for candidate in [".build/debug/flux", ".build/x86_64-unknown-linux-gnu/debug/flux", ".build/aarch64-unknown-linux-gnu/debug/flux"] {
                let url = root.appendingPathComponent(candidate)
                if FileManager.default.isExecutableFile(atPath: url.path) { return url }
            }
            throw ProofFailure("the flux executable is not built: run `swift build` first (looked under \(root.path)/.build/debug)")
        }
    }

    static func script(_ relativePath: String) -> String { root.appendingPathComponent(relativePath).path }
}

struct ProofFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// The result of a finished child process.
struct Finished: Sendable {
    let status: Int32
    let stdout: String
    let stderr: String

    /// Standard output parsed as one JSON object (the scripts print their summary so).
    func summary() throws -> [String: Any] {
        guard let object = try JSONSerialization.jsonObject(with: Data(stdout.utf8)) as? [String: Any] else {
            throw ProofFailure("the script printed no JSON summary; stdout: \(stdout.suffix(2000)) stderr: \(stderr.suffix(2000))")
        }
        return object
    }
}

/// Runs a program to its end with a time limit (the child is killed past it), reading both pipes as it goes.
///
/// The pipes are read on threads of their own and the exit is polled: a harness runs for minutes, and a blocking read
/// on one of Swift's cooperative threads (as many as the machine has cores, shared by every test of the process) would
/// hold it that long, starving the other tests' waits.
func runToEnd(_ executable: String, _ arguments: [String], environment: [String: String]? = nil, directory: URL? = nil,
              timeout: Duration) async throws -> Finished {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    if let environment { process.environment = environment }
    if let directory { process.currentDirectoryURL = directory }
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    process.standardInput = FileHandle.nullDevice
    try process.run()
    let pid = process.processIdentifier
    let watchdog = Task {
        try await Task.sleep(for: timeout)
        kill(pid, SIGKILL)
    }
    async let stdout = readToEnd(out.fileHandleForReading)
    async let stderr = readToEnd(err.fileHandleForReading)
    let (o, e) = await (stdout, stderr)
    while process.isRunning { try await Task.sleep(for: .milliseconds(10)) }
    watchdog.cancel()
    return Finished(status: process.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
}

/// Everything `handle` gives until its end, read on a thread of its own.
func readToEnd(_ handle: FileHandle) async -> Data {
    await withCheckedContinuation { continuation in
        Thread.detachNewThread { continuation.resume(returning: handle.readDataToEndOfFile()) }
    }
}

/// The environment of this process without FLUX_* settings (tests set their own).
var cleanEnvironment: [String: String] {
    ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("FLUX_") }
}

extension Dictionary where Key == String, Value == Any {
    func int(_ key: String) -> Int? { (self[key] as? NSNumber)?.intValue }
}
