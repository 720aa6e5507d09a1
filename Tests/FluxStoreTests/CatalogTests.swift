import FluxCore
import FluxStore
import Foundation
import Testing

/// The workflow catalog, on SQLite and on PostgreSQL.
@Suite("Workflow catalog")
struct CatalogTests {
    @Test(arguments: Self.checks)
    func sqlite(_ check: ContractCheck) async throws { try await check.run(on: .sqlite) }

    @Test(.postgresConfigured, arguments: Self.checks)
    func postgres(_ check: ContractCheck) async throws { try await check.run(on: .postgres) }

    static func draft(_ name: String, _ hash: String, source: String = "tasks: []") -> WorkflowDraft {
        WorkflowDraft(name: name, kind: .document, source: source, description: "says hello",
                      inputSchema: ["type": "object"], contentHash: hash)
    }

    static let checks: [ContractCheck] = [
        ContractCheck("versions follow content hashes") { lab in
            let store = try await lab.open()
            let v1 = try await store.saveWorkflow(CatalogTests.draft("hello", "h1"))
            #expect(v1.version == 1 && v1.kind == .document && v1.inputSchema == ["type": "object"])
            let same = try await store.saveWorkflow(CatalogTests.draft("hello", "h1", source: "ignored: same hash"))
            #expect(same == v1)
            let v2 = try await store.saveWorkflow(CatalogTests.draft("hello", "h2", source: "tasks: [x]"))
            #expect(v2.version == 2 && v2.source == "tasks: [x]")
            // Going back to earlier content is a new version: only the latest is compared.
            let v3 = try await store.saveWorkflow(CatalogTests.draft("hello", "h1"))
            #expect(v3.version == 3)
            let swift = try await store.saveWorkflow(WorkflowDraft(name: "compiled", kind: .swift, source: "", contentHash: "c"))
            #expect(swift.version == 1 && swift.inputSchema == nil)

            #expect(try await store.workflowVersions(name: "hello").map(\.version) == [1, 2, 3])
            #expect(try await store.workflow(name: "hello", version: nil)?.version == 3)
            #expect(try await store.workflow(name: "hello", version: 2)?.contentHash == "h2")
            #expect(try await store.workflow(name: "hello", version: 9) == nil)
            #expect(try await store.workflow(name: "nope", version: nil) == nil)
            let listed = try await store.listWorkflows()
            #expect(listed.map(\.name) == ["compiled", "hello"])
            #expect(listed.map(\.version) == [1, 3])
        },
        ContractCheck("a deleted version number that an execution ran is not reused") { lab in
            let store = try await lab.open()
            _ = try await store.saveWorkflow(CatalogTests.draft("w", "a"))
            let v2 = try await store.saveWorkflow(CatalogTests.draft("w", "b"))
            try await store.createExecution(
                ExecutionRecord(id: ExecutionRecord.newID(), workflowName: "w", workflowVersion: v2.version, state: .completed, input: .null),
                events: [])
            #expect(try await store.deleteWorkflow(name: "w", version: 2) == 1)
            let next = try await store.saveWorkflow(CatalogTests.draft("w", "c"))
            #expect(next.version == 3, "version 2 still names what its execution ran")
        },
        ContractCheck("delete one or all versions") { lab in
            let store = try await lab.open()
            for hash in ["a", "b", "c"] { _ = try await store.saveWorkflow(CatalogTests.draft("w", hash)) }
            _ = try await store.saveWorkflow(CatalogTests.draft("keep", "k"))
            #expect(try await store.deleteWorkflow(name: "w", version: 2) == 1)
            #expect(try await store.deleteWorkflow(name: "w", version: 2) == 0)
            #expect(try await store.workflowVersions(name: "w").map(\.version) == [1, 3])
            #expect(try await store.deleteWorkflow(name: "w", version: nil) == 2)
            #expect(try await store.workflowVersions(name: "w").isEmpty)
            #expect(try await store.listWorkflows().map(\.name) == ["keep"])
            #expect(try await store.deleteWorkflow(name: "missing", version: nil) == 0)
        },
        ContractCheck("concurrent registrations get contiguous versions") { lab in
            let store = try await lab.open()
            // 40 distinct contents, each registered twice at once: 40 versions, no gaps, no duplicates.
            let records = try await withThrowingTaskGroup(of: WorkflowRecord.self) { group in
                for i in 0..<80 {
                    group.addTask { try await store.saveWorkflow(CatalogTests.draft("busy", "hash-\(i / 2)")) }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            let versions = try await store.workflowVersions(name: "busy")
            #expect(versions.map(\.version) == Array(1...versions.count))
            #expect(versions.count >= 40 && versions.count <= 80)
            #expect(Set(records.map(\.version)) == Set(versions.map(\.version)))
            // Consecutive versions never share a hash.
            for (a, b) in zip(versions, versions.dropFirst()) { #expect(a.contentHash != b.contentHash) }
        },
        ContractCheck("concurrent registrations from two stores on one database") { lab in
            let one = try await lab.open()
            let two = try await lab.open()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for i in 0..<30 {
                    let store = i % 2 == 0 ? one : two
                    group.addTask { _ = try await store.saveWorkflow(CatalogTests.draft("shared", "hash-\(i)")) }
                }
                try await group.waitForAll()
            }
            #expect(try await one.workflowVersions(name: "shared").map(\.version) == Array(1...30))
        },
    ]
}
