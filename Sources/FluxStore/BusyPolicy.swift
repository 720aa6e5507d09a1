import Foundation

/// What the writer connection does when another connection (usually another process) holds the
/// database's write lock: wait and retry up to the busy timeout, like `sqlite3_busy_timeout`, or,
/// inside ``withoutWaiting(_:)``, give up at once so the caller can take the queued path instead.
///
/// Only the writer connection uses it, and that connection runs one thing at a time, so the
/// fail-fast flag never leaks into another connection's wait.
final class BusyPolicy: Sendable {
    let timeout: TimeInterval
    private let failFast = Locked(false)

    init(timeout: TimeInterval) {
        self.timeout = max(0, timeout)
    }

    /// Runs `body` with waiting disabled: a lock held elsewhere fails with SQLITE_BUSY immediately.
    func withoutWaiting<T>(_ body: () throws -> T) rethrows -> T {
        failFast.withLock { $0 = true }
        defer { failFast.withLock { $0 = false } }
        return try body()
    }

    /// SQLite's busy callback: true to retry after sleeping, false to give up with SQLITE_BUSY.
    ///
    /// Follows SQLite's own schedule (1, 2, 5, 10, 15, 20, 25, 25, 25, 50, 50, then 100 ms) until the
    /// time slept reaches the timeout.
    func shouldRetry(afterTries tries: Int) -> Bool {
        if failFast.withLock({ $0 }) { return false }
        let delays = [1, 2, 5, 10, 15, 20, 25, 25, 25, 50, 50, 100]
        let slept: Int
        var delay: Int
        if tries < delays.count {
            slept = delays[..<tries].reduce(0, +)
            delay = delays[tries]
        } else {
            slept = 328 + 100 * (tries - delays.count)
            delay = 100
        }
        let timeoutMilliseconds = Int(timeout * 1000)
        if slept + delay > timeoutMilliseconds {
            delay = timeoutMilliseconds - slept
            if delay <= 0 { return false }
        }
        Thread.sleep(forTimeInterval: Double(delay) / 1000)
        return true
    }
}
