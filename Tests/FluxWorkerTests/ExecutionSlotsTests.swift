@testable import FluxWorker
import Testing

/// A worker's slots: offers beyond the capacity wait for the next free slot instead of being dropped (a dropped
/// offer stayed queued on the server until it withdrew it, two heartbeats later: the last executions of a burst
/// waited 10 s).
@Suite("Execution slots")
struct ExecutionSlotsTests {
    @Test func anOfferThatFindsEverySlotTakenGetsTheNextOneThatFrees() async {
        let slots = ExecutionSlots(capacity: 2)
        #expect(await slots.reserve("a"))
        #expect(await slots.reserve("b"))
        #expect(await !slots.reserve("c"), "full")
        await slots.wait("c")
        await slots.wait("d")
        #expect(await slots.release("a") == "c", "the freed slot goes to the oldest waiting offer")
        #expect(await slots.ids == ["b", "c"])
        #expect(await slots.release("b") == "d")
        #expect(await slots.release("c") == nil)
        #expect(await slots.ids == ["d"])
    }

    @Test func theSameExecutionNeverHoldsTwoSlotsOrWaitsTwice() async {
        let slots = ExecutionSlots(capacity: 1)
        #expect(await slots.reserve("a"))
        #expect(await !slots.reserve("a"))
        await slots.wait("a")
        #expect(await slots.waitingCount == 0, "an execution held here does not wait for itself")
        await slots.wait("b")
        await slots.wait("b")
        #expect(await slots.waitingCount == 1)
    }

    @Test func atMostCapacityOffersWaitAndClosingDropsThem() async {
        let slots = ExecutionSlots(capacity: 2)
        #expect(await slots.reserve("a"))
        #expect(await slots.reserve("b"))
        for id in ["c", "d", "e"] { await slots.wait(id) }
        #expect(await slots.waitingCount == 2, "the oldest is dropped; the server offers it again later")
        #expect(await slots.release("a") == "d")
        await slots.close()
        #expect(await slots.waitingCount == 0)
        #expect(await slots.release("b") == nil, "a closed worker takes no more work")
        await slots.wait("f")
        #expect(await slots.waitingCount == 0)
    }
}
