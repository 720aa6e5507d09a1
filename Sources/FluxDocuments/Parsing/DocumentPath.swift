/// A path into a document such as `workflows[1].steps[2].retry.max_attempts`.
struct DocumentPath: Sendable, Hashable, CustomStringConvertible {
    enum Component: Sendable, Hashable {
        case key(String)
        case index(Int)
    }

    var components: [Component] = []

    static let root = DocumentPath()

    func appending(_ key: String) -> DocumentPath {
        var copy = self
        copy.components.append(.key(key))
        return copy
    }

    func appending(_ index: Int) -> DocumentPath {
        var copy = self
        copy.components.append(.index(index))
        return copy
    }

    static func / (lhs: DocumentPath, rhs: String) -> DocumentPath { lhs.appending(rhs) }
    static func / (lhs: DocumentPath, rhs: Int) -> DocumentPath { lhs.appending(rhs) }

    var description: String {
        // Very deep paths (only hostile documents have them) keep their two ends.
        let shown: [Component?] = components.count > 24
            ? components.prefix(10).map { $0 } + [nil] + components.suffix(10).map { $0 }
            : components.map { $0 }
        var out = ""
        for component in shown {
            guard let component else {
                out += "…"
                continue
            }
            switch component {
            case .index(let i): out += "[\(i)]"
            case .key(let k):
                if Self.isIdentifier(k) {
                    if !out.isEmpty { out += "." }
                    out += k
                } else {
                    out += "[" + JSONStringQuote.quote(k) + "]"
                }
            }
        }
        return out.isEmpty ? "$" : out
    }

    static func isIdentifier(_ s: String) -> Bool {
        guard let first = s.unicodeScalars.first, first == "_" || first.properties.isAlphabetic && first.isASCII else { return false }
        return s.unicodeScalars.allSatisfy { $0.isASCII && ($0 == "_" || $0.properties.isAlphabetic || ("0"..."9").contains($0)) }
    }
}

enum JSONStringQuote {
    /// A string as a JSON string literal.
    static func quote(_ s: String) -> String {
        JSONValueText.canonical(.string(s))
    }
}
