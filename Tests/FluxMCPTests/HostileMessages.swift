import Foundation

/// What the server must answer to one message.
enum Expected: Equatable {
    /// A JSON-RPC error with `id` (`"null"` for an unreadable id) and one of `codes`.
    case error(id: String, codes: Set<Int>)
    /// A `tools/call` result with `isError: true`.
    case toolError(id: String)
    /// Any successful result.
    case result(id: String)
    /// No answer (a notification).
    case nothing
}

struct HostileMessage {
    var body: Data
    var expected: Expected
    var label: String
}

/// A seeded generator of malformed and hostile JSON-RPC messages, with the answer each must get.
struct HostileMessages {
    private var state: UInt64

    init(seed: UInt64) { state = seed &* 6364136223846793005 &+ 1442695040888963407 }

    mutating func next() -> UInt64 {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return state >> 33
    }

    mutating func letters(_ count: Int) -> String {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 _-")
        return String((0..<count).map { _ in alphabet[Int(next() % UInt64(alphabet.count))] })
    }

    /// Canonical key of a JSON-RPC id as the tests compare them.
    static func key(_ id: Any?) -> String {
        switch id {
        case let s as String: return "s:" + s
        case let n as NSNumber: return "n:\(n.intValue)"
        default: return "null"
        }
    }

    static func json(_ object: Any) -> String {
        String(decoding: (try? JSONSerialization.data(withJSONObject: object, options: [.fragmentsAllowed])) ?? Data(), as: UTF8.self)
    }

    static func line(_ text: String) -> Data { Data(text.utf8) }

    /// Message number `i` of the hostile series (after initialize). `oversized` is the size of a too-large message.
    mutating func message(_ i: Int, oversized: Int) -> HostileMessage {
        let n = 10_000 + i
        let nid = "n:\(n)"
        func request(_ method: String, _ params: [String: Any]? = nil, id: Any = n) -> String {
            var object: [String: Any] = ["jsonrpc": "2.0", "id": id, "method": method]
            if let params { object["params"] = params }
            return Self.json(object)
        }
        func tool(_ name: String, _ arguments: Any) -> String {
            request("tools/call", ["name": name, "arguments": arguments])
        }
        let kind = i % 30
        switch kind {
        case 0:
            return HostileMessage(body: Self.line("x" + letters(Int(next() % 200))), expected: .error(id: "null", codes: [-32700]), label: "garbage")
        case 1:
            let text = request("tools/list")
            return HostileMessage(body: Self.line(String(text.dropLast(1 + Int(next() % 5)))), expected: .error(id: "null", codes: [-32700]), label: "truncated")
        case 2:
            let values = ["42", "\"hello\"", "true", "null", "3.5", "\"\(letters(50))\""]
            return HostileMessage(body: Self.line(values[Int(next() % UInt64(values.count))]), expected: .error(id: "null", codes: [-32600]), label: "not an object")
        case 3:
            let batches = ["[]", "[\(request("ping"))]", "[1,2,3]"]
            return HostileMessage(body: Self.line(batches[Int(next() % 3)]), expected: .error(id: "null", codes: [-32600]), label: "batch")
        case 4:
            return HostileMessage(body: Self.line(Self.json(["jsonrpc": "1.0", "id": n, "method": "ping"])), expected: .error(id: nid, codes: [-32600]), label: "jsonrpc 1.0")
        case 5:
            return HostileMessage(body: Self.line(Self.json(["id": n, "method": "tools/list"])), expected: .error(id: nid, codes: [-32600]), label: "no jsonrpc")
        case 6:
            let ids = ["1.5", "true", "{}", "[]", "null", "-0.25"]
            return HostileMessage(body: Self.line("{\"jsonrpc\":\"2.0\",\"id\":\(ids[Int(next() % 6)]),\"method\":\"ping\"}"),
                                  expected: .error(id: "null", codes: [-32600]), label: "bad id type")
        case 7:
            return HostileMessage(body: Self.line("{\"jsonrpc\":\"2.0\",\"id\":\(n),\"method\":\(["42", "null", "[]", "{}", "\"\""][Int(next() % 5)])}"),
                                  expected: .error(id: nid, codes: [-32600]), label: "bad method")
        case 8:
            return HostileMessage(body: Self.line(request("nope/\(letters(8))")), expected: .error(id: nid, codes: [-32601]), label: "unknown method")
        case 9:
            return HostileMessage(body: Self.line("{\"jsonrpc\":\"2.0\",\"id\":\(n),\"method\":\"tools/list\",\"params\":\([ "[1,2]", "\"x\"", "7"][Int(next() % 3)])}"),
                                  expected: .error(id: nid, codes: [-32602]), label: "params not an object")
        case 10:
            return HostileMessage(body: Self.line(request("tools/call", ["name": 5])), expected: .error(id: nid, codes: [-32602]), label: "tool name not a string")
        case 11:
            return HostileMessage(body: Self.line(tool("no_such_tool_\(letters(6))", [:] as [String: Any])), expected: .error(id: nid, codes: [-32602]), label: "unknown tool")
        case 12:
            return HostileMessage(body: Self.line(request("tools/call", ["name": "list_workflows", "arguments": "all"])), expected: .error(id: nid, codes: [-32602]), label: "arguments not an object")
        case 13:
            return HostileMessage(body: Self.line(tool("get_execution_status", ["workflow_name": 5, "execution_id": ["x"]])), expected: .toolError(id: nid), label: "argument types")
        case 14:
            return HostileMessage(body: Self.line(tool("execute_workflow_sync", ["workflow_name": "w" + letters(10_000)])), expected: .toolError(id: nid), label: "huge workflow name")
        case 15:
            return HostileMessage(body: Self.line(tool("list_workflows", ["surprise": true])), expected: .toolError(id: nid), label: "unknown argument")
        case 16:
            return HostileMessage(body: Self.line(request("resources/read", ["uri": "flux://nothing/\(letters(5))"])), expected: .error(id: nid, codes: [-32602]), label: "unknown resource")
        case 17:
            let params: [String: Any] = next() % 2 == 0 ? ["name": "no_prompt"] : ["name": "author_workflow", "arguments": ["goal": 3]]
            return HostileMessage(body: Self.line(request("prompts/get", params)), expected: .error(id: nid, codes: [-32602]), label: "bad prompt")
        case 18:
            return HostileMessage(body: Self.line(tool("upload_workflow", ["file_content": letters(200_000)])), expected: .toolError(id: nid), label: "huge document")
        case 19:
            let depth = 100
            let nested = String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
            return HostileMessage(body: Self.line("{\"jsonrpc\":\"2.0\",\"id\":\(n),\"method\":\"tools/call\",\"params\":{\"name\":\"list_workflows\",\"arguments\":{\"a\":\(nested)}}}"),
                                  expected: .error(id: "null", codes: [-32700]), label: "deep nesting")
        case 20:
            return HostileMessage(body: Data([0xFF, 0xFE, 0xFD, 0x7B, 0x00, 0x80]), expected: .error(id: "null", codes: [-32700]), label: "invalid UTF-8")
        case 21:
            let notes = [Self.json(["jsonrpc": "2.0", "method": "notifications/\(letters(6))"]),
                         "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\",\"params\":[1]}",
                         Self.json(["jsonrpc": "2.0", "method": "notifications/cancelled", "params": ["requestId": 999_999]])]
            return HostileMessage(body: Self.line(notes[Int(next() % 3)]), expected: .nothing, label: "stray notification")
        case 22:
            return HostileMessage(body: Self.line(Self.json(["jsonrpc": "2.0", "id": "r\(n)", "result": [:] as [String: Any]])), expected: .nothing, label: "unsolicited response")
        case 23:
            if i % 90 == 23 {
                let big = "{\"jsonrpc\":\"2.0\",\"id\":\(n),\"method\":\"tools/call\",\"params\":{\"name\":\"upload_workflow\",\"arguments\":{\"file_content\":\"" + letters(oversized) + "\"}}}"
                return HostileMessage(body: Self.line(big), expected: .error(id: "null", codes: [-32600]), label: "oversized")
            }
            return HostileMessage(body: Self.line(request("tools/list", ["cursor": 12])), expected: .error(id: nid, codes: [-32602]), label: "cursor not a string")
        case 24:
            return HostileMessage(body: Self.line(request("initialize", ["protocolVersion": "2025-06-18", "capabilities": [:] as [String: Any],
                                                                          "clientInfo": ["name": "again", "version": "1"]])),
                                  expected: .error(id: nid, codes: [-32600]), label: "second initialize")
        case 25:
            return HostileMessage(body: Self.line(request("tools/call", [:])), expected: .error(id: nid, codes: [-32602]), label: "tools/call without name")
        case 26:
            return HostileMessage(body: Self.line(request("ping")), expected: .result(id: nid), label: "ping")
        case 27:
            return HostileMessage(body: Self.line(tool("list_workflows", [:] as [String: Any])), expected: .result(id: nid), label: "valid call")
        case 28:
            let id = "id-\(i)-\u{00e9}\u{4e2d}\\\"\(letters(4))"
            return HostileMessage(body: Self.line(request("unknown/\(i)", id: id)), expected: .error(id: "s:" + id, codes: [-32601]), label: "string id")
        default:
            return HostileMessage(body: Self.line(tool("cancel_execution", ["workflow_name": "x", "execution_id": "y", "mode": "later"])),
                                  expected: .toolError(id: nid), label: "bad enum")
        }
    }

    /// Messages sent before `initialize`, with their answers.
    static func beforeInitialize() -> [HostileMessage] {
        var messages: [HostileMessage] = []
        for i in 0..<10 {
            messages.append(HostileMessage(body: line(json(["jsonrpc": "2.0", "id": 500 + i, "method": i % 2 == 0 ? "tools/list" : "tools/call",
                                                             "params": ["name": "health_check"]])),
                                           expected: .error(id: "n:\(500 + i)", codes: [-32600]), label: "request before initialize"))
            messages.append(HostileMessage(body: line(json(["jsonrpc": "2.0", "method": "notifications/progress"])), expected: .nothing,
                                           label: "notification before initialize"))
        }
        messages.append(HostileMessage(body: line("{oops"), expected: .error(id: "null", codes: [-32700]), label: "garbage before initialize"))
        messages.append(HostileMessage(body: line(json(["jsonrpc": "2.0", "id": 520, "method": "ping"])), expected: .result(id: "n:520"),
                                       label: "ping before initialize"))
        messages.append(HostileMessage(body: line(json(["jsonrpc": "2.0", "id": 521, "method": "initialize", "params": ["protocolVersion": 7]])),
                                       expected: .error(id: "n:521", codes: [-32602]), label: "initialize with bad params"))
        return messages
    }

    static let initialize = json(["jsonrpc": "2.0", "id": 1, "method": "initialize", "params": [
        "protocolVersion": "2025-06-18", "capabilities": [:] as [String: Any], "clientInfo": ["name": "hostile", "version": "1"],
    ] as [String: Any]])
}

/// Checks the answers a server gave against what was expected; returns the problems.
func compare(expected: [HostileMessage], answers: [[String: Any]]) -> [String] {
    var problems: [String] = []
    var byID: [String: [[String: Any]]] = [:]
    var nullErrors: [Int] = []
    for answer in answers {
        let key = HostileMessages.key(answer["id"])
        if key == "null" {
            nullErrors.append((answer["error"] as? [String: Any])?["code"] as? Int ?? 0)
        } else {
            byID[key, default: []].append(answer)
        }
    }
    var expectedNull: [Set<Int>] = []
    for message in expected {
        switch message.expected {
        case .nothing:
            continue
        case .error(let id, let codes) where id == "null":
            expectedNull.append(codes)
        case .error(let id, let codes):
            guard let answer = byID[id]?.first else { problems.append("\(message.label): no answer for \(id)"); continue }
            let code = (answer["error"] as? [String: Any])?["code"] as? Int
            if code.map(codes.contains) != true { problems.append("\(message.label): expected error \(codes) for \(id), got \(answer)") }
        case .toolError(let id):
            guard let answer = byID[id]?.first else { problems.append("\(message.label): no answer for \(id)"); continue }
            if (answer["result"] as? [String: Any])?["isError"] as? Bool != true { problems.append("\(message.label): expected isError for \(id), got \(answer)") }
        case .result(let id):
            guard let answer = byID[id]?.first else { problems.append("\(message.label): no answer for \(id)"); continue }
            if answer["result"] == nil || (answer["result"] as? [String: Any])?["isError"] as? Bool == true {
                problems.append("\(message.label): expected a result for \(id), got \(answer)")
            }
        }
    }
    for (key, answers) in byID where answers.count > 1 { problems.append("\(answers.count) answers for \(key)") }
    if nullErrors.count != expectedNull.count {
        problems.append("expected \(expectedNull.count) errors with id null, got \(nullErrors.count)")
    } else {
        // Every null-id error must have a code some expected null-id error allows.
        let allowed = expectedNull.reduce(into: Set<Int>()) { $0.formUnion($1) }
        for code in nullErrors where !allowed.contains(code) { problems.append("unexpected error code \(code) with id null") }
    }
    return problems
}

/// How many answers `messages` should get.
func answerCount(_ messages: [HostileMessage]) -> Int {
    messages.filter { $0.expected != .nothing }.count
}
