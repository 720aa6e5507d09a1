import FluxCore
import FluxService
import Foundation

/// A tool call that could not do its work: reported to the client as a result with `isError: true`
/// and a message that says what to do, so that an assistant can correct itself.
struct ToolFailure: Error, Sendable {
    var code: String
    var message: String

    init(_ code: String, _ message: String) {
        self.code = code
        self.message = message
    }

    init(_ error: ServiceError, hint: String? = nil) {
        code = error.code.rawValue
        message = hint.map { error.message + ". " + $0 } ?? error.message
    }
}

/// The `arguments` of one tool call, read with the checks its input schema promises.
struct ToolArguments: Sendable {
    let tool: String
    let values: [String: JSONValue]

    init(tool: String, values: [String: JSONValue]) {
        self.tool = tool
        self.values = values
    }

    /// Refuses arguments the tool does not take, naming the ones it does.
    func allowOnly(_ names: [String]) throws(ToolFailure) {
        let unknown = values.keys.filter { !names.contains($0) }.sorted()
        guard unknown.isEmpty else {
            let accepted = names.isEmpty ? "it takes no arguments" : "it takes " + names.joined(separator: ", ")
            throw ToolFailure("invalid_arguments", "\(tool) does not take \(unknown.joined(separator: ", ")); \(accepted)")
        }
    }

    func string(_ name: String) throws(ToolFailure) -> String {
        guard let value = values[name], !value.isNull else {
            throw ToolFailure("invalid_arguments", "\(tool) needs \(name) (a string)")
        }
        guard let text = value.stringValue else {
            throw ToolFailure("invalid_arguments", "\(name) must be a string, got \(value.typeName)")
        }
        guard !text.isEmpty else { throw ToolFailure("invalid_arguments", "\(name) must not be empty") }
        return text
    }

    func optionalString(_ name: String) throws(ToolFailure) -> String? {
        guard let value = values[name], !value.isNull else { return nil }
        guard let text = value.stringValue else {
            throw ToolFailure("invalid_arguments", "\(name) must be a string, got \(value.typeName)")
        }
        return text.isEmpty ? nil : text
    }

    func bool(_ name: String, default fallback: Bool) throws(ToolFailure) -> Bool {
        guard let value = values[name], !value.isNull else { return fallback }
        if let flag = value.boolValue { return flag }
        if let text = value.stringValue?.lowercased() {
            if text == "true" { return true }
            if text == "false" { return false }
        }
        throw ToolFailure("invalid_arguments", "\(name) must be true or false, got \(value.typeName)")
    }

    func optionalInt(_ name: String, range: ClosedRange<Int>) throws(ToolFailure) -> Int? {
        guard let value = values[name], !value.isNull else { return nil }
        var number: Int?
        switch value {
        case .int(let i): number = i
        case .double(let d) where d.rounded() == d && abs(d) < 1e15: number = Int(d)
        case .string(let s): number = Int(s.trimmingCharacters(in: .whitespaces))
        default: number = nil
        }
        guard let number else {
            throw ToolFailure("invalid_arguments", "\(name) must be an integer, got \(value.typeName)")
        }
        guard range.contains(number) else {
            throw ToolFailure("invalid_arguments", "\(name) must be from \(range.lowerBound) to \(range.upperBound), got \(number)")
        }
        return number
    }

    /// `input_data`: any JSON value; a string is parsed as JSON when it is JSON and kept as text otherwise.
    func input(_ name: String = "input_data") -> JSONValue {
        guard let value = values[name] else { return .null }
        if case .string(let text) = value { return InputValue.parse(text) }
        return value
    }
}
