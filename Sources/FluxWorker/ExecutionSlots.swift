/// The executions a worker holds: at most `capacity`, never the same one twice at the same time. A slot is taken
/// before the claim is sent. An offer that arrives while every slot is taken waits (up to `capacity` of them) and
/// gets the next slot that frees: the server offers as soon as it sees a slot free, which can be just before this
/// worker has let go of it, and an offer dropped then would wait for the server to withdraw it (two heartbeats).
///
/// ```swift
/// if await slots.reserve(id) { run(id) } else { await slots.wait(id) }
/// if let next = await slots.release(id) { run(next) }     // the slot passes to a waiting offer
/// ```
actor ExecutionSlots {
    let capacity: Int
    private var held: Set<String> = []
    private var waiting: [String] = []
    private(set) var closed = false

    init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    /// Takes a slot for `executionID`; false when full, closed, or already running it.
    func reserve(_ executionID: String) -> Bool {
        guard !closed, held.count < capacity, !held.contains(executionID) else { return false }
        waiting.removeAll { $0 == executionID }
        held.insert(executionID)
        return true
    }

    /// Keeps an offer that found every slot taken, for the next slot that frees (at most `capacity` wait; the
    /// oldest is dropped first, and the server offers it again later).
    func wait(_ executionID: String) {
        guard !closed, !held.contains(executionID), !waiting.contains(executionID) else { return }
        waiting.append(executionID)
        if waiting.count > capacity { waiting.removeFirst(waiting.count - capacity) }
    }

    /// Frees the slot of `executionID`; when an offer waits, the slot is reserved for it and its id returned.
    func release(_ executionID: String) -> String? {
        held.remove(executionID)
        while !closed, !waiting.isEmpty {
            let next = waiting.removeFirst()
            if reserve(next) { return next }
        }
        return nil
    }

    /// Takes no more work (graceful shutdown); waiting offers are dropped.
    func close() {
        closed = true
        waiting.removeAll()
    }

    var ids: [String] { held.sorted() }
    var count: Int { held.count }
    var waitingCount: Int { waiting.count }
}
