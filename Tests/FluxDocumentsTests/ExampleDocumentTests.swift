import FluxCore
import Foundation
import Testing
@testable import FluxDocuments

@Suite struct ExampleDocumentTests {
    static let examples: [String] = (try? TestPaths.exampleFiles().map(\.lastPathComponent)) ?? []

    static let required = [
        "hello_world", "parallel_tasks", "simple_pipeline", "nested_tasks", "determinism", "sleep", "pause",
        "pause_with_input", "multiple_pause_points", "cancellation", "graph", "task_cache", "task_fallback",
        "task_fallback_after_retry", "task_fallback_after_timeout", "task_map", "task_retries", "task_rollback",
        "task_timeout", "using_secrets", "subflows", "http_get", "order_report",
    ]

    @Test func everyRequiredExampleExists() {
        for name in Self.required {
            #expect(Self.examples.contains { $0.hasPrefix(name + ".") }, "missing example \(name)")
        }
    }

    @Test(arguments: examples)
    func exampleParsesAndValidates(_ file: String) throws {
        let text = try String(contentsOf: TestPaths.examples.appendingPathComponent(file), encoding: .utf8)
        let docs = try DocumentParser.parse(text: text, sourceName: file)
        #expect(!docs.isEmpty)
        for doc in docs {
            #expect(doc.contentHash.count == 64)
            #expect(doc.description != nil, "every example describes itself")
            // The stored source of each workflow parses back to the same content.
            let again = try DocumentParser.parse(text: doc.source, sourceName: doc.sourceFormat == .json ? "again.json" : "again.yaml")
            #expect(again.first { $0.name == doc.name }?.contentHash == doc.contentHash)
        }
        if docs.count == 1 {
            #expect(file.hasPrefix(docs[0].name + "."), "file name matches the workflow name")
        }
    }

    @Test func subflowsHoldsTwoWorkflowsThatCallEachOther() throws {
        let text = try String(contentsOf: TestPaths.examples.appendingPathComponent("subflows.yaml"), encoding: .utf8)
        let docs = try DocumentParser.parse(text: text, sourceName: "subflows.yaml")
        #expect(docs.map(\.name) == ["greet_one", "greet_many"])
        guard case .map(let map) = docs[1].steps[0].kind, case .call(let call) = map.body.kind else {
            Issue.record("greet_many maps a call")
            return
        }
        #expect(call.workflow == "greet_one")
        #expect(docs[0].source.contains("\"greet_one\""))
        #expect(docs[0].sourceFormat == .json)
    }

    @Test func realisticExampleUsesTheMainConstructs() throws {
        let text = try String(contentsOf: TestPaths.examples.appendingPathComponent("order_report.yaml"), encoding: .utf8)
        let doc = try workflow(text, file: "order_report.yaml")
        let kinds = Set(doc.allSteps.map(\.kind.name))
        #expect(kinds.isSuperset(of: ["builtin", "http", "map", "pipeline", "pause", "set"]))
        #expect(doc.secrets == ["REPORT_TOKEN"])
        let publish = try #require(doc.step(id: "publish"))
        guard case .http(let http) = publish.kind else { throw TestFailure("publish is an http step") }
        #expect(http.method == "POST")
        #expect(http.headers?.referencesSecrets == true)
        #expect(http.body?.referencesSecrets == false)
        #expect(publish.options.condition != nil)
        #expect(publish.options.retry == RetryPolicy(maxAttempts: 5, delay: .seconds(1), backoff: 2))
    }
}
