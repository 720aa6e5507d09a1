import FluxCore

/// A document value with the place it came from: the parser's view of YAML or JSON before it becomes a model.
struct SourceNode: Sendable {
    indirect enum Kind: Sendable {
        case scalar(SourceScalar)
        case sequence([SourceNode])
        case mapping([SourceEntry])
    }

    var kind: Kind
    var line: Int?
    var column: Int?

    var json: JSONValue {
        switch kind {
        case .scalar(let s): return s.value
        case .sequence(let items): return .array(items.map(\.json))
        case .mapping(let entries):
            var object: [String: JSONValue] = [:]
            for entry in entries { object[entry.key] = entry.value.json }
            return .object(object)
        }
    }

    var entries: [SourceEntry]? {
        if case .mapping(let e) = kind { return e }
        return nil
    }

    var items: [SourceNode]? {
        if case .sequence(let i) = kind { return i }
        return nil
    }

    var scalar: SourceScalar? {
        if case .scalar(let s) = kind { return s }
        return nil
    }

    func entry(_ key: String) -> SourceEntry? {
        entries?.first { $0.key == key }
    }

    func value(_ key: String) -> SourceNode? {
        entry(key)?.value
    }

    /// Builds a location-less node from a JSON value (used for JSON that the YAML reader cannot take).
    init(json: JSONValue) {
        line = nil
        column = nil
        switch json {
        case .array(let a): kind = .sequence(a.map(SourceNode.init(json:)))
        case .object(let o):
            kind = .mapping(o.keys.sorted().map { key in
                SourceEntry(key: key, keyNode: SourceNode(kind: .scalar(SourceScalar(value: .string(key), isPlain: false)), line: nil, column: nil),
                            value: SourceNode(json: o[key]!))
            })
        default: kind = .scalar(SourceScalar(value: json, isPlain: false))
        }
    }

    init(kind: Kind, line: Int?, column: Int?) {
        self.kind = kind
        self.line = line
        self.column = column
    }

    /// How a value is named in messages: `"three"`, `12`, `true`, `null`, `an array`, `an object`.
    var foundDescription: String {
        switch kind {
        case .scalar(let s): return JSONValueText.describe(s.value)
        case .sequence: return "an array"
        case .mapping: return "an object"
        }
    }
}

struct SourceScalar: Sendable {
    var value: JSONValue
    /// Plain (unquoted) YAML scalars are the ones whose type was inferred.
    var isPlain: Bool
}

struct SourceEntry: Sendable {
    var key: String
    var keyNode: SourceNode
    var value: SourceNode
}

/// Text forms of JSON values for messages.
enum JSONValueText {
    static func canonical(_ value: JSONValue) -> String { value.canonicalJSON }

    /// A short description of a value for "found …" in messages.
    static func describe(_ value: JSONValue) -> String {
        switch value {
        case .array: return "an array"
        case .object: return "an object"
        case .string(let s):
            let shown = s.count > 40 ? String(s.prefix(40)) + "…" : s
            return JSONValue.string(shown).canonicalJSON
        default: return value.canonicalJSON
        }
    }
}
