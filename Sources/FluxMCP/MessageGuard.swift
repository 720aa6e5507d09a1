import FluxCore
import Foundation

/// Checks each incoming JSON-RPC message before the MCP SDK sees it, so that malformed or hostile input gets
/// a proper JSON-RPC error (`id` echoed when it can be read, `null` otherwise) and never reaches a handler
/// in a shape it cannot decode. Transports call it on every message they receive.
struct MessageGuard: Sendable {
    let maxBytes: Int

    /// What the message is, with its params as read (an empty object when it has none), so that a transport
    /// does not parse the message again.
    enum Kind: Sendable, Equatable {
        case request(id: JSONValue, method: String, params: [String: JSONValue])
        case notification(method: String, params: [String: JSONValue])
        case response
    }

    enum Verdict: Sendable {
        /// Hand the message to the server.
        case forward(Kind)
        /// Answer with this error response (a JSON-RPC error object) and drop the message.
        case reject(Data)
        /// Drop the message without an answer (a notification the server cannot take).
        case drop(String)
    }

    /// - Parameter initialized: whether an `initialize` request has already gone through.
    func check(_ data: Data, initialized: Bool) -> Verdict {
        if data.count > maxBytes {
            return .reject(Self.error(id: .null, code: -32600,
                                      "Invalid Request: the message has \(data.count) bytes, more than the limit of \(maxBytes)"))
        }
        let message: JSONValue
        do {
            message = try JSONValue(parsing: data, maxDepth: 64)
        } catch {
            return .reject(Self.error(id: .null, code: -32700, "Parse error: \(error.description)"))
        }
        guard case .object(let object) = message else {
            if case .array = message {
                return .reject(Self.error(id: .null, code: -32600,
                                          "Invalid Request: JSON-RPC batches are not supported (MCP removed them); send one message at a time"))
            }
            return .reject(Self.error(id: .null, code: -32600, "Invalid Request: a JSON-RPC message is a JSON object, got \(message.typeName)"))
        }
        // The id, when present, must be a string or an integer (MCP forbids null).
        var id: JSONValue?
        if let raw = object["id"] {
            switch raw {
            case .string, .int: id = raw
            default:
                return .reject(Self.error(id: .null, code: -32600, "Invalid Request: id must be a string or an integer, got \(raw.typeName)"))
            }
        }
        let replyID = id ?? .null
        guard object["jsonrpc"] == .string("2.0") else {
            return .reject(Self.error(id: replyID, code: -32600, "Invalid Request: jsonrpc must be \"2.0\""))
        }
        guard let methodValue = object["method"] else {
            // A response to a request the server sent (sampling, elicitation, ping).
            if id != nil, object["result"] != nil || object["error"] != nil { return .forward(.response) }
            return .reject(Self.error(id: replyID, code: -32600, "Invalid Request: a message needs a method (or, for a response, a result or an error)"))
        }
        guard let method = methodValue.stringValue, !method.isEmpty else {
            return .reject(Self.error(id: replyID, code: -32600, "Invalid Request: method must be a non-empty string, got \(methodValue.typeName)"))
        }
        let params = object["params"]
        if let params, !params.isNull, params.objectValue == nil {
            if id == nil { return .drop("notification \(method) with params that are not an object") }
            return .reject(Self.error(id: replyID, code: -32602, "Invalid params: params must be an object, got \(params.typeName)"))
        }
        guard let requestID = id else {
            if !initialized, method != "notifications/initialized" {
                return .drop("notification \(method) before initialize")
            }
            return .forward(.notification(method: method, params: params?.objectValue ?? [:]))
        }
        if !initialized, method != "initialize", method != "ping" {
            return .reject(Self.error(id: requestID, code: -32600,
                                      "Invalid Request: \(method) before initialize; send initialize first (then notifications/initialized)"))
        }
        let paramsObject = params?.objectValue ?? [:]
        if let problem = Self.paramsProblem(method: method, params: paramsObject) {
            return .reject(Self.error(id: requestID, code: -32602, "Invalid params for \(method): \(problem)"))
        }
        return .forward(.request(id: requestID, method: method, params: paramsObject))
    }

    /// What is wrong with the params of a request whose shape the SDK decodes strictly, if anything.
    static func paramsProblem(method: String, params: [String: JSONValue]) -> String? {
        func string(_ key: String, in object: [String: JSONValue], required: Bool = true) -> String? {
            switch object[key] {
            case .string?: return nil
            case nil where !required, .null? where !required: return nil
            case nil: return "\(key) is required (a string)"
            case let other?: return "\(key) must be a string, got \(other.typeName)"
            }
        }
        func objectOrAbsent(_ key: String, in object: [String: JSONValue]) -> String? {
            switch object[key] {
            case nil, .null?, .object?: return nil
            case let other?: return "\(key) must be an object, got \(other.typeName)"
            }
        }
        if let meta = params["_meta"] {
            guard let metaObject = meta.objectValue else { return "_meta must be an object, got \(meta.typeName)" }
            if let token = metaObject["progressToken"] {
                switch token {
                case .string, .int: break
                default: return "_meta.progressToken must be a string or an integer, got \(token.typeName)"
                }
            }
        }
        switch method {
        case "initialize":
            if let p = string("protocolVersion", in: params) { return p }
            guard params["capabilities"]?.objectValue != nil else { return "capabilities is required (an object)" }
            guard let info = params["clientInfo"]?.objectValue else { return "clientInfo is required (an object with name and version)" }
            return string("name", in: info) ?? string("version", in: info)
        case "tools/call":
            return string("name", in: params) ?? objectOrAbsent("arguments", in: params)
        case "resources/read", "resources/subscribe", "resources/unsubscribe":
            return string("uri", in: params)
        case "prompts/get":
            if let p = string("name", in: params) ?? objectOrAbsent("arguments", in: params) { return p }
            for (key, value) in params["arguments"]?.objectValue ?? [:] where value.stringValue == nil {
                return "arguments.\(key) must be a string, got \(value.typeName)"
            }
            return nil
        case "tools/list", "resources/list", "resources/templates/list", "prompts/list":
            return string("cursor", in: params, required: false)
        default:
            return nil
        }
    }

    /// A JSON-RPC error response.
    static func error(id: JSONValue, code: Int, _ message: String) -> Data {
        let response: JSONValue = ["jsonrpc": "2.0", "id": id, "error": ["code": .int(code), "message": .string(message)]]
        return Data(response.canonicalJSON.utf8)
    }
}
