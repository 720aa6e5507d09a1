import CFluxConcurrency
import FluxConfig
import Foundation
import NIOCore
import NIOPosix

extension FluxCommandLine {
    /// Lays out the process's threads as `FLUX_EVENT_LOOPS` says (``EventLoopSetting``): by default one SwiftNIO
    /// event loop that also runs Swift concurrency, so that a request read on the loop runs its handler, the engine
    /// and the write of its response on that one thread, with no hand-offs. Call it first thing in `main`, on the
    /// main thread, before anything else runs; it exits with status 2 on a value it cannot use.
    ///
    /// ```swift
    /// FluxCommandLine.prepareThreads()
    /// exit(await FluxCommandLine.main())
    /// ```
    public static func prepareThreads(arguments: [String] = Array(CommandLine.arguments.dropFirst())) {
        let worker = (try? FluxCommand.parseAsRoot(arguments)) is StartWorkerCommand
        let setting: EventLoopSetting
        do {
            setting = try EventLoopSetting(environment: ProcessInfo.processInfo.environment, runsTaskBodies: worker)
        } catch {
            Output.error(error.description)
            exit(ExitStatus.usage)
        }
        if let loops = setting.eventLoops { NIOSingletons.groupLoopCountSuggestion = loops }
        if setting.concurrencyOnEventLoop { installEventLoopAsGlobalExecutor() }
    }

    /// Points the concurrency runtime's global-enqueue hook at the one event loop's ``LoopJobQueue``. SwiftNIO offers the
    /// same (`NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor`) but finds the
    /// hook with `dlsym`, which a binary linked with the static Swift runtime and without exported symbols cannot
    /// answer; here the hook is reached by linking (Sources/CFluxConcurrency).
    private static func installEventLoopAsGlobalExecutor() {
        typealias Original = @convention(thin) (UnownedJob) -> Void
        typealias Hook = @convention(thin) (UnownedJob, Original) -> Void
        guard let slot = flux_concurrency_enqueue_global_hook(), slot.pointee == nil else { return }
        withUnsafeTemporaryAllocation(of: Hook.self, capacity: 1) { hook in
            guard let base = hook.baseAddress else { return }
            base.initialize(to: { job, _ in LoopJobQueue.shared.enqueue(job) })
            base.withMemoryRebound(to: UnsafeMutableRawPointer?.self, capacity: 1) { function in
                slot.pointee = function.pointee
            }
        }
    }
}
