import Synchronization

/// Wakes whoever waits for news of an execution when this process commits to it.
final class ExecutionWatchers: Sendable {
    private let waiters = Mutex<[String: [UInt64: CheckedContinuation<Void, Never>]]>([:])
    private let counter = Atomic<UInt64>(0)

    func notify(_ executionID: String) {
        let woken = waiters.withLock { $0.removeValue(forKey: executionID) }
        woken?.values.forEach { $0.resume() }
    }

    /// Returns after the next notification for `executionID`, or after `timeout`, whichever comes first.
    func wait(for executionID: String, timeout: Duration) async {
        let token = counter.add(1, ordering: .relaxed).newValue
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                waiters.withLock { $0[executionID, default: [:]][token] = continuation }
                Task {
                    try? await Task.sleep(for: timeout)
                    self.wake(executionID, token)
                }
            }
        } onCancel: {
            self.wake(executionID, token)
        }
    }

    private func wake(_ executionID: String, _ token: UInt64) {
        let continuation = waiters.withLock { w -> CheckedContinuation<Void, Never>? in
            let c = w[executionID]?.removeValue(forKey: token)
            if w[executionID]?.isEmpty == true { w[executionID] = nil }
            return c
        }
        continuation?.resume()
    }
}
