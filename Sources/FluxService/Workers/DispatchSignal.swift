import Synchronization

/// Wakes the dispatcher when there may be new work (a run, a resume, a cancel, a worker with free slots).
/// Signals that arrive while nobody waits are kept as one, so none is lost and bursts coalesce.
final class DispatchSignal: Sendable {
    private struct State {
        var pending = false
        var waiter: CheckedContinuation<Void, Never>?
        var generation: UInt64 = 0
    }

    private let state = Mutex(State())

    func fire() {
        let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
            if let w = s.waiter {
                s.waiter = nil
                return w
            }
            s.pending = true
            return nil
        }
        waiter?.resume()
    }

    /// Returns at the next signal (at once if one is pending), after `timeout`, or when the task is cancelled
    /// (so that a long tick does not hold up shutdown).
    func wait(timeout: Duration) async {
        await withTaskCancellationHandler {
            await waitForSignal(timeout: timeout)
        } onCancel: {
            fire()
        }
    }

    private func waitForSignal(timeout: Duration) async {
        let generation = state.withLock { s -> UInt64? in
            if s.pending {
                s.pending = false
                return nil
            }
            s.generation += 1
            return s.generation
        }
        guard let generation else { return }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let resumeNow = state.withLock { s -> Bool in
                if s.pending {
                    s.pending = false
                    return true
                }
                s.waiter = continuation
                return false
            }
            if resumeNow {
                continuation.resume()
                return
            }
            Task {
                try? await Task.sleep(for: timeout)
                let expired = self.state.withLock { s -> CheckedContinuation<Void, Never>? in
                    guard s.generation == generation, let w = s.waiter else { return nil }
                    s.waiter = nil
                    return w
                }
                expired?.resume()
            }
        }
    }
}
