import FluxCore
import FluxStore
import Foundation
import Testing

/// Paging and filters of listExecutions, on SQLite and on PostgreSQL: the same pages and the same cursors.
@Suite("Listing executions")
struct ListingTests {
    @Test(arguments: Self.checks)
    func sqlite(_ check: ContractCheck) async throws { try await check.run(on: .sqlite) }

    @Test(.postgresConfigured, arguments: Self.checks)
    func postgres(_ check: ContractCheck) async throws { try await check.run(on: .postgres) }

    /// 25 executions: "a" and "b" alternate, every third one COMPLETED, two share each creation instant.
    static func populate(_ store: any ContractStore) async throws -> [ExecutionRecord] {
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

    static func all(_ store: any ContractStore, _ query: ExecutionQuery) async throws -> (ids: [String], pages: Int) {
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

    static let checks: [ContractCheck] = [
        ContractCheck("pages through everything newest first") { lab in
            let store = try await lab.open()
            let expected = try await ListingTests.populate(store)
            let (ids, pages) = try await ListingTests.all(store, ExecutionQuery(limit: 10))
            #expect(pages == 3)
            #expect(ids == expected.map(\.id))

            let first = try await store.listExecutions(ExecutionQuery(limit: 10))
            #expect(first.executions.count == 10)
            #expect(sameRecord(first.executions.first, expected.first))
        },
        ContractCheck("filters by workflow and state") { lab in
            let store = try await lab.open()
            let expected = try await ListingTests.populate(store)
            let a = try await ListingTests.all(store, ExecutionQuery(workflowName: "a", limit: 5))
            #expect(a.ids == expected.filter { $0.workflowName == "a" }.map(\.id))
            #expect(a.pages == 3)
            let running = try await ListingTests.all(store, ExecutionQuery(state: .running, limit: 7))
            #expect(running.ids == expected.filter { $0.state == .running }.map(\.id))
            let both = try await ListingTests.all(store, ExecutionQuery(workflowName: "b", state: .completed, limit: 2))
            #expect(both.ids == expected.filter { $0.workflowName == "b" && $0.state == .completed }.map(\.id))
            #expect(try await store.listExecutions(ExecutionQuery(workflowName: "none")) == ExecutionPage(executions: [], nextCursor: nil))
        },
        ContractCheck("limit is clamped") { lab in
            let store = try await lab.open()
            _ = try await ListingTests.populate(store)
            #expect(try await store.listExecutions(ExecutionQuery(limit: 0)).executions.count == 1)
            #expect(try await store.listExecutions(ExecutionQuery(limit: -5)).executions.count == 1)
            let big = try await store.listExecutions(ExecutionQuery(limit: 1_000_000))
            #expect(big.executions.count == 25 && big.nextCursor == nil)
        },
        ContractCheck("an invalid cursor is a clear error") { lab in
            let store = try await lab.open()
            _ = try await ListingTests.populate(store)
            for cursor in ["garbage", "", "MTpub3RoZXg6YWJj", "Mjo0MDAwOmFiYw", "%%%"] {
                await #expect(throws: InvalidCursorError.self, "cursor \(cursor)") {
                    try await store.listExecutions(ExecutionQuery(cursor: cursor))
                }
                do {
                    _ = try await store.listExecutions(ExecutionQuery(cursor: cursor))
                } catch {
                    #expect("\(error)".contains("nextCursor"))
                }
            }
        },
    ]
}
