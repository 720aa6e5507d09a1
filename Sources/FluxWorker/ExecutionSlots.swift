/// The executions a worker holds: at most `capacity`, never the same one twice at the same time. A slot is taken
/// before the claim is sent, so offers beyond the capacity are declined (the server offers them elsewhere).
actor ExecutionSlots {
    let capacity: Int
    private var held: Set<String> = []
    private(set) var closed = false

    init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    /// Takes a slot for `executionID`; false when full, closed, or already running it.
    func reserve(_ executionID: String) -> Bool {
        guard !closed, held.count < capacity, !held.contains(executionID) else { return false }
        held.insert(executionID)
        return true
    }

    func release(_ executionID: String) {
        held.remove(executionID)
    }

    /// Takes no more work (graceful shutdown).
    func close() { closed = true }

    var ids: [String] { held.sorted() }
    var count: Int { held.count }
}
