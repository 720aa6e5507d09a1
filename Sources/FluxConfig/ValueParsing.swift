import Foundation

/// Converts ``ConfigValue``s to Swift values, with the same lenient rules for every source:
/// TOML-typed values are taken as they are, and text (environment variables, overrides,
/// TOML strings) is parsed. Every failure is a ``ConfigurationError`` naming key and source.
struct ValueParser: Sendable {
    let key: String
    let source: ConfigurationSource

    func fail(_ expectation: String, _ raw: ConfigValue) -> ConfigurationError {
        .invalid(key, source, "expected \(expectation), found \(raw.found)")
    }

    // MARK: Booleans

    func boolean(_ raw: ConfigValue) throws(ConfigurationError) -> Bool {
        let expectation = "a boolean (true or false)"
        switch raw {
        case .boolean(let value):
            return value
        case .string(let text), .text(let text):
            switch text.trimmingCharacters(in: .whitespaces).lowercased() {
            case "true", "1", "yes", "on": return true
            case "false", "0", "no", "off": return false
            default: throw fail(expectation, raw)
            }
        default:
            throw fail(expectation, raw)
        }
    }

    // MARK: Integers

    /// An integer within optional bounds. A value that is not an integer at all is reported as
    /// "expected an integer" (or the full range, when the key has both bounds, like ports);
    /// an integer out of bounds is reported with the bounds.
    func integer(_ raw: ConfigValue, minimum: Int? = nil, maximum: Int? = nil) throws(ConfigurationError) -> Int {
        let expectation = Self.integerExpectation(minimum: minimum, maximum: maximum)
        let typeExpectation = minimum != nil && maximum != nil ? expectation : "an integer"
        let value: Int
        switch raw {
        case .integer(let number):
            value = number
        case .string(let text), .text(let text):
            guard let number = Self.parseInteger(text) else { throw fail(typeExpectation, raw) }
            value = number
        default:
            throw fail(typeExpectation, raw)
        }
        if let minimum, value < minimum { throw fail(expectation, raw) }
        if let maximum, value > maximum { throw fail(expectation, raw) }
        return value
    }

    static func integerExpectation(minimum: Int?, maximum: Int?) -> String {
        switch (minimum, maximum) {
        case let (low?, high?): return "an integer from \(low) to \(high)"
        case let (low?, nil): return "an integer of at least \(low)"
        case let (nil, high?): return "an integer of at most \(high)"
        case (nil, nil): return "an integer"
        }
    }

    /// Parses a decimal integer, allowing a sign and TOML-style `_` separators between digits.
    static func parseInteger(_ text: String) -> Int? {
        var body = Substring(text.trimmingCharacters(in: .whitespaces))
        var sign = ""
        if let first = body.first, first == "+" || first == "-" {
            sign = first == "-" ? "-" : ""
            body = body.dropFirst()
        }
        guard let first = body.first, let last = body.last, first.isASCII, first.isNumber, last.isASCII, last.isNumber,
              !body.contains("__"),
              body.allSatisfy({ ($0.isASCII && $0.isNumber) || $0 == "_" }) else { return nil }
        return Int(sign + body.replacingOccurrences(of: "_", with: ""))
    }

    // MARK: Numbers

    /// The lower bound of a number: `exclusive` means the value must be strictly greater.
    struct Bound: Sendable {
        let value: Double
        let exclusive: Bool
        static func atLeast(_ value: Double) -> Bound { Bound(value: value, exclusive: false) }
        static func greaterThan(_ value: Double) -> Bound { Bound(value: value, exclusive: true) }
    }

    func number(_ raw: ConfigValue, lowerBound: Bound? = nil) throws(ConfigurationError) -> Double {
        let expectation = Self.numberExpectation(lowerBound)
        let value: Double
        switch raw {
        case .float(let number):
            value = number
        case .integer(let number):
            value = Double(number)
        case .string(let text), .text(let text):
            let trimmed = text.trimmingCharacters(in: .whitespaces)
            if let integer = Self.parseInteger(trimmed) {
                value = Double(integer)
            } else if trimmed.allSatisfy({ $0.isASCII && ($0.isNumber || "+-.eE_".contains($0)) }),
                      let number = Double(trimmed.replacingOccurrences(of: "_", with: "")) {
                value = number
            } else {
                throw fail(expectation, raw)
            }
        default:
            throw fail(expectation, raw)
        }
        guard value.isFinite else { throw fail(expectation, raw) }
        if let lowerBound {
            if lowerBound.exclusive ? value <= lowerBound.value : value < lowerBound.value {
                throw fail(expectation, raw)
            }
        }
        return value
    }

    static func numberExpectation(_ bound: Bound?) -> String {
        guard let bound else { return "a number" }
        let limit = bound.value == bound.value.rounded() ? String(Int(bound.value)) : String(bound.value)
        return bound.exclusive ? "a number greater than \(limit)" : "a number of at least \(limit)"
    }

    // MARK: Strings

    /// A required string; surrounding whitespace is kept, but it may not be empty or blank.
    func string(_ raw: ConfigValue) throws(ConfigurationError) -> String {
        switch raw {
        case .string(let text), .text(let text):
            guard !text.trimmingCharacters(in: .whitespaces).isEmpty else { throw fail("a non-empty string", raw) }
            return text
        default:
            throw fail("a string", raw)
        }
    }

    /// An optional string: empty or blank text means "not set".
    func optionalString(_ raw: ConfigValue) throws(ConfigurationError) -> String? {
        switch raw {
        case .string(let text), .text(let text):
            return text.trimmingCharacters(in: .whitespaces).isEmpty ? nil : text
        default:
            throw fail("a string", raw)
        }
    }

    /// An `http://` or `https://` URL with a host.
    func httpURL(_ raw: ConfigValue) throws(ConfigurationError) -> String {
        let text = try string(raw)
        guard Self.isHTTPURL(text) else { throw fail("an http:// or https:// URL", raw) }
        return text
    }

    func optionalHTTPURL(_ raw: ConfigValue) throws(ConfigurationError) -> String? {
        guard let text = try optionalString(raw) else { return nil }
        guard Self.isHTTPURL(text) else { throw fail("an http:// or https:// URL", raw) }
        return text
    }

    static func isHTTPURL(_ text: String) -> Bool {
        guard let components = URLComponents(string: text.trimmingCharacters(in: .whitespaces)),
              let scheme = components.scheme?.lowercased(), scheme == "http" || scheme == "https",
              let host = components.host, !host.isEmpty else { return false }
        return true
    }

    // MARK: Lists

    /// A list of strings. TOML needs an array; text may be a JSON array (`["a","b"]`)
    /// or comma-separated (`a, b`), and empty text is the empty list.
    func stringList(_ raw: ConfigValue) throws(ConfigurationError) -> [String] {
        let expectation = "an array of strings"
        switch raw {
        case .array(let elements):
            var strings: [String] = []
            for element in elements {
                guard case .string(let text) = element else {
                    throw .invalid(key, source, "expected \(expectation), found an array containing \(element.found)")
                }
                strings.append(text)
            }
            return strings
        case .text(let text):
            let trimmed = text.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty { return [] }
            if trimmed.hasPrefix("[") {
                guard let data = trimmed.data(using: .utf8),
                      let decoded = try? JSONDecoder().decode([String].self, from: data) else {
                    let detail = "a JSON array of strings or comma-separated text"
                    throw .invalid(key, source, "expected \(expectation) (\(detail)), found \(raw.found)")
                }
                return decoded
            }
            return trimmed.split(separator: ",")
                .map { $0.trimmingCharacters(in: .whitespaces) }
                .filter { !$0.isEmpty }
        default:
            throw fail(expectation, raw)
        }
    }

    // MARK: Choices

    func choice<Choice: ConfigurationChoice>(_ raw: ConfigValue, as type: Choice.Type) throws(ConfigurationError) -> Choice {
        let expectation = "one of \(Choice.choicesList)"
        switch raw {
        case .string(let text), .text(let text):
            if let refusal = Choice.refusal(for: text) { throw .invalid(key, source, refusal) }
            guard let value = Choice(configurationText: text) else { throw fail(expectation, raw) }
            return value
        default:
            throw fail(expectation, raw)
        }
    }
}
