import FluxCore
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The `exec:` step: a program with arguments, no shell, only as `security.exec_allowlist` grants it (``ExecGrant``),
/// with an environment that cannot steer the loader or the program's own configuration (``refusedVariable(_:)``).
struct ExecStep: Sendable {
    let allowlist: [String]
    /// The workflow whose step runs: an entry may be for one workflow only.
    let workflow: String

    /// Most bytes of stdout and of stderr kept in the output (the rest is read and dropped).
    static let maxCapturedBytes = 1 << 20
    /// Variables passed on from the engine's own environment (the rest may hold keys and tokens).
    static let inheritedVariables = ["PATH", "HOME", "LANG", "TMPDIR"]

    /// Variables a step may not set: they make the dynamic loader load a library, a shell or interpreter run a file
    /// or an option, or a program (git above all) take configuration or commands from the environment.
    static let refusedPrefixes = ["LD_", "DYLD_", "GIT_", "PYTHON", "PERL5", "RUBY", "NODE_", "BASH_FUNC_", "MALLOC_"]
    static let refusedNames: Set<String> = [
        "PATH", "BASH_ENV", "ENV", "SHELLOPTS", "BASHOPTS", "PS4", "IFS", "CDPATH", "PERLLIB", "JAVA_TOOL_OPTIONS",
        "_JAVA_OPTIONS", "JDK_JAVA_OPTIONS", "GCONV_PATH", "GLIBC_TUNABLES", "HOSTALIASES", "LOCALDOMAIN", "RES_OPTIONS",
        "NLSPATH", "LOCPATH", "SSLKEYLOGFILE", "EDITOR", "VISUAL", "PAGER", "HOME", "XDG_CONFIG_HOME",
    ]

    /// Why a step may not set the variable `name`, or nil.
    static func refusedVariable(_ name: String) -> String? {
        let upper = name.uppercased()
        guard refusedNames.contains(upper) || refusedPrefixes.contains(where: { upper.hasPrefix($0) }) else { return nil }
        return "exec env may not set \(name): it changes what the program loads or runs (docs/security.md)"
    }

    /// The executable to run for `command` with `arguments`, or the step's error saying why it may not run.
    func authorize(_ command: String, arguments: [String], step: String) throws -> String {
        let grants = allowlist.compactMap(ExecGrant.init)
        guard !grants.isEmpty else {
            throw StepError(step: step, message: "exec is disabled: list the programs workflows may run in security.exec_allowlist "
                + "(flux.toml: [flux.security] exec_allowlist = [\"\(command)\"], or FLUX_SECURITY__EXEC_ALLOWLIST='[\"\(command)\"]')")
        }
        let resolved = Self.resolve(command)
        let named = grants.filter { $0.names(workflow: workflow, program: command, resolved: resolved) }
        guard !named.isEmpty else {
            throw StepError(step: step, message: "exec of \(command) is refused: security.exec_allowlist does not grant it to workflow \(workflow) "
                + "(\(allowlist.joined(separator: ", ")))")
        }
        guard named.contains(where: { $0.allows(arguments: arguments) }) else {
            let shown = arguments.prefix(4).map { "\"\($0)\"" }.joined(separator: " ")
            throw StepError(step: step, message: "exec of \(command) \(shown)\(arguments.count > 4 ? " …" : "") is refused: "
                + "security.exec_allowlist grants \(command) only with the arguments its entries begin with "
                + "(\(named.map { $0.argumentPrefix.map { $0 ?? "*" }.joined(separator: " ") }.joined(separator: "; ")))")
        }
        guard let resolved else {
            throw StepError(step: step, message: "exec: \(command) was not found\(command.contains("/") ? "" : " on PATH") or is not executable")
        }
        return resolved
    }

    func perform(_ command: String, arguments: JSONValue, environment: JSONValue?, step: String) async throws -> JSONValue {
        guard let list = arguments.isNull ? [] : arguments.arrayValue else {
            throw StepError(step: step, message: "exec args must be a list of strings, found \(arguments.typeName)")
        }
        let argumentTexts = list.map { ExpressionEvaluator.text($0) }
        let executable = try authorize(command, arguments: argumentTexts, step: step)
        var variables: [String: String] = [:]
        let own = ProcessInfo.processInfo.environment
        for name in Self.inheritedVariables { variables[name] = own[name] }
        if variables["PATH"] == nil { variables["PATH"] = "/usr/local/bin:/usr/bin:/bin" }
        if let environment, !environment.isNull {
            guard let object = environment.objectValue else {
                throw StepError(step: step, message: "exec env must be an object of names to values, found \(environment.typeName)")
            }
            for (k, v) in object {
                if let refusal = Self.refusedVariable(k) { throw StepError(step: step, message: refusal) }
                variables[k] = ExpressionEvaluator.text(v)
            }
        }
        let process = Process()
        if let guardian = Self.parentDeathGuard {
            // Linux: the program gets SIGKILL if the thread that started it ends, which is the thread below that waits
            // for it, so it cannot outlive this process (killed or crashed) as an orphan.
            process.executableURL = URL(fileURLWithPath: guardian)
            process.arguments = ["--pdeathsig", "KILL", "--", executable] + argumentTexts
        } else {
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = argumentTexts
        }
        process.environment = variables
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        let running = RunningProcess(process)
        let outcome = await withTaskCancellationHandler {
            await onThread { () -> Result<ProcessResult, any Error> in
                // Started on the thread that waits for it (see parentDeathGuard).
                do { try running.start() } catch { return .failure(error) }
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
                return .success(ProcessResult(status: Int(running.process.terminationStatus),
                                              signalled: running.process.terminationReason == .uncaughtSignal,
                                              stdout: stdout.text, stderr: stderr.text))
            }
        } onCancel: {
            running.stop()
        }
        if Task.isCancelled { throw CancellationError() }
        let result: ProcessResult
        switch outcome {
        case .success(let ended): result = ended
        case .failure(let error):
            throw StepError(step: step, message: "exec of \(command) failed to start: \(error.localizedDescription)")
        }
        let exitCode = result.signalled ? 128 + result.status : result.status
        guard exitCode == 0 else {
            let how = result.signalled ? "was killed by signal \(result.status)" : "exited with \(result.status)"
            let tail = result.stderr.suffix(500)
            throw StepError(step: step, message: "exec of \(command) \(how)\(tail.isEmpty ? "" : ": \(tail)")")
        }
        return ["exit_code": .int(exitCode), "stdout": .string(result.stdout), "stderr": .string(result.stderr)]
    }

    /// util-linux's `setpriv`, which starts a program with a parent-death signal (Linux's PR_SET_PDEATHSIG), when this
    /// system has it; Foundation's Process cannot set one itself.
    static let parentDeathGuard: String? = {
        #if os(Linux)
        for path in ["/usr/bin/setpriv", "/bin/setpriv"] where FileManager.default.isExecutableFile(atPath: path) { return path }
        #endif
        return nil
    }()

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

/// A process that cancellation stops, with what it started: SIGTERM to its process group (Foundation starts a program
/// in a group of its own, so Ctrl-C in a terminal does not reach it), then SIGKILL two seconds later. A stop that
/// comes before the start prevents the start.
private final class RunningProcess: @unchecked Sendable {
    let process: Process
    private let state = Mutex((started: false, stopped: false))
    init(_ process: Process) { self.process = process }

    func start() throws {
        try state.withLock { state in
            if state.stopped { throw CancellationError() }
            try process.run()
            state.started = true
        }
    }

    func stop() {
        let started = state.withLock { state -> Bool in
            state.stopped = true
            return state.started
        }
        guard started, process.isRunning else { return }
        let pid = process.processIdentifier
        Self.signal(pid, SIGTERM)
        DispatchQueue.global().asyncAfter(deadline: .now() + 2) { [process] in
            if process.isRunning { Self.signal(pid, SIGKILL) }
        }
    }

    /// `signal` to the process group led by `pid`, or to `pid` alone when it leads none.
    private static func signal(_ pid: Int32, _ signal: Int32) {
        if kill(-pid, signal) != 0 { kill(pid, signal) }
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
