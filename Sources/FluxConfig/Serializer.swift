/// The `serializer` key: how task inputs and outputs are stored.
///
/// Only JSON is supported. The Python original's `"pkl"` (pickle) is recognised
/// and refused with an explanation.
///
/// ```swift
/// precondition(configuration.serializer == .json)
/// ```
public enum Serializer: String, ConfigurationChoice {
    /// JSON serialization.
    case json

    public static func refusal(for text: String) -> String? {
        let lowered = text.trimmingCharacters(in: .whitespaces).lowercased()
        guard lowered == "pkl" || lowered == "pickle" else { return nil }
        return "pickle serialization (\"\(text)\") is not supported by Flux for Swift: "
            + "pickles are a Python-only format; use \"json\""
    }
}
