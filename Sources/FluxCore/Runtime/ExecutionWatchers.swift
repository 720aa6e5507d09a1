import Synchronization

/// Wakes whoever waits for news of an execution when this process commits to it.
///
/// A waiter first takes a ``ChangeTicket`` and only then reads the store, so a commit that lands between
/// the read and the wait is not lost: the ticket remembers it and the wait returns at once.
///
/// ```swift
/// let ticket = watchers.ticket(for: id)     // before reading
/// let record = try await store.execution(id: id)
/// await watchers.wait(ticket, timeout: .milliseconds(100))
/// ```
final class ExecutionWatchers: Sendable {
    private enum Slot {
        case armed
        case fired
        case waiting(CheckedContinuation<Void, Never>)
    }

    private let slots = Mutex<[String: [UInt64: Slot]]>([:])
    private let counter = Atomic<UInt64>(0)

    /// Starts listening for commits to `executionID`; pass the ticket to ``wait(_:timeout:)``.
    func ticket(for executionID: String) -> ChangeTicket {
        let token = counter.add(1, ordering: .relaxed).newValue
        slots.withLock { $0[executionID, default: [:]][token] = .armed }
        return ChangeTicket(executionID: executionID, token: token)
    }

    func notify(_ executionID: String) {
        let woken = slots.withLock { all -> [CheckedContinuation<Void, Never>] in
            guard var forExecution = all[executionID] else { return [] }
            var woken: [CheckedContinuation<Void, Never>] = []
            for (token, slot) in forExecution {
                switch slot {
                case .armed: forExecution[token] = .fired
                case .fired: break
                case .waiting(let continuation):
                    woken.append(continuation)
                    forExecution[token] = nil
                }
            }
            all[executionID] = forExecution.isEmpty ? nil : forExecution
            return woken
        }
        woken.forEach { $0.resume() }
    }

    /// Returns once a commit to the ticket's execution happened after the ticket was taken, or after
    /// `timeout`, whichever comes first. A ticket serves one wait.
    func wait(_ ticket: ChangeTicket, timeout: Duration) async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let parked = slots.withLock { all -> Bool in
                    guard case .armed = all[ticket.executionID]?[ticket.token] else {
                        Self.remove(ticket, from: &all)
                        return false
                    }
                    all[ticket.executionID]?[ticket.token] = .waiting(continuation)
                    return true
                }
                guard parked else {
                    continuation.resume()
                    return
                }
                Task {
                    try? await Task.sleep(for: timeout)
                    self.cancel(ticket)
                }
            }
        } onCancel: {
            self.cancel(ticket)
        }
    }

    /// Forgets a ticket that will not be waited on (or wakes its waiter).
    func cancel(_ ticket: ChangeTicket) {
        let slot = slots.withLock { Self.remove(ticket, from: &$0) }
        if case .waiting(let continuation) = slot { continuation.resume() }
    }

    @discardableResult
    private static func remove(_ ticket: ChangeTicket, from all: inout [String: [UInt64: Slot]]) -> Slot? {
        let slot = all[ticket.executionID]?.removeValue(forKey: ticket.token)
        if all[ticket.executionID]?.isEmpty == true { all[ticket.executionID] = nil }
        return slot
    }
}

/// A place in the queue of commits to one execution, taken before reading it; see ``FluxEngine/changeTicket(executionID:)``.
public struct ChangeTicket: Sendable, Hashable {
    let executionID: String
    let token: UInt64
}
