import FluxCore
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The `exec:` step: a program with arguments, no shell, only when the allowlist names it.
struct ExecStep: Sendable {
    let allowlist: [String]

    /// Most bytes of stdout and of stderr kept in the output (the rest is read and dropped).
    static let maxCapturedBytes = 1 << 20
    /// Variables passed on from the engine's own environment (the rest may hold keys and tokens).
    static let inheritedVariables = ["PATH", "HOME", "LANG", "TMPDIR"]

    /// Why `command` may not run, or `nil` with the executable's path.
    func authorize(_ command: String, step: String) throws -> String {
        guard !allowlist.isEmpty else {
            throw StepError(step: step, message: "exec is disabled: list the programs workflows may run in security.exec_allowlist "
                + "(flux.toml: [flux.security] exec_allowlist = [\"\(command)\"], or FLUX_SECURITY__EXEC_ALLOWLIST='[\"\(command)\"]')")
        }
        let resolved = Self.resolve(command)
        let allowed = allowlist.contains { entry in
            if entry.contains("/") {
                // A path allows exactly that file, written as the path or found on PATH.
                let wanted = URL(fileURLWithPath: entry).standardizedFileURL.path
                return resolved.map { URL(fileURLWithPath: $0).standardizedFileURL.path == wanted } ?? false
            }
            // A bare name allows the program of that name found on PATH, not a path that ends in it.
            return !command.contains("/") && entry == command
        }
        guard allowed else {
            throw StepError(step: step, message: "exec of \(command) is refused: it is not in security.exec_allowlist (\(allowlist.joined(separator: ", ")))")
        }
        guard let resolved else {
            throw StepError(step: step, message: "exec: \(command) was not found\(command.contains("/") ? "" : " on PATH") or is not executable")
        }
        return resolved
    }

    func perform(_ command: String, arguments: JSONValue, environment: JSONValue?, step: String) async throws -> JSONValue {
        let executable = try authorize(command, step: step)
        guard let list = arguments.isNull ? [] : arguments.arrayValue else {
            throw StepError(step: step, message: "exec args must be a list of strings, found \(arguments.typeName)")
        }
        var variables: [String: String] = [:]
        let own = ProcessInfo.processInfo.environment
        for name in Self.inheritedVariables { variables[name] = own[name] }
        if variables["PATH"] == nil { variables["PATH"] = "/usr/local/bin:/usr/bin:/bin" }
        if let environment, !environment.isNull {
            guard let object = environment.objectValue else {
                throw StepError(step: step, message: "exec env must be an object of names to values, found \(environment.typeName)")
            }
            for (k, v) in object { variables[k] = ExpressionEvaluator.text(v) }
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = list.map { ExpressionEvaluator.text($0) }
        process.environment = variables
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        let running = RunningProcess(process)
        do { try process.run() } catch {
            throw StepError(step: step, message: "exec of \(command) failed to start: \(error.localizedDescription)")
        }
        let result = await withTaskCancellationHandler {
            await onThread {
                // stderr on a thread of its own, stdout here: a full pipe can never block the program.
                let stdout = Captured(), stderr = Captured()
                let errDone = DispatchSemaphore(value: 0)
                Thread {
                    stderr.drain(err.fileHandleForReading, keeping: Self.maxCapturedBytes)
                    errDone.signal()
                }.start()
                stdout.drain(out.fileHandleForReading, keeping: Self.maxCapturedBytes)
                errDone.wait()
                running.process.waitUntilExit()
                return ProcessResult(status: Int(running.process.terminationStatus),
                                     signalled: running.process.terminationReason == .uncaughtSignal,
                                     stdout: stdout.text, stderr: stderr.text)
            }
        } onCancel: {
            running.stop()
        }
        if Task.isCancelled { throw CancellationError() }
        let exitCode = result.signalled ? 128 + result.status : result.status
        guard exitCode == 0 else {
            let how = result.signalled ? "was killed by signal \(result.status)" : "exited with \(result.status)"
            let tail = result.stderr.suffix(500)
            throw StepError(step: step, message: "exec of \(command) \(how)\(tail.isEmpty ? "" : ": \(tail)")")
        }
        return ["exit_code": .int(exitCode), "stdout": .string(result.stdout), "stderr": .string(result.stderr)]
    }

    /// The executable `command` names: a path as it is, a bare name looked up on PATH.
    static func resolve(_ command: String) -> String? {
        if command.contains("/") { return FileManager.default.isExecutableFile(atPath: command) ? command : nil }
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":") {
            let path = "\(dir)/\(command)"
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue,
               FileManager.default.isExecutableFile(atPath: path) {
                return path
            }
        }
        return nil
    }
}

/// Runs blocking work on a thread of its own, off Swift's cooperative pool (on Linux, blocking dispatch's global
/// queues stalls every task of the process).
func onThread<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        Thread { continuation.resume(returning: body()) }.start()
    }
}

private struct ProcessResult: Sendable {
    var status: Int
    var signalled: Bool
    var stdout: String
    var stderr: String
}

/// A started process that cancellation stops: SIGTERM, then SIGKILL two seconds later.
private final class RunningProcess: @unchecked Sendable {
    let process: Process
    init(_ process: Process) { self.process = process }

    func stop() {
        guard process.isRunning else { return }
        let pid = process.processIdentifier
        process.terminate()
        DispatchQueue.global().asyncAfter(deadline: .now() + 2) { [process] in
            if process.isRunning { kill(pid, SIGKILL) }
        }
    }
}

/// Reads a pipe to its end, keeping the first bytes.
private final class Captured: Sendable {
    private let data = Mutex(Data())

    func drain(_ handle: FileHandle, keeping limit: Int) {
        while true {
            let chunk = handle.availableData
            if chunk.isEmpty { break }
            data.withLock { d in
                if d.count < limit { d.append(chunk.prefix(limit - d.count)) }
            }
        }
    }

    var text: String { data.withLock { String(decoding: $0, as: UTF8.self) } }
}
