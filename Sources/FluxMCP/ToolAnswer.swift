import FluxCore

/// What a tool call answers, whichever path carries it: the SDK's `CallTool.Result` (stdio, the 2024-11-05 SSE
/// transport, calls with a progress token) or the JSON the streamable-HTTP transport writes itself.
///
/// ```swift
/// let answer = ToolAnswer(.success(["success": true]))
/// answer.json   // {"content": [{"type": "text", "text": "{\"success\":true}"}], "structuredContent": {...}, "isError": false}
/// ```
struct ToolAnswer: Sendable {
    /// The text mirror of the result (`content[0].text`).
    var text: String
    /// `structuredContent`.
    var structured: JSONValue
    var isError: Bool

    init(_ outcome: Result<JSONValue, ToolFailure>) {
        switch outcome {
        case .success(let value):
            text = value.canonicalJSON
            structured = value
            isError = false
        case .failure(let failure):
            text = "error (\(failure.code)): \(failure.message)"
            structured = ["success": false, "error": .string(failure.message), "error_code": .string(failure.code)]
            isError = true
        }
    }

    /// The `result` of the JSON-RPC response, as the SDK would encode the same `CallTool.Result`.
    var json: JSONValue {
        ["content": [["type": "text", "text": .string(text)]], "structuredContent": structured, "isError": .bool(isError)]
    }
}
