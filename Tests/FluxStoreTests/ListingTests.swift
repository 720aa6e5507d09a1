import FluxCore
import FluxStore
import Foundation
import Testing

@Suite("Listing executions")
struct ListingTests {
    /// 25 executions: "a" and "b" alternate, every third one COMPLETED, two share each creation instant.
    func populate(_ store: SQLiteStore) async throws -> [ExecutionRecord] {
        let base = Date(timeIntervalSince1970: 1_700_000_000.123)
        var records: [ExecutionRecord] = []
        for i in 0..<25 {
            let record = makeRecord(workflow: i % 2 == 0 ? "a" : "b", state: i % 3 == 0 ? .completed : .running,
                                    createdAt: base + Double(i / 2))
            records.append(record)
            try await store.createExecution(record, events: [])
        }
        // Newest first by (created_at, id).
        return records.sorted { ($0.createdAt, $0.id) > ($1.createdAt, $1.id) }
    }

    func all(_ store: SQLiteStore, _ query: ExecutionQuery) async throws -> (ids: [String], pages: Int) {
        var query = query
        var ids: [String] = []
        var pages = 0
        while true {
            let page = try await store.listExecutions(query)
            pages += 1
            ids += page.executions.map(\.id)
            guard let next = page.nextCursor else { return (ids, pages) }
            #expect(page.executions.count == query.limit)
            query.cursor = next
        }
    }

    @Test func pagesThroughEverythingNewestFirst() async throws {
        let store = try SQLiteStore.temporary()
        let expected = try await populate(store)
        let (ids, pages) = try await all(store, ExecutionQuery(limit: 10))
        #expect(pages == 3)
        #expect(ids == expected.map(\.id))

        let first = try await store.listExecutions(ExecutionQuery(limit: 10))
        #expect(first.executions.count == 10)
        #expect(sameRecord(first.executions.first, expected.first))
    }

    @Test func filtersByWorkflowAndState() async throws {
        let store = try SQLiteStore.temporary()
        let expected = try await populate(store)
        let a = try await all(store, ExecutionQuery(workflowName: "a", limit: 5))
        #expect(a.ids == expected.filter { $0.workflowName == "a" }.map(\.id))
        #expect(a.pages == 3)
        let running = try await all(store, ExecutionQuery(state: .running, limit: 7))
        #expect(running.ids == expected.filter { $0.state == .running }.map(\.id))
        let both = try await all(store, ExecutionQuery(workflowName: "b", state: .completed, limit: 2))
        #expect(both.ids == expected.filter { $0.workflowName == "b" && $0.state == .completed }.map(\.id))
        #expect(try await store.listExecutions(ExecutionQuery(workflowName: "none")) == ExecutionPage(executions: [], nextCursor: nil))
    }

    @Test func limitIsClamped() async throws {
        let store = try SQLiteStore.temporary()
        _ = try await populate(store)
        #expect(try await store.listExecutions(ExecutionQuery(limit: 0)).executions.count == 1)
        #expect(try await store.listExecutions(ExecutionQuery(limit: -5)).executions.count == 1)
        let big = try await store.listExecutions(ExecutionQuery(limit: 1_000_000))
        #expect(big.executions.count == 25 && big.nextCursor == nil)
    }

    @Test(arguments: ["garbage", "", "MTpub3RoZXg6YWJj", "Mjo0MDAwOmFiYw", "%%%"])
    func invalidCursorIsAClearError(_ cursor: String) async throws {
        let store = try SQLiteStore.temporary()
        _ = try await populate(store)
        await #expect(throws: InvalidCursorError.self) {
            try await store.listExecutions(ExecutionQuery(cursor: cursor))
        }
        do {
            _ = try await store.listExecutions(ExecutionQuery(cursor: cursor))
        } catch {
            #expect("\(error)".contains("nextCursor"))
        }
    }
}
