import Foundation

/// A `multipart/form-data` body split into its parts (RFC 7578 on RFC 2046's syntax).
///
/// Written here rather than taken from MultipartKit: MultipartKit 4.7.1 traps (array index out of range in its
/// header-name character table) on any header-name byte above 0x7F, so one upload could kill the server. This
/// parser checks every byte it reads and answers malformed input with a ``MultipartForm/ParseError``.
///
/// ```swift
/// let parts = try MultipartForm.parse(Array(body), boundary: "XyZ")
/// let file = parts.first { $0.dispositionParameter("name") == "file" }
/// ```
struct MultipartForm {
    /// One part: its header fields, in order, and its body bytes.
    struct Part: Sendable {
        var headers: [(name: String, value: String)]
        var body: [UInt8]

        /// The value of the first header called `name` (case-insensitive).
        func header(_ name: String) -> String? {
            headers.first { $0.name.lowercased() == name.lowercased() }?.value
        }

        /// A parameter of the part's Content-Disposition, such as `name` or `filename`.
        func dispositionParameter(_ key: String) -> String? {
            header("Content-Disposition").flatMap { RequestInput.parameter(key, in: $0) }
        }
    }

    /// Why a body is not a readable multipart/form-data body.
    enum ParseError: Error, Sendable, Equatable, CustomStringConvertible {
        case invalidBoundary
        case noOpeningBoundary
        case badBoundaryLine
        case unterminatedPart(index: Int)
        case malformedHeader(part: Int)
        case tooManyParts(limit: Int)

        var description: String {
            switch self {
            case .invalidBoundary:
                return "the boundary must be 1 to 70 characters of letters, digits and '()+_,-./:=? (RFC 2046)"
            case .noOpeningBoundary: return "the body does not start with the boundary of its Content-Type"
            case .badBoundaryLine: return "a boundary line is followed by something other than a line break"
            case .unterminatedPart(let index): return "part \(index + 1) is not closed by a boundary"
            case .malformedHeader(let part): return "part \(part + 1) has a header line that is not `Name: value` in ASCII/UTF-8"
            case .tooManyParts(let limit): return "the body has more than \(limit) parts"
            }
        }
    }

    static let maxParts = 100
    private static let crlf: [UInt8] = [13, 10]

    static func parse(_ bytes: [UInt8], boundary: String) throws(ParseError) -> [Part] {
        guard (1...70).contains(boundary.utf8.count), boundary.utf8.allSatisfy(isBoundaryCharacter), boundary.last != " " else {
            throw .invalidBoundary
        }
        let delimiter = Array("--".utf8) + Array(boundary.utf8)
        // The first delimiter opens the body; text before it (a preamble) is ignored, as RFC 2046 says.
        var position: Int
        if bytes.starts(with: delimiter) {
            position = delimiter.count
        } else if let found = find(crlf + delimiter, in: bytes, from: 0) {
            position = found + 2 + delimiter.count
        } else {
            throw .noOpeningBoundary
        }
        var parts: [Part] = []
        while true {
            if bytes.count >= position + 2, bytes[position] == 45, bytes[position + 1] == 45 { return parts }  // "--": the end
            position = try afterBoundaryLine(bytes, position)
            guard parts.count < maxParts else { throw .tooManyParts(limit: maxParts) }
            guard let end = find(crlf + delimiter, in: bytes, from: position) else { throw .unterminatedPart(index: parts.count) }
            parts.append(try part(Array(bytes[position..<end]), index: parts.count))
            position = end + 2 + delimiter.count
        }
    }

    /// Skips the transport padding after a boundary and the line break that must follow it.
    private static func afterBoundaryLine(_ bytes: [UInt8], _ start: Int) throws(ParseError) -> Int {
        var position = start
        while position < bytes.count, bytes[position] == 32 || bytes[position] == 9 { position += 1 }
        guard bytes.count >= position + 2, bytes[position] == 13, bytes[position + 1] == 10 else { throw .badBoundaryLine }
        return position + 2
    }

    private static func part(_ bytes: [UInt8], index: Int) throws(ParseError) -> Part {
        let headerEnd: Int
        let bodyStart: Int
        if bytes.starts(with: crlf) {
            headerEnd = 0
            bodyStart = 2
        } else if let blank = find(crlf + crlf, in: bytes, from: 0) {
            headerEnd = blank
            bodyStart = blank + 4
        } else {
            throw .malformedHeader(part: index)
        }
        var headers: [(name: String, value: String)] = []
        if headerEnd > 0 {
            var lineStart = 0
            while lineStart <= headerEnd {
                let lineEnd = find(crlf, in: bytes, from: lineStart).map { min($0, headerEnd) } ?? headerEnd
                let line = bytes[lineStart..<lineEnd]
                guard let colon = line.firstIndex(of: 58), colon > line.startIndex,
                      line[line.startIndex..<colon].allSatisfy(isTokenCharacter),
                      let value = String(validating: line[(colon + 1)...], as: UTF8.self)
                else { throw .malformedHeader(part: index) }
                let name = String(decoding: line[line.startIndex..<colon], as: UTF8.self)
                headers.append((name, value.trimmingCharacters(in: .whitespaces)))
                lineStart = lineEnd + 2
            }
        }
        return Part(headers: headers, body: Array(bytes[bodyStart...]))
    }

    /// The index where `needle` starts in `haystack` at or after `from`.
    static func find(_ needle: [UInt8], in haystack: [UInt8], from: Int) -> Int? {
        guard let first = needle.first, haystack.count >= needle.count else { return nil }
        var i = from
        let last = haystack.count - needle.count
        while i <= last {
            if haystack[i] == first, haystack[i..<(i + needle.count)].elementsEqual(needle) { return i }
            i += 1
        }
        return nil
    }

    /// RFC 2046 `bchars`.
    static func isBoundaryCharacter(_ byte: UInt8) -> Bool {
        switch byte {
        case 48...57, 65...90, 97...122: return true
        default: return Array("'()+_,-./:=? ".utf8).contains(byte)
        }
    }

    /// RFC 7230 `tchar`: what a header field name may contain.
    static func isTokenCharacter(_ byte: UInt8) -> Bool {
        switch byte {
        case 48...57, 65...90, 97...122: return true
        default: return Array("!#$%&'*+-.^_`|~".utf8).contains(byte)
        }
    }
}
