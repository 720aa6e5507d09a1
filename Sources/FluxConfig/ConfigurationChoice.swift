import Foundation

/// A configuration value chosen from a fixed set of spellings (an enumerated key).
///
/// Parsing is case-insensitive and treats `_` and `-` alike, so `STREAMABLE_HTTP`
/// selects ``MCPTransport/streamableHTTP``.
///
/// ```swift
/// let level = LogLevel(configurationText: "WARNING") // .warning
/// ```
public protocol ConfigurationChoice: RawRepresentable, CaseIterable, Sendable where RawValue == String {
    /// A specific explanation for a spelling that is recognised but refused, or `nil`.
    static func refusal(for text: String) -> String?
}

extension ConfigurationChoice {
    public static func refusal(for text: String) -> String? { nil }

    /// Parses a spelling leniently (case-insensitive, `_` and `-` interchangeable); `nil` if it matches no case.
    public init?(configurationText text: String) {
        let wanted = Self.normalized(text)
        guard let match = Self.allCases.first(where: { Self.normalized($0.rawValue) == wanted }) else { return nil }
        self = match
    }

    /// The accepted spellings, quoted and comma-separated, for error messages and documentation.
    static var choicesList: String {
        allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", ")
    }

    private static func normalized(_ text: String) -> String {
        text.trimmingCharacters(in: .whitespaces).lowercased().replacingOccurrences(of: "_", with: "-")
    }
}
