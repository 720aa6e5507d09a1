import Flux
import FluxService
import Foundation

/// What Ctrl-C (SIGINT) or SIGTERM does to an execution that a command runs in this process and waits for
/// (`flux run`, `flux workflow run|resume` in sync or stream mode on the local store).
///
/// The first signal cancels the execution, as `flux workflow cancel` would: the step in flight is interrupted (an
/// `exec` program and its process group are stopped), rollbacks run, the execution ends CANCELLED and the command
/// exits 4. With `--detach` the execution is handed to a background `flux execute` instead, which takes it over once
/// this process has exited (the step in flight then runs again, under its retry policy), and the command says how
/// to follow it. A second signal ends the process at once (130 for SIGINT).
///
/// ```swift
/// let guard = RunInterruption(executionID: id, workflow: "deploy", detach: false, service: service)
/// guard.arm()
/// defer { guard.disarm() }
/// let snapshot = try await service.run(workflow: "deploy", input: input, mode: .sync, executionID: id)
/// ```
final class RunInterruption: @unchecked Sendable {
    let executionID: String
    let workflow: String
    let detach: Bool
    private let service: FluxService
    private let queue = DispatchQueue(label: "flux.run-interruption")
    // Touched only on `queue`.
    private var sources: [any DispatchSourceSignal] = []
    private var received: Int32?

    init(executionID: String, workflow: String, detach: Bool, service: FluxService) {
        self.executionID = executionID
        self.workflow = workflow
        self.detach = detach
        self.service = service
    }

    /// Says on standard error which execution runs and what a signal does, and starts watching for SIGINT and SIGTERM.
    func arm() {
        ShutdownBackstop.write("flux: execution \(executionID) of \(workflow) started; Ctrl-C "
            + (detach ? "leaves it running in the background" : "cancels it (--detach leaves it running instead)") + "\n")
        queue.sync {
            for signalNumber in [SIGINT, SIGTERM] {
                signal(signalNumber, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: queue)
                source.setEventHandler { [self] in self.receive(signalNumber) }
                source.resume()
                sources.append(source)
            }
        }
    }

    /// Stops watching; the signals' default action (ending the process) comes back.
    func disarm() {
        queue.sync {
            for source in sources { source.cancel() }
            sources = []
            for signalNumber in [SIGINT, SIGTERM] { signal(signalNumber, SIG_DFL) }
        }
    }

    /// On `queue`.
    private func receive(_ signalNumber: Int32) {
        let name = ShutdownBackstop.name(of: signalNumber)
        if let first = received {
            ShutdownBackstop.write("flux: \(name) after \(ShutdownBackstop.name(of: first)): exiting at once; execution \(executionID) "
                + "is left as it is (flux recover or a server on this store takes it over)\n")
            _exit(128 + signalNumber)
        }
        received = signalNumber
        let service = service, executionID = executionID, workflow = workflow
        if detach {
            Task {
                do {
                    // In the store before another process looks for it (its first events may still be buffered).
                    try await service.engine.checkpoint(executionID: executionID)
                    try Background.continueInBackground(executionID: executionID)
                    ShutdownBackstop.write("flux: \(name): execution \(executionID) goes on in the background; follow it with "
                        + "`flux workflow status \(workflow) \(executionID)`\n")
                    exit(0)
                } catch {
                    ShutdownBackstop.write("flux: \(name): \(error); cancelling execution \(executionID) instead\n")
                    await Self.cancel(executionID, service: service)
                }
            }
            return
        }
        ShutdownBackstop.write("flux: \(name): cancelling execution \(executionID) (again to exit at once)\n")
        Task { await Self.cancel(executionID, service: service) }
    }

    private static func cancel(_ executionID: String, service: FluxService) async {
        do { _ = try await service.cancel(workflow: nil, executionID: executionID, wait: false) } catch {
            ShutdownBackstop.write("flux: cannot cancel execution \(executionID): \(error)\n")
        }
    }
}
