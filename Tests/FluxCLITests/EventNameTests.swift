import FluxCore
import Foundation
import Testing

/// What the events and errors of a run say (issue #16, point 12): a step's events carry its step id (a
/// `builtin: sleep` with id `wait` was recorded as `sleep`), and a failed `call` names the child execution.
@Suite("Event names")
struct EventNameTests {
    @Test func aSleepIsRecordedUnderItsStepIDAndAFailedCallNamesItsChild() throws {
        let flux = try FluxBinary()
        defer { try? FileManager.default.removeItem(at: flux.directory) }
        let text = """
            flux: 1
            workflows:
              - name: broken_child
                steps:
                  - id: boom
                    set: "${{ 1 / 0 }}"
              - name: parent
                steps:
                  - id: wait
                    builtin: sleep
                    with: { seconds: 0 }
                  - id: child
                    call: broken_child
            """
        #expect(try flux.run(["workflow", "register", try flux.write("docs.yaml", text)]).status == 0)
        let result = try flux.run(["workflow", "run", "parent", "--format", "json", "--detailed"])
        #expect(result.status == 1, "\(result.stdout) \(result.stderr)")
        let summary = try JSONValue(parsing: result.stdout)
        let events = summary["events"]?.arrayValue ?? []
        let sleepEvents = events.filter { $0["type"] == "TASK_STARTED" || $0["type"] == "TASK_COMPLETED" }.filter { $0["value"]?["until"] != nil || $0["name"] == "wait" }
        #expect(!sleepEvents.isEmpty && sleepEvents.allSatisfy { $0["name"] == "wait" }, "\(events)")
        #expect(!events.contains { $0["name"] == "sleep" }, "\(events)")
        let message = summary["output"]?["message"]?.stringValue ?? ""
        #expect(message.contains("subworkflow broken_child failed (execution "), "\(message)")
        let childID = message.components(separatedBy: "(execution ").dropFirst().first?.prefix(32).description ?? ""
        let child = try flux.run(["workflow", "status", "broken_child", childID, "--format", "json"])
        #expect(try JSONValue(parsing: child.stdout)["state"] == "FAILED", "the named execution is the failed child: \(child.stdout) \(child.stderr)")
    }
}
