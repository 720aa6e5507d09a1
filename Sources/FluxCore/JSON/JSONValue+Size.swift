extension JSONValue {
    /// About how many bytes this value takes as compact JSON, counted without writing it: strings count their
    /// UTF-8 bytes and quotes (not escapes), numbers a fixed 8. Used to bound what one execution records.
    ///
    /// ```swift
    /// JSONValue.object(["a": "xyz"]).estimatedSize   // 13
    /// ```
    public var estimatedSize: Int {
        switch self {
        case .null, .bool: return 5
        case .int, .double: return 8
        case .string(let s): return s.utf8.count + 2
        case .array(let items): return items.reduce(2) { $0 + $1.estimatedSize + 1 }
        case .object(let members): return members.reduce(2) { $0 + $1.key.utf8.count + 4 + $1.value.estimatedSize }
        }
    }
}
