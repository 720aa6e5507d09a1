import FluxCore

/// How the doors read an input given as text: JSON when it parses, otherwise the text itself as a string,
/// as the original did (`flux workflow run hello_world World` and `... '"World"'` mean the same).
public enum InputValue {
    public static func parse(_ text: String?) -> JSONValue {
        guard let text else { return .null }
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.isEmpty { return .null }
        if let value = try? JSONValue(parsing: trimmed) { return value }
        return .string(text)
    }
}

import Foundation
