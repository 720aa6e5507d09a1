import Foundation

extension JSONValue: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let b = try? container.decode(Bool.self) {
            self = .bool(b)
        } else if let i = try? container.decode(Int.self) {
            self = .int(i)
        } else if let d = try? container.decode(Double.self) {
            self = .double(d)
        } else if let s = try? container.decode(String.self) {
            self = .string(s)
        } else if let a = try? container.decode([JSONValue].self) {
            self = .array(a)
        } else if let o = try? container.decode([String: JSONValue].self) {
            self = .object(o)
        } else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "not a JSON value")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let b): try container.encode(b)
        case .int(let i): try container.encode(i)
        case .double(let d): try container.encode(d)
        case .string(let s): try container.encode(s)
        case .array(let a): try container.encode(a)
        case .object(let o): try container.encode(o)
        }
    }
}

/// A value could not be converted between a Swift type and JSON.
public struct JSONConversionError: Error, Sendable, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}

extension JSONValue {
    /// Converts any `Encodable` value to JSON. Common scalar types take a fast path.
    ///
    /// ```swift
    /// let v = try JSONValue(encoding: ["a": 1])
    /// ```
    public init<T: Encodable>(encoding value: T) throws {
        switch value {
        case let v as JSONValue: self = v
        case let s as String: self = .string(s)
        case let i as Int: self = .int(i)
        case let d as Double: self = .double(d)
        case let b as Bool: self = .bool(b)
        case is NoInput: self = .null
        case let a as [String]: self = .array(a.map { .string($0) })
        case let a as [Int]: self = .array(a.map { .int($0) })
        case let a as [JSONValue]: self = .array(a)
        case let o as [String: JSONValue]: self = .object(o)
        default:
            let encoder = JSONEncoder()
            encoder.dateEncodingStrategy = .iso8601
            let data: Data
            do { data = try encoder.encode(value) } catch {
                throw JSONConversionError(message: "cannot encode \(T.self) as JSON: \(error)")
            }
            do { self = try JSONValue(parsing: data) } catch {
                throw JSONConversionError(message: "cannot encode \(T.self) as JSON: \(error)")
            }
        }
    }

    /// Converts this JSON value to a `Decodable` Swift type, with a message naming the type when it does not fit.
    public func decode<T: Decodable>(_ type: T.Type = T.self) throws -> T {
        let fast: Any?
        switch type {
        case is JSONValue.Type: fast = self
        case is String.Type: fast = stringValue
        case is Int.Type: fast = intValue
        case is Double.Type: fast = doubleValue
        case is Bool.Type: fast = boolValue
        case is NoInput.Type: fast = NoInput()
        default: fast = nil
        }
        if let fast, let result = fast as? T { return result }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        do {
            return try decoder.decode(T.self, from: canonicalData)
        } catch {
            throw JSONConversionError(message: "expected a value of type \(T.self), found \(typeName) \(canonicalJSON.prefix(200)): \(Self.describe(error))")
        }
    }

    static func describe(_ error: any Error) -> String {
        guard let e = error as? DecodingError else { return "\(error)" }
        func path(_ c: [any CodingKey]) -> String {
            c.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
        }
        switch e {
        case .typeMismatch(let t, let ctx): return "type mismatch at \(path(ctx.codingPath)): expected \(t)"
        case .valueNotFound(let t, let ctx): return "missing value at \(path(ctx.codingPath)): expected \(t)"
        case .keyNotFound(let k, let ctx): return "missing key '\(k.stringValue)' at \(path(ctx.codingPath))"
        case .dataCorrupted(let ctx): return "invalid data at \(path(ctx.codingPath)): \(ctx.debugDescription)"
        @unknown default: return "\(e)"
        }
    }
}

/// The input of a task or workflow that takes none.
public struct NoInput: Codable, Sendable, Hashable {
    public init() {}
    public init(from decoder: any Decoder) throws {}
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encodeNil()
    }
}
