/// Bounds that keep a hostile or broken document from exhausting memory, stack or time.
///
/// ```swift
/// let docs = try DocumentParser.parse(text: text, sourceName: "big.yaml",
///                                     limits: DocumentLimits(maxBytes: 4 << 20))
/// ```
public struct DocumentLimits: Sendable, Hashable {
    /// Largest accepted document, in UTF-8 bytes.
    public var maxBytes: Int
    /// Deepest nesting of arrays and objects.
    public var maxDepth: Int
    /// Most values (scalars, arrays, objects) in the document after YAML aliases are expanded.
    public var maxNodes: Int
    /// Longest single `${{ … }}` expression, in characters.
    public var maxExpressionLength: Int
    /// Deepest nesting inside one expression (parentheses, calls, operators).
    public var maxExpressionDepth: Int

    public init(
        maxBytes: Int = 1 << 20,
        maxDepth: Int = 100,
        maxNodes: Int = 100_000,
        maxExpressionLength: Int = 4_096,
        maxExpressionDepth: Int = 64
    ) {
        self.maxBytes = maxBytes
        self.maxDepth = maxDepth
        self.maxNodes = maxNodes
        self.maxExpressionLength = maxExpressionLength
        self.maxExpressionDepth = maxExpressionDepth
    }

    public static let `default` = DocumentLimits()
}
