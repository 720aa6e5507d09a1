import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// Swift concurrency's jobs, run on the process's one event loop a time slice at a time.
///
/// An event loop runs every task queued on it before it looks at its sockets again, so jobs handed straight to it
/// would let one long stream of work (a map over 100,000 items, whose every step queues the next) keep the loop from
/// answering anyone until the stream ends. Here jobs wait in a queue of their own; the loop runs them for at most
/// ``slice`` at a time, and when more are waiting it comes back to them shortly after, once it has read and written
/// its sockets. A job that computes for long without suspending still holds the loop: that is what
/// `FLUX_EVENT_LOOPS` above 1 is for (docs/configuration.md).
final class LoopJobQueue: @unchecked Sendable {
    /// The most time the loop spends on jobs before it serves its sockets.
    static let slice: UInt64 = 2_000_000  // ns
    /// How long after a full slice the loop comes back to the jobs, time it spends on its sockets.
    static let pause = TimeAmount.microseconds(20)

    /// The queue on the singleton group's loop; the process runs one.
    static let shared = LoopJobQueue(loop: MultiThreadedEventLoopGroup.singleton.next())

    private let loop: any EventLoop
    private let executor: UnownedSerialExecutor
    private let lock = NIOLock()
    /// Jobs queued from any thread, and whether a drain is queued on the loop or running (guarded by `lock`).
    private var incoming: [UnownedJob] = []
    private var drainQueued = false
    /// Jobs taken from `incoming`, run in order from `next` (the loop's thread only).
    private var taken: [UnownedJob] = []
    private var next = 0

    init(loop: any EventLoop) {
        self.loop = loop
        self.executor = loop.executor.asUnownedSerialExecutor()
    }

    func enqueue(_ job: UnownedJob) {
        let mustQueueDrain = lock.withLock {
            incoming.append(job)
            if drainQueued { return false }
            drainQueued = true
            return true
        }
        if mustQueueDrain { loop.execute { self.drain() } }
    }

    /// Runs queued jobs until none is left or the slice is used up; in that case it comes back after `pause`.
    private func drain() {
        let deadline = DispatchTime.now().uptimeNanoseconds + Self.slice
        while true {
            if next == taken.count {
                taken.removeAll(keepingCapacity: true)
                next = 0
                let more = lock.withLock {
                    if incoming.isEmpty {
                        drainQueued = false
                        return false
                    }
                    swap(&taken, &incoming)
                    return true
                }
                guard more else { return }
            }
            let job = taken[next]
            next += 1
            job.runSynchronously(on: executor)
            if DispatchTime.now().uptimeNanoseconds >= deadline {
                loop.scheduleTask(in: Self.pause) { self.drain() }
                return
            }
        }
    }
}
