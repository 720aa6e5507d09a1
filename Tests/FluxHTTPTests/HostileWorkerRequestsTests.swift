import FluxCore
import Foundation
import Testing

/// 1,000 bad requests to the worker routes of a real server: missing and wrong tokens, another worker's token,
/// stale and foreign claims, malformed checkpoints and heartbeats, unknown executions. Each gets the right 4xx,
/// the server keeps answering, and the executions in the store are exactly as they were.
@Suite(.serialized) struct HostileWorkerRequestsTests {
    static let token = "bootstrap-token-for-hostile-tests"

    struct Bad: Sendable {
        let label: String
        let method: String
        let path: String
        let body: Data?
        let headers: [String: String]
        let expected: Int
    }

    @Test(.timeLimit(Deadline.wholeTest))
    func thousandBadRequestsGetTheirStatusAndChangeNothing() async throws {
        let server = try await ServerProcess(environment: [
            "FLUX_WORKERS__EMBEDDED": "false", "FLUX_WORKERS__BOOTSTRAP_TOKEN": Self.token,
            "FLUX_WORKERS__HEARTBEAT_INTERVAL": "0.5", "FLUX_WORKERS__LEASE_TIMEOUT": "30",
        ])
        try await server.register("""
            flux: 1
            name: plain
            steps:
              - id: greet
                set: "Hello, ${{ input }}"
            output: "${{ steps.greet.output }}"
            """)
        let bootstrap = ["Authorization": "Bearer \(Self.token)"]
        func register(_ name: String) async throws -> String {
            let reply = try await server.post("/workers/register", json: #"{"name": "\#(name)", "concurrency": 2}"#, headers: bootstrap)
            guard reply.status == 200, let token = reply.json["session_token"]?.stringValue else {
                throw TestFailure("register \(name) answered \(reply.status): \(reply.text)")
            }
            return token
        }
        let mine = try await register("w-real")
        let other = try await register("w-other")
        let auth = ["Authorization": "Bearer \(mine)"]
        let otherAuth = ["Authorization": "Bearer \(other)"]

        // One execution held by w-real, one it ran to completion through checkpoints.
        func created() async throws -> String {
            let reply = try await server.post("/workflows/plain/run/async", json: "\"World\"")
            guard reply.status == 202, let id = reply.json["execution_id"]?.stringValue else { throw TestFailure("run answered \(reply.status)") }
            return id
        }
        let held = try await created()
        let claim = try await server.post("/workers/w-real/claim/\(held)", headers: auth)
        #expect(claim.status == 200, "\(claim.text)")
        let generation = try #require(claim.json["claim_generation"]?.intValue)
        let heldEvents = try #require(claim.json["events"]?.arrayValue)
        let finished = try await created()
        let finishedClaim = try await server.post("/workers/w-real/claim/\(finished)", headers: auth)
        let finishedGeneration = try #require(finishedClaim.json["claim_generation"]?.intValue)
        let next = (finishedClaim.json["events"]?.arrayValue?.count ?? 0) + 1
        let completion: JSONValue = [
            "claim_generation": .int(finishedGeneration), "state": "COMPLETED", "output": "done", "release": true,
            "events": [["id": .string("e\(next)"), "type": "WORKFLOW_COMPLETED", "source_id": .string("plain_\(finished)"),
                        "name": "plain", "value": "done", "time": 1_800_000_000.5, "sequence": .int(next)]],
        ]
        let completed = try await server.post("/workers/w-real/checkpoint/\(finished)", json: completion.canonicalJSON, headers: auth)
        #expect(completed.status == 200, "\(completed.text)")
        // A retried checkpoint (its answer lost) is harmless: answered as applied, nothing written twice.
        let retried = try await server.post("/workers/w-real/checkpoint/\(finished)", json: completion.canonicalJSON, headers: auth)
        #expect(retried.status == 200 && retried.json["state"] == "COMPLETED", "\(retried.text)")
        #expect(try await server.get("/executions/\(finished)/events").json["events"]?.arrayValue?.count == next)
        let before = try await server.get("/executions?limit=100").json

        func event(_ sequence: Int, type: String = "TASK_STARTED") -> JSONValue {
            ["id": .string("x\(sequence)"), "type": .string(type), "source_id": "t", "name": "t", "value": nil, "time": 1_800_000_000, "sequence": .int(sequence)]
        }
        func checkpoint(_ body: JSONValue) -> Data { Data(body.canonicalJSON.utf8) }
        func childBody(_ id: String, state: String, version: Int = 1) -> Data {
            let row: JSONValue = ["execution_id": .string(id), "workflow_name": "plain", "workflow_version": .int(version), "state": .string(state),
                                  "input": "x", "output": .null, "claim_generation": 1, "last_sequence": 0]
            return Data(JSONValue.object(["execution": row, "events": []]).canonicalJSON.utf8)
        }
        let json = ["Content-Type": "application/json"]
        let unknown = String(repeating: "0", count: 32)
        let templates: [Bad] = [
            Bad(label: "register without a token", method: "POST", path: "/workers/register", body: Data(#"{"name":"x"}"#.utf8), headers: json, expected: 401),
            Bad(label: "register with a wrong token", method: "POST", path: "/workers/register", body: Data(#"{"name":"x"}"#.utf8),
                headers: json.merging(["Authorization": "Bearer nope"]) { a, _ in a }, expected: 403),
            Bad(label: "register with a non-JSON body", method: "POST", path: "/workers/register", body: Data("{name".utf8), headers: json.merging(bootstrap) { a, _ in a }, expected: 400),
            Bad(label: "register without a name", method: "POST", path: "/workers/register", body: Data(#"{"concurrency":2}"#.utf8), headers: json.merging(bootstrap) { a, _ in a }, expected: 400),
            Bad(label: "register with a bad name", method: "POST", path: "/workers/register", body: Data(#"{"name":"a b/c"}"#.utf8), headers: json.merging(bootstrap) { a, _ in a }, expected: 400),
            Bad(label: "register with concurrency 0", method: "POST", path: "/workers/register", body: Data(#"{"name":"x","concurrency":0}"#.utf8), headers: json.merging(bootstrap) { a, _ in a }, expected: 400),
            Bad(label: "register with workflows not a list", method: "POST", path: "/workers/register", body: Data(#"{"name":"x","workflows":{"a":1}}"#.utf8), headers: json.merging(bootstrap) { a, _ in a }, expected: 400),
            Bad(label: "connect without a token", method: "GET", path: "/workers/w-real/connect", body: nil, headers: [:], expected: 401),
            Bad(label: "connect with a wrong token", method: "GET", path: "/workers/w-real/connect", body: nil, headers: ["Authorization": "Bearer \(String(mine.reversed()))"], expected: 401),
            Bad(label: "connect with another worker's token", method: "GET", path: "/workers/w-real/connect", body: nil, headers: otherAuth, expected: 401),
            Bad(label: "connect as an unknown worker", method: "GET", path: "/workers/nobody/connect", body: nil, headers: auth, expected: 401),
            Bad(label: "claim without a token", method: "POST", path: "/workers/w-real/claim/\(held)", body: nil, headers: [:], expected: 401),
            Bad(label: "claim with a basic header", method: "POST", path: "/workers/w-real/claim/\(held)", body: nil, headers: ["Authorization": "Basic dTpw"], expected: 401),
            Bad(label: "claim an unknown execution", method: "POST", path: "/workers/w-real/claim/\(unknown)", body: nil, headers: auth, expected: 404),
            Bad(label: "claim what another worker holds", method: "POST", path: "/workers/w-other/claim/\(held)", body: nil, headers: otherAuth, expected: 409),
            Bad(label: "claim a completed execution", method: "POST", path: "/workers/w-real/claim/\(finished)", body: nil, headers: auth, expected: 409),
            Bad(label: "claim with a bad worker name", method: "POST", path: "/workers/a%20b/claim/\(held)", body: nil, headers: auth, expected: 400),
            Bad(label: "checkpoint without a token", method: "POST", path: "/workers/w-real/checkpoint/\(held)",
                body: checkpoint(["claim_generation": .int(generation), "events": []]), headers: json, expected: 401),
            Bad(label: "checkpoint with a stale generation", method: "POST", path: "/workers/w-real/checkpoint/\(held)",
                body: checkpoint(["claim_generation": .int(generation - 1), "events": [event(heldEvents.count + 1)]]), headers: json.merging(auth) { a, _ in a }, expected: 409),
            Bad(label: "checkpoint a future generation", method: "POST", path: "/workers/w-real/checkpoint/\(held)",
                body: checkpoint(["claim_generation": .int(generation + 7), "events": [event(heldEvents.count + 1)]]), headers: json.merging(auth) { a, _ in a }, expected: 409),
            Bad(label: "checkpoint another worker's execution", method: "POST", path: "/workers/w-other/checkpoint/\(held)",
                body: checkpoint(["claim_generation": .int(generation), "events": [event(heldEvents.count + 1)]]), headers: json.merging(otherAuth) { a, _ in a }, expected: 409),
            Bad(label: "checkpoint an unknown execution", method: "POST", path: "/workers/w-real/checkpoint/\(unknown)",
                body: checkpoint(["claim_generation": 1, "events": []]), headers: json.merging(auth) { a, _ in a }, expected: 404),
            Bad(label: "checkpoint that is not JSON", method: "POST", path: "/workers/w-real/checkpoint/\(held)",
                body: Data("\u{0}\u{1}garbage".utf8), headers: json.merging(auth) { a, _ in a }, expected: 400),
            Bad(label: "checkpoint without a generation", method: "POST", path: "/workers/w-real/checkpoint/\(held)",
                body: checkpoint(["events": [event(heldEvents.count + 1)]]), headers: json.merging(auth) { a, _ in a }, expected: 400),
            Bad(label: "checkpoint with events not a list", method: "POST", path: "/workers/w-real/checkpoint/\(held)",
                body: checkpoint(["claim_generation": .int(generation), "events": "many"]), headers: json.merging(auth) { a, _ in a }, expected: 400),
            Bad(label: "checkpoint with an unknown event type", method: "POST", path: "/workers/w-real/checkpoint/\(held)",
                body: checkpoint(["claim_generation": .int(generation), "events": [event(heldEvents.count + 1, type: "TASK_EXPLODED")]]), headers: json.merging(auth) { a, _ in a }, expected: 400),
            Bad(label: "checkpoint with decreasing sequences", method: "POST", path: "/workers/w-real/checkpoint/\(held)",
                body: checkpoint(["claim_generation": .int(generation), "events": [event(heldEvents.count + 2), event(heldEvents.count + 1)]]), headers: json.merging(auth) { a, _ in a }, expected: 400),
            Bad(label: "checkpoint with sequence 0", method: "POST", path: "/workers/w-real/checkpoint/\(held)",
                body: checkpoint(["claim_generation": .int(generation), "events": [event(0)]]), headers: json.merging(auth) { a, _ in a }, expected: 400),
            Bad(label: "checkpoint back to CREATED", method: "POST", path: "/workers/w-real/checkpoint/\(held)",
                body: checkpoint(["claim_generation": .int(generation), "events": [], "state": "CREATED"]), headers: json.merging(auth) { a, _ in a }, expected: 400),
            Bad(label: "checkpoint to an unknown state", method: "POST", path: "/workers/w-real/checkpoint/\(held)",
                body: checkpoint(["claim_generation": .int(generation), "events": [], "state": "EXPLODED"]), headers: json.merging(auth) { a, _ in a }, expected: 400),
            Bad(label: "checkpoint with an array body", method: "POST", path: "/workers/w-real/checkpoint/\(held)",
                body: checkpoint([1, 2, 3]), headers: json.merging(auth) { a, _ in a }, expected: 400),
            Bad(label: "heartbeat without a token", method: "POST", path: "/workers/w-real/heartbeat", body: Data("{}".utf8), headers: json, expected: 401),
            Bad(label: "heartbeat with in_flight not a list", method: "POST", path: "/workers/w-real/heartbeat",
                body: Data(#"{"in_flight": "all"}"#.utf8), headers: json.merging(auth) { a, _ in a }, expected: 400),
            Bad(label: "heartbeat with resources not an object", method: "POST", path: "/workers/w-real/heartbeat",
                body: Data(#"{"resources": 5}"#.utf8), headers: json.merging(auth) { a, _ in a }, expected: 400),
            Bad(label: "read an unknown execution", method: "GET", path: "/workers/w-real/executions/\(unknown)", body: nil, headers: auth, expected: 404),
            Bad(label: "read with another worker's token", method: "GET", path: "/workers/w-real/executions/\(held)", body: nil, headers: otherAuth, expected: 401),
            Bad(label: "cache miss", method: "GET", path: "/workers/w-real/cache/nothing-here", body: nil, headers: auth, expected: 404),
            Bad(label: "cache write without a value", method: "PUT", path: "/workers/w-real/cache/k", body: Data(#"{"v": 1}"#.utf8), headers: json.merging(auth) { a, _ in a }, expected: 400),
            Bad(label: "secrets without names", method: "POST", path: "/workers/w-real/secrets", body: Data("{}".utf8), headers: json.merging(auth) { a, _ in a }, expected: 400),
            Bad(label: "wrong method on claim", method: "GET", path: "/workers/w-real/claim/\(held)", body: nil, headers: auth, expected: 405),
            Bad(label: "child placement without a token", method: "POST", path: "/workers/w-real/children",
                body: Data(#"{"workflow": "plain", "execution_id": "c1"}"#.utf8), headers: json, expected: 401),
            Bad(label: "child placement of an unknown workflow", method: "POST", path: "/workers/w-real/children",
                body: Data(#"{"workflow": "nothing_here", "execution_id": "\#(ChildCall.childID(parentID: held, callTaskID: "t2"))", "parent_execution_id": "\#(held)", "task_id": "t2"}"#.utf8),
                headers: json.merging(auth) { a, _ in a }, expected: 404),
            Bad(label: "child placement without its parent", method: "POST", path: "/workers/w-real/children",
                body: Data(#"{"workflow": "plain", "execution_id": "\#(ChildCall.childID(parentID: held, callTaskID: "t3"))"}"#.utf8),
                headers: json.merging(auth) { a, _ in a }, expected: 400),
            Bad(label: "child placement under a parent the worker does not hold", method: "POST", path: "/workers/w-real/children",
                body: Data(#"{"workflow": "plain", "execution_id": "\#(ChildCall.childID(parentID: finished, callTaskID: "t"))", "parent_execution_id": "\#(finished)", "task_id": "t"}"#.utf8),
                headers: json.merging(auth) { a, _ in a }, expected: 409),
            Bad(label: "child placement with a bad id", method: "POST", path: "/workers/w-real/children",
                body: Data(#"{"workflow": "plain", "execution_id": "../../etc"}"#.utf8), headers: json.merging(auth) { a, _ in a }, expected: 400),
            Bad(label: "child placement of another workflow's execution", method: "POST", path: "/workers/w-real/children",
                body: Data(#"{"workflow": "other", "execution_id": "\#(held)", "parent_execution_id": "\#(held)", "task_id": "t"}"#.utf8), headers: json.merging(auth) { a, _ in a }, expected: 409),
            Bad(label: "child cancel without a token", method: "POST", path: "/workers/w-real/children/\(ChildCall.childID(parentID: held, callTaskID: "t"))/cancel",
                body: Data(#"{"parent_execution_id": "\#(held)", "task_id": "t"}"#.utf8), headers: json, expected: 401),
            Bad(label: "child cancel without a task id", method: "POST", path: "/workers/w-real/children/c5/cancel",
                body: Data(#"{"parent_execution_id": "\#(held)"}"#.utf8), headers: json.merging(auth) { a, _ in a }, expected: 400),
            Bad(label: "child cancel of an execution that is not that call's child", method: "POST", path: "/workers/w-real/children/\(finished)/cancel",
                body: Data(#"{"parent_execution_id": "\#(held)", "task_id": "t"}"#.utf8), headers: json.merging(auth) { a, _ in a }, expected: 409),
            Bad(label: "child cancel for a parent the worker does not hold", method: "POST",
                path: "/workers/w-real/children/\(ChildCall.childID(parentID: finished, callTaskID: "t"))/cancel",
                body: Data(#"{"parent_execution_id": "\#(finished)", "task_id": "t"}"#.utf8), headers: json.merging(auth) { a, _ in a }, expected: 409),
            Bad(label: "child cancel of a child that does not exist", method: "POST",
                path: "/workers/w-real/children/\(ChildCall.childID(parentID: held, callTaskID: "t"))/cancel",
                body: Data(#"{"parent_execution_id": "\#(held)", "task_id": "t"}"#.utf8), headers: json.merging(auth) { a, _ in a }, expected: 404),
            Bad(label: "child creation without a token", method: "POST", path: "/workers/w-real/executions",
                body: childBody(held, state: "RUNNING"), headers: json, expected: 401),
            Bad(label: "child creation over an existing execution", method: "POST", path: "/workers/w-real/executions",
                body: childBody(held, state: "RUNNING"), headers: json.merging(auth) { a, _ in a }, expected: 409),
            Bad(label: "child creation in CREATED", method: "POST", path: "/workers/w-real/executions",
                body: childBody("c3", state: "CREATED"), headers: json.merging(auth) { a, _ in a }, expected: 400),
            Bad(label: "child creation of an unknown workflow version", method: "POST", path: "/workers/w-real/executions",
                body: childBody("c4", state: "RUNNING", version: 99), headers: json.merging(auth) { a, _ in a }, expected: 404),
            Bad(label: "child creation without a row", method: "POST", path: "/workers/w-real/executions",
                body: Data(#"{"events": []}"#.utf8), headers: json.merging(auth) { a, _ in a }, expected: 400),
        ]
        let requests = (0..<1000).map { templates[$0 % templates.count] }
        let outcomes = try await concurrently(requests, width: 16) { bad -> (String, Int, String) in
            let reply = try await server.request(bad.method, bad.path, body: bad.body, headers: bad.headers)
            return (bad.label, reply.status, reply.text)
        }
        var wrong: [String] = []
        for (bad, outcome) in zip(requests, outcomes) where outcome.1 != bad.expected {
            wrong.append("\(bad.label): \(outcome.1) instead of \(bad.expected): \(outcome.2.prefix(200))")
        }
        #expect(wrong.isEmpty, "\(wrong.count) of 1000 answered wrongly, e.g. \(wrong.prefix(5))")
        #expect(outcomes.allSatisfy { (400..<500).contains($0.1) })

        // The server still answers, and nothing changed.
        #expect(try await server.get("/health").status == 200)
        #expect(try await server.get("/executions?limit=100").json == before)
        let heldNow = try await server.get("/executions/\(held)/events").json["events"]?.arrayValue ?? []
        #expect(heldNow.count == heldEvents.count, "events were added to the held execution: \(heldNow)")
        // The rightful holder still holds it: its own checkpoint with its generation goes through.
        let good = try await server.post("/workers/w-real/checkpoint/\(held)", json: JSONValue.object([
            "claim_generation": .int(generation), "events": [event(heldEvents.count + 1)],
        ]).canonicalJSON, headers: auth)
        #expect(good.status == 200, "\(good.text)")
        let workers = try await server.get("/workers").json["workers"]?.arrayValue ?? []
        #expect(Set(workers.compactMap { $0["name"]?.stringValue }) == ["w-real", "w-other"], "\(workers)")
        try await server.stop()
    }
}
