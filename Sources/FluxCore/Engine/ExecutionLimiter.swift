/// Bounds how many background executions run at once in one engine; the others wait their turn in
/// the order they were started. Children of `call`s hold places too (``occupying(_:)``) but never wait for one.
actor ExecutionLimiter {
    /// Free places; negative while children hold more places than the limit.
    private var available: Int
    private var waiters: [CheckedContinuation<Void, Never>] = []

    init(limit: Int) {
        available = max(1, limit)
    }

    func acquire() async {
        if available > 0 {
            available -= 1
            return
        }
        await withCheckedContinuation { waiters.append($0) }
    }

    func release() {
        available += 1
        // A place freed while children held more than the limit goes to nobody until the count is back under it.
        if available > 0, !waiters.isEmpty {
            available -= 1
            waiters.removeFirst().resume()
        }
    }

    /// Runs `body` once a slot is free.
    func withSlot<T: Sendable>(_ body: @Sendable () async throws -> T) async rethrows -> T {
        await acquire()
        do {
            let value = try await body()
            release()
            return value
        } catch {
            release()
            throw error
        }
    }

    /// Runs `body` (a child of `call`) holding a place without waiting for one, past the limit if need be.
    nonisolated func occupying<T: Sendable>(_ body: @Sendable () async throws -> T) async rethrows -> T {
        await take()
        do {
            let value = try await body()
            await release()
            return value
        } catch {
            await release()
            throw error
        }
    }

    private func take() {
        available -= 1
    }
}
