/// One problem found in a workflow document, with where it is.
///
/// ```text
/// hello.yaml:7:5: steps[2].retry.max_attempts: expected an integer ≥ 0, found "three"
/// ```
public struct DocumentError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The source name the caller passed to the parser (usually a file name).
    public var file: String
    /// 1-based line, when the document format gives one.
    public var line: Int?
    /// 1-based column (in characters), when the document format gives one.
    public var column: Int?
    /// Where in the document, as a path such as `steps[2].retry.max_attempts`; `$` is the whole document.
    public var path: String
    /// What was expected and what was found.
    public var message: String

    public init(file: String, line: Int?, column: Int?, path: String, message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.path = path.isEmpty ? "$" : path
        self.message = message
    }

    public var description: String {
        var location = file
        if let line {
            location += ":\(line)"
            if let column { location += ":\(column)" }
        }
        return "\(location): \(path): \(message)"
    }
}

/// Everything wrong with a workflow document, in document order.
public struct DocumentValidationError: Error, Sendable, Hashable, CustomStringConvertible {
    public var errors: [DocumentError]

    public init(errors: [DocumentError]) {
        self.errors = errors
    }

    public var description: String {
        errors.map(\.description).joined(separator: "\n")
    }
}

/// Where a part of a document came from: its path and, for YAML and JSON text, its line and column.
public struct DocumentLocation: Sendable, Hashable, CustomStringConvertible {
    public var path: String
    public var line: Int?
    public var column: Int?

    public init(path: String, line: Int? = nil, column: Int? = nil) {
        self.path = path
        self.line = line
        self.column = column
    }

    public var description: String {
        guard let line else { return path }
        return "\(line):\(column ?? 1): \(path)"
    }
}
