import FluxCore
import Foundation
import MCP

extension JSONValue {
    /// The same value as the MCP SDK's `Value`.
    var mcpValue: MCP.Value {
        switch self {
        case .null: return .null
        case .bool(let b): return .bool(b)
        case .int(let i): return .int(i)
        case .double(let d): return .double(d)
        case .string(let s): return .string(s)
        case .array(let a): return .array(a.map(\.mcpValue))
        case .object(let o): return .object(o.mapValues(\.mcpValue))
        }
    }
}

extension Value {
    /// The same value as Flux's `JSONValue` (binary `data:` values become their data-URL text again).
    var jsonValue: JSONValue {
        switch self {
        case .null: return .null
        case .bool(let b): return .bool(b)
        case .int(let i): return .int(i)
        case .double(let d): return .double(d)
        case .string(let s): return .string(s)
        case .data(let mimeType, let data):
            return .string("data:\(mimeType ?? "application/octet-stream");base64,\(data.base64EncodedString())")
        case .array(let a): return .array(a.map(\.jsonValue))
        case .object(let o): return .object(o.mapValues(\.jsonValue))
        }
    }
}
