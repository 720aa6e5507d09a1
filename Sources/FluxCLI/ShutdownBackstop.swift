import Foundation

/// The last word on shutdown: once SIGTERM or SIGINT arrives, the process ends within ``limit``, whatever its
/// tasks are doing.
///
/// A long-running command's graceful shutdown runs on Swift concurrency (the service group, its timers, the
/// services' own code). If that cannot progress (every thread of the cooperative pool blocked by a task body that
/// ignores cancellation, or a lock that is never released), the service group's own time limit cannot fire
/// either. The backstop therefore lives outside Swift concurrency: a dispatch signal source notices the signal and
/// starts a plain thread that, ``limit`` later, writes one line to standard error naming the services still
/// running and ends the process with `_exit` (no atexit handlers, which could wait too) and status
/// ``exitStatus``. A second signal ends the process at once, with the conventional status 128 + signal.
///
/// ```swift
/// let parts = RunningParts()
/// ShutdownBackstop(limit: .seconds(11), parts: parts).arm()
/// try await ServiceGroup(configuration: …).run()   // its services note themselves in `parts`
/// ```
final class ShutdownBackstop: @unchecked Sendable {
    /// The status of a process the backstop ended (EX_SOFTWARE): not 0, and not a signal's status.
    static let exitStatus: Int32 = 70
    /// The beginning of the line the backstop writes before it ends the process.
    static let message = "flux: graceful shutdown did not finish"

    let limit: Duration
    private let parts: RunningParts
    private let queue = DispatchQueue(label: "flux.shutdown-backstop")
    // Touched only on `queue`.
    private var sources: [any DispatchSourceSignal] = []
    private var received: Int32?

    init(limit: Duration, parts: RunningParts) {
        self.limit = limit
        self.parts = parts
    }

    /// Starts watching for SIGTERM and SIGINT. The signals' default action (ending the process at once) is
    /// replaced by the services' graceful shutdown, as the service group does too.
    func arm() {
        queue.sync {
            for signalNumber in [SIGTERM, SIGINT] {
                signal(signalNumber, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: queue)
                source.setEventHandler { [self] in self.receive(signalNumber) }
                source.resume()
                sources.append(source)
            }
        }
    }

    /// On `queue`.
    private func receive(_ signalNumber: Int32) {
        guard let first = received else {
            received = signalNumber
            Self.write("flux: \(Self.name(of: signalNumber)): shutting down (a second SIGTERM or SIGINT ends the process at once)\n")
            let limit = limit
            let parts = parts
            let thread = Thread {
                let nanoseconds = limit.components.seconds * 1_000_000_000 + limit.components.attoseconds / 1_000_000_000
                var request = timespec(tv_sec: Int(nanoseconds / 1_000_000_000), tv_nsec: Int(nanoseconds % 1_000_000_000))
                var left = timespec()
                while nanosleep(&request, &left) != 0, errno == EINTR { request = left }
                let running = parts.describe() ?? "(the list of services is locked)"
                Self.write("\(Self.message) within \(Self.text(limit)) of \(Self.name(of: signalNumber)); still running: \(running); exiting with status \(Self.exitStatus)\n")
                _exit(Self.exitStatus)
            }
            thread.name = "flux-shutdown-backstop"
            thread.start()
            return
        }
        Self.write("flux: \(Self.name(of: signalNumber)) after \(Self.name(of: first)): exiting at once\n")
        _exit(128 + signalNumber)
    }

    /// Writes to standard error with one system call and no lock, so that a lock held elsewhere cannot stop it.
    static func write(_ text: String) {
        var bytes = Array(text.utf8)
        _ = bytes.withUnsafeMutableBytes { Foundation.write(STDERR_FILENO, $0.baseAddress, $0.count) }
    }

    static func name(of signalNumber: Int32) -> String {
        switch signalNumber {
        case SIGTERM: return "SIGTERM"
        case SIGINT: return "SIGINT"
        default: return "signal \(signalNumber)"
        }
    }

    private static func text(_ duration: Duration) -> String {
        let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        return seconds == seconds.rounded() ? "\(Int(seconds)) s" : "\(seconds) s"
    }
}

/// The names of a process's services that are running now, readable from any thread without waiting: the
/// shutdown backstop reads it from a thread of its own while the rest of the process may be stuck.
final class RunningParts: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t> = .allocate(capacity: 1)
    private var names: [String] = []

    init() { pthread_mutex_init(mutex, nil) }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    func started(_ name: String) {
        pthread_mutex_lock(mutex)
        names.append(name)
        pthread_mutex_unlock(mutex)
    }

    func ended(_ name: String) {
        pthread_mutex_lock(mutex)
        if let index = names.firstIndex(of: name) { names.remove(at: index) }
        pthread_mutex_unlock(mutex)
    }

    /// The running services, comma-separated ("none" when none is); nil when the list is locked right now.
    func describe() -> String? {
        guard pthread_mutex_trylock(mutex) == 0 else { return nil }
        defer { pthread_mutex_unlock(mutex) }
        return names.isEmpty ? "none" : names.joined(separator: ", ")
    }
}
