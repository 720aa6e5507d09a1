/// A JSON Schema `pattern`: an ECMA-262 regular expression, matched without backtracking.
///
/// The pattern compiles to a Thompson NFA that is simulated Pike-VM style, one set of states per input position, so
/// matching takes time proportional to (number of states × input length) whatever the pattern: `^(a+)+$` against
/// 10,000 `a`s and a `!` costs what `^a+$` does. The number of states is capped at ``maxStates`` (counted repetition
/// copies its operand, so `(a{1000}){1000}` is refused), which bounds the cost of one match.
///
/// Supported, as JSON Schema authors write them: literals, `.`, `\d \D \w \W \s \S \b \B`, `\p{…}`/`\P{…}` with
/// a general category (`L`, `Lu`, `Letter`, `gc=Nd`…) or `Any`, `ASCII`, `Alphabetic`, `White_Space`, `Uppercase`,
/// `Lowercase`; `\t \n \v \f \r \0 \cX \xHH \uHHHH \u{H…}` and escaped punctuation; classes `[…]`, `[^…]` with ranges
/// and class escapes; groups `(…)`, `(?:…)`, `(?<name>…)`; `|`; `* + ? {n} {n,} {n,m}` and their lazy forms (a lazy
/// quantifier matches the same strings); `^` and `$`. As in JSON Schema the pattern is not anchored: it matches when
/// it matches anywhere in the string. Matching is on Unicode scalars, with ECMA-262 semantics (`\d`, `\w` and `\b` are
/// ASCII; `.` excludes only `\n \r \u2028 \u2029`; `$` matches only at the very end).
///
/// Refused with a located ``SchemaPatternError``: backreferences and lookaround (they need backtracking), inline
/// flags, and malformed patterns.
///
/// ```swift
/// let p = try SchemaPattern("^[a-z]+(-[a-z]+)*$")
/// p.matches("order-report")   // true
/// ```
package struct SchemaPattern: Sendable {
    /// The most NFA states a pattern may compile to.
    package static let maxStates = 2_000
    /// The deepest group nesting accepted.
    package static let maxNesting = 100

    package let source: String
    private let program: [Instruction]
    private let sets: [ScalarSet]
    /// Every match must begin with `^`: only position 0 can start one.
    private let anchoredAtStart: Bool

    package init(_ source: String) throws(SchemaPatternError) {
        var parser = Parser(source)
        let tree = try parser.parse()
        var compiler = Compiler()
        try compiler.compile(tree)
        try compiler.emit(Instruction(.match))
        self.source = source
        self.program = compiler.program
        self.sets = parser.sets
        self.anchoredAtStart = Self.isAnchoredAtStart(compiler.program)
    }

    /// The most a match against `scalars` Unicode scalars can cost, in state visits: matching is linear in the
    /// text, with this factor.
    package func cost(scalars: Int) -> Int { program.count * (scalars + 1) }

    /// Whether the pattern matches anywhere in `text`.
    package func matches(_ text: String) -> Bool {
        var machine = Machine(program: program, sets: sets, input: text.unicodeScalars.map(\.value))
        return machine.run(anchoredAtStart: anchoredAtStart)
    }

    private static func isAnchoredAtStart(_ program: [Instruction]) -> Bool {
        var seen = [Bool](repeating: false, count: program.count)
        var stack = [0]
        while let pc = stack.popLast() {
            guard pc < program.count, !seen[pc] else { continue }
            seen[pc] = true
            let inst = program[pc]
            switch inst.op {
            case .start: continue
            case .jump: stack.append(inst.x)
            case .split: stack.append(inst.x); stack.append(inst.y)
            default: return false
            }
        }
        return true
    }
}

/// A pattern that cannot be used, and where in it the problem is.
package struct SchemaPatternError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The offset, in Unicode scalars from 0, of the construct at fault.
    package var offset: Int
    package var message: String

    package init(offset: Int, message: String) {
        self.offset = offset
        self.message = message
    }

    package var description: String { "\(message) (at offset \(offset))" }
}

// MARK: - Program

private enum Op: UInt8, Sendable {
    /// Consumes the scalar `x`.
    case scalar
    /// Consumes a scalar of `sets[x]`.
    case set
    /// Continues at `x` and at `y`.
    case split
    case jump
    /// `^`, `$`, `\b`, `\B`.
    case start, end, wordBoundary, notWordBoundary
    case match
}

private struct Instruction: Sendable {
    var op: Op
    var x: Int
    var y: Int

    init(_ op: Op, _ x: Int = 0, _ y: Int = 0) {
        self.op = op
        self.x = x
        self.y = y
    }
}

// MARK: - Character sets

/// A set of Unicode scalars: sorted disjoint ranges, plus Unicode properties, optionally negated as a whole.
private struct ScalarSet: Sendable {
    var ranges: [ClosedRange<UInt32>]
    var properties: [PropertyItem]
    var negated: Bool
    /// Membership of the ASCII scalars, negation applied.
    private var asciiLow: UInt64 = 0
    private var asciiHigh: UInt64 = 0

    init(ranges: [ClosedRange<UInt32>], properties: [PropertyItem] = [], negated: Bool = false) {
        self.ranges = Self.normalized(ranges)
        self.properties = properties
        self.negated = negated
        for c in UInt32(0)..<128 where contains(slow: c) {
            if c < 64 { asciiLow |= 1 << UInt64(c) } else { asciiHigh |= 1 << UInt64(c - 64) }
        }
    }

    func contains(_ c: UInt32) -> Bool {
        if c < 64 { return asciiLow >> UInt64(c) & 1 == 1 }
        if c < 128 { return asciiHigh >> UInt64(c - 64) & 1 == 1 }
        return contains(slow: c)
    }

    private func contains(slow c: UInt32) -> Bool {
        var lo = 0, hi = ranges.count
        var found = false
        while lo < hi {
            let mid = (lo + hi) / 2
            if ranges[mid].upperBound < c { lo = mid + 1 } else if ranges[mid].lowerBound > c { hi = mid } else { found = true; break }
        }
        if !found, !properties.isEmpty, let scalar = Unicode.Scalar(c) {
            found = properties.contains { $0.contains(scalar) }
        }
        return found != negated
    }

    static func normalized(_ ranges: [ClosedRange<UInt32>]) -> [ClosedRange<UInt32>] {
        var out: [ClosedRange<UInt32>] = []
        for r in ranges.sorted(by: { $0.lowerBound < $1.lowerBound }) {
            if let last = out.last, r.lowerBound <= last.upperBound &+ 1 {
                out[out.count - 1] = last.lowerBound...max(last.upperBound, r.upperBound)
            } else {
                out.append(r)
            }
        }
        return out
    }

    static func complement(_ ranges: [ClosedRange<UInt32>]) -> [ClosedRange<UInt32>] {
        var out: [ClosedRange<UInt32>] = []
        var next: UInt32 = 0
        for r in normalized(ranges) {
            if r.lowerBound > next { out.append(next...(r.lowerBound - 1)) }
            next = r.upperBound &+ 1
        }
        if next <= 0x10FFFF { out.append(next...0x10FFFF) }
        return out
    }

    static let digit: [ClosedRange<UInt32>] = [0x30...0x39]
    static let word: [ClosedRange<UInt32>] = [0x30...0x39, 0x41...0x5A, 0x5F...0x5F, 0x61...0x7A]
    /// ECMA-262 WhiteSpace and LineTerminator.
    static let space: [ClosedRange<UInt32>] = [
        0x09...0x0D, 0x20...0x20, 0xA0...0xA0, 0x1680...0x1680, 0x2000...0x200A, 0x2028...0x2029,
        0x202F...0x202F, 0x205F...0x205F, 0x3000...0x3000, 0xFEFF...0xFEFF,
    ]
    static let lineTerminators: [ClosedRange<UInt32>] = [0x0A...0x0A, 0x0D...0x0D, 0x2028...0x2029]

    static func isWord(_ c: UInt32) -> Bool {
        (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || c == 0x5F || (c >= 0x61 && c <= 0x7A)
    }
}

/// `\p{…}` or `\P{…}`.
private struct PropertyItem: Sendable {
    enum Property: Sendable {
        /// A mask of ``generalCategoryBit(_:)``.
        case categories(UInt32)
        case any, ascii, alphabetic, whiteSpace, uppercase, lowercase
    }

    var property: Property
    var negated: Bool

    func contains(_ s: Unicode.Scalar) -> Bool {
        let yes: Bool
        switch property {
        case .categories(let mask): yes = mask & (1 << Self.generalCategoryBit(s.properties.generalCategory)) != 0
        case .any: yes = true
        case .ascii: yes = s.isASCII
        case .alphabetic: yes = s.properties.isAlphabetic
        case .whiteSpace: yes = s.properties.isWhitespace
        case .uppercase: yes = s.properties.isUppercase
        case .lowercase: yes = s.properties.isLowercase
        }
        return yes != negated
    }

    /// The general categories, in the order of their bits, with their short and long names.
    static let categoryNames: [(short: String, long: String)] = [
        ("Lu", "Uppercase_Letter"), ("Ll", "Lowercase_Letter"), ("Lt", "Titlecase_Letter"), ("Lm", "Modifier_Letter"),
        ("Lo", "Other_Letter"), ("Mn", "Nonspacing_Mark"), ("Mc", "Spacing_Mark"), ("Me", "Enclosing_Mark"),
        ("Nd", "Decimal_Number"), ("Nl", "Letter_Number"), ("No", "Other_Number"), ("Pc", "Connector_Punctuation"),
        ("Pd", "Dash_Punctuation"), ("Ps", "Open_Punctuation"), ("Pe", "Close_Punctuation"),
        ("Pi", "Initial_Punctuation"), ("Pf", "Final_Punctuation"), ("Po", "Other_Punctuation"), ("Sm", "Math_Symbol"),
        ("Sc", "Currency_Symbol"), ("Sk", "Modifier_Symbol"), ("So", "Other_Symbol"), ("Zs", "Space_Separator"),
        ("Zl", "Line_Separator"), ("Zp", "Paragraph_Separator"), ("Cc", "Control"), ("Cf", "Format"),
        ("Cs", "Surrogate"), ("Co", "Private_Use"), ("Cn", "Unassigned"),
    ]

    static func generalCategoryBit(_ c: Unicode.GeneralCategory) -> UInt32 {
        switch c {
        case .uppercaseLetter: 0
        case .lowercaseLetter: 1
        case .titlecaseLetter: 2
        case .modifierLetter: 3
        case .otherLetter: 4
        case .nonspacingMark: 5
        case .spacingMark: 6
        case .enclosingMark: 7
        case .decimalNumber: 8
        case .letterNumber: 9
        case .otherNumber: 10
        case .connectorPunctuation: 11
        case .dashPunctuation: 12
        case .openPunctuation: 13
        case .closePunctuation: 14
        case .initialPunctuation: 15
        case .finalPunctuation: 16
        case .otherPunctuation: 17
        case .mathSymbol: 18
        case .currencySymbol: 19
        case .modifierSymbol: 20
        case .otherSymbol: 21
        case .spaceSeparator: 22
        case .lineSeparator: 23
        case .paragraphSeparator: 24
        case .control: 25
        case .format: 26
        case .surrogate: 27
        case .privateUse: 28
        case .unassigned: 29
        @unknown default: 29
        }
    }

    /// The property a `\p{…}` name denotes, or nil.
    static func named(_ name: String) -> Property? {
        var name = name
        for prefix in ["General_Category=", "gc="] where name.hasPrefix(prefix) {
            name.removeFirst(prefix.count)
            return categories(name)
        }
        switch name {
        case "Any": return .any
        case "ASCII": return .ascii
        case "Alphabetic", "Alpha": return .alphabetic
        case "White_Space", "space": return .whiteSpace
        case "Uppercase", "Upper": return .uppercase
        case "Lowercase", "Lower": return .lowercase
        default: return categories(name)
        }
    }

    private static func categories(_ name: String) -> Property? {
        let groups: [String: String] = [
            "L": "L", "Letter": "L", "LC": "LC", "Cased_Letter": "LC", "M": "M", "Mark": "M", "Combining_Mark": "M",
            "N": "N", "Number": "N", "P": "P", "Punctuation": "P", "punct": "P", "S": "S", "Symbol": "S",
            "Z": "Z", "Separator": "Z", "C": "C", "Other": "C", "digit": "Nd", "cntrl": "Cc",
        ]
        let key = groups[name] ?? name
        var mask: UInt32 = 0
        for (bit, names) in categoryNames.enumerated() {
            let short = names.short
            let hit = key == "LC" ? ["Lu", "Ll", "Lt"].contains(short)
                : key.count == 1 ? short.hasPrefix(key)
                : short == key || names.long == key
            if hit { mask |= 1 << UInt32(bit) }
        }
        return mask == 0 ? nil : .categories(mask)
    }
}

// MARK: - Parsing

private indirect enum Node {
    case empty
    case scalar(UInt32)
    /// An index in `Parser.sets`.
    case set(Int)
    case concat([Node])
    case alternation([Node])
    case repetition(Node, min: Int, max: Int?, offset: Int)
    case assertion(Op)
}

private struct Parser {
    let chars: [Unicode.Scalar]
    var pos = 0
    var depth = 0
    var sets: [ScalarSet] = []
    /// Sets shared by every use (`.`, `\d`…), by name.
    var namedSets: [String: Int] = [:]

    /// Numbers in `{n,m}` are clamped here; anything this large overflows ``SchemaPattern/maxStates`` anyway.
    static let countLimit = 1_000_000

    init(_ source: String) {
        chars = Array(source.unicodeScalars)
    }

    func peek(_ ahead: Int = 0) -> Unicode.Scalar? { pos + ahead < chars.count ? chars[pos + ahead] : nil }
    func error(_ offset: Int, _ message: String) -> SchemaPatternError { SchemaPatternError(offset: offset, message: message) }

    mutating func parse() throws(SchemaPatternError) -> Node {
        let node = try parseAlternation()
        if let c = peek(), c == ")" { throw error(pos, "unmatched ')': no group is open") }
        return node
    }

    mutating func parseAlternation() throws(SchemaPatternError) -> Node {
        var branches = [try parseSequence()]
        while peek() == "|" {
            pos += 1
            branches.append(try parseSequence())
        }
        return branches.count == 1 ? branches[0] : .alternation(branches)
    }

    mutating func parseSequence() throws(SchemaPatternError) -> Node {
        var items: [Node] = []
        while let c = peek(), c != "|", c != ")" {
            let atomOffset = pos
            let atom = try parseAtom()
            items.append(try parseQuantifiers(atom, atomOffset: atomOffset))
        }
        return items.isEmpty ? .empty : items.count == 1 ? items[0] : .concat(items)
    }

    mutating func parseAtom() throws(SchemaPatternError) -> Node {
        let start = pos
        guard let c = peek() else { throw error(pos, "unexpected end of the pattern") }
        pos += 1
        switch c {
        case "^": return .assertion(.start)
        case "$": return .assertion(.end)
        case ".": return .set(named(".") { ScalarSet(ranges: ScalarSet.lineTerminators, negated: true) })
        case "(": return try parseGroup(start)
        case "[": return try parseClass(start)
        case "\\": return try parseEscape(start)
        case "*", "+", "?":
            throw error(start, "nothing to repeat: the quantifier '\(c)' has no item before it (escape it as \\\(c) for a literal)")
        case "{":
            pos = start
            if try parseBraces() != nil { throw error(start, "nothing to repeat: the quantifier '{' has no item before it") }
            throw error(start, "'{' does not start a repetition {n}, {n,} or {n,m}; escape it as \\{ for a literal brace")
        case "}": throw error(start, "unmatched '}'; escape it as \\} for a literal brace")
        default: return .scalar(c.value)  // including a lone ']'
        }
    }

    mutating func named(_ name: String, _ make: () -> ScalarSet) -> Int {
        if let i = namedSets[name] { return i }
        sets.append(make())
        namedSets[name] = sets.count - 1
        return sets.count - 1
    }

    mutating func parseGroup(_ start: Int) throws(SchemaPatternError) -> Node {
        if peek() == "?" {
            switch (peek(1), peek(2)) {
            case (":", _): pos += 2
            case ("=", _), ("!", _): throw error(start, "lookahead '(?\(peek(1) ?? " ")…)' is not supported: it needs backtracking")
            case ("<", "="), ("<", "!"): throw error(start, "lookbehind '(?<\(peek(2) ?? " ")…)' is not supported: it needs backtracking")
            case ("<", _):
                pos += 2
                let nameStart = pos
                while let c = peek(), c != ">" {
                    guard c.properties.isAlphabetic || c == "_" || c == "$" || (pos > nameStart && ("0"..."9").contains(c)) else {
                        throw error(pos, "invalid character '\(c)' in the group name starting at offset \(nameStart)")
                    }
                    pos += 1
                }
                guard peek() == ">" else { throw error(start, "unterminated group name: '(?<' needs a closing '>'") }
                guard pos > nameStart else { throw error(start, "empty group name in '(?<>'") }
                pos += 1
            default:
                throw error(start, "unsupported group '(?\(peek(1).map { String($0) } ?? "")': only (…), (?:…) and (?<name>…) are supported")
            }
        }
        depth += 1
        defer { depth -= 1 }
        if depth > SchemaPattern.maxNesting {
            throw error(start, "groups are nested more than \(SchemaPattern.maxNesting) deep")
        }
        let inner = try parseAlternation()
        guard peek() == ")" else { throw error(start, "unclosed group: '(' has no matching ')'") }
        pos += 1
        return inner
    }

    /// `{n}`, `{n,}` or `{n,m}` at `pos`: consumes it and returns the bounds, or returns nil and consumes nothing.
    mutating func parseBraces() throws(SchemaPatternError) -> (min: Int, max: Int?)? {
        let start = pos
        guard peek() == "{" else { return nil }
        pos += 1
        guard let min = number() else { pos = start; return nil }
        var max: Int? = min
        if peek() == "," {
            pos += 1
            max = number()
        }
        guard peek() == "}" else { pos = start; return nil }
        pos += 1
        if let max, max < min { throw error(start, "repetition {\(min),\(max)} has its bounds out of order") }
        return (min, max)
    }

    mutating func number() -> Int? {
        var value: Int?
        while let c = peek(), ("0"..."9").contains(c) {
            value = Swift.min((value ?? 0) * 10 + Int(c.value - 0x30), Self.countLimit)
            pos += 1
        }
        return value
    }

    mutating func parseQuantifiers(_ atom: Node, atomOffset: Int) throws(SchemaPatternError) -> Node {
        let start = pos
        var bounds: (min: Int, max: Int?)
        switch peek() {
        case "*": bounds = (0, nil); pos += 1
        case "+": bounds = (1, nil); pos += 1
        case "?": bounds = (0, 1); pos += 1
        case "{":
            guard let b = try parseBraces() else {
                throw error(start, "'{' does not start a repetition {n}, {n,} or {n,m}; escape it as \\{ for a literal brace")
            }
            bounds = b
        default: return atom
        }
        if case .assertion = atom, chars[atomOffset] != "(" {
            throw error(start, "nothing to repeat: the anchor at offset \(atomOffset) cannot take a quantifier")
        }
        if peek() == "?" { pos += 1 }  // lazy: the same strings match
        let next = pos
        if let c = peek(), c == "*" || c == "+" || c == "?" || (c == "{" && (try? parseBraces()) != nil) {
            if c == "+" { throw error(next, "possessive quantifiers (such as '*+') are not supported") }
            throw error(next, "a quantifier cannot follow another quantifier; wrap the first in (?:…) to repeat it")
        }
        return .repetition(atom, min: bounds.min, max: bounds.max, offset: start)
    }

    mutating func parseEscape(_ start: Int) throws(SchemaPatternError) -> Node {
        guard let c = peek() else { throw error(start, "the pattern ends with a lone '\\'") }
        switch c {
        case "b": pos += 1; return .assertion(.wordBoundary)
        case "B": pos += 1; return .assertion(.notWordBoundary)
        case "1"..."9":
            throw error(start, "backreferences ('\\\(c)') are not supported: they need backtracking")
        case "k" where peek(1) == "<":
            throw error(start, "named backreferences ('\\k<…>') are not supported: they need backtracking")
        default:
            switch try parseClassEscape(start, inClass: false) {
            case .scalar(let v): return .scalar(v)
            case .set(let i): return .set(i)
            }
        }
    }

    enum ClassAtom {
        case scalar(UInt32)
        case set(Int)
    }

    /// An escape after the `\` at `start`, valid in and out of classes (`\b` and backreferences are handled by callers).
    mutating func parseClassEscape(_ start: Int, inClass: Bool) throws(SchemaPatternError) -> ClassAtom {
        guard let c = peek() else { throw error(start, "the pattern ends with a lone '\\'") }
        pos += 1
        switch c {
        case "d": return .set(named("\\d") { ScalarSet(ranges: ScalarSet.digit) })
        case "D": return .set(named("\\D") { ScalarSet(ranges: ScalarSet.digit, negated: true) })
        case "w": return .set(named("\\w") { ScalarSet(ranges: ScalarSet.word) })
        case "W": return .set(named("\\W") { ScalarSet(ranges: ScalarSet.word, negated: true) })
        case "s": return .set(named("\\s") { ScalarSet(ranges: ScalarSet.space) })
        case "S": return .set(named("\\S") { ScalarSet(ranges: ScalarSet.space, negated: true) })
        case "p", "P":
            guard peek() == "{" else { throw error(start, "'\\\(c)' needs a property name in braces, such as \\\(c){L}") }
            pos += 1
            var name = ""
            while let n = peek(), n != "}" { name.unicodeScalars.append(n); pos += 1 }
            guard peek() == "}" else { throw error(start, "unterminated '\\\(c){': missing '}'") }
            pos += 1
            guard let property = PropertyItem.named(name) else {
                throw error(start, "unsupported Unicode property '\\\(c){\(name)}' (supported: general categories such as L, Lu, Nd, P, and Any, ASCII, Alphabetic, White_Space, Uppercase, Lowercase)")
            }
            let item = PropertyItem(property: property, negated: c == "P")
            return .set(named("\\\(c){\(name)}") { ScalarSet(ranges: [], properties: [item]) })
        case "t": return .scalar(0x09)
        case "n": return .scalar(0x0A)
        case "v": return .scalar(0x0B)
        case "f": return .scalar(0x0C)
        case "r": return .scalar(0x0D)
        case "0":
            if let d = peek(), ("0"..."9").contains(d) {
                throw error(start, "octal escapes ('\\0\(d)') are not supported; use \\xHH or \\uHHHH")
            }
            return .scalar(0)
        case "c":
            guard let l = peek(), ("a"..."z").contains(l) || ("A"..."Z").contains(l) else {
                throw error(start, "'\\c' must be followed by a letter (a control character such as \\cJ)")
            }
            pos += 1
            return .scalar(l.value % 32)
        case "x":
            guard let v = hex(count: 2) else { throw error(start, "'\\x' must be followed by two hexadecimal digits") }
            return .scalar(v)
        case "u":
            return .scalar(try parseUnicodeEscape(start))
        case "1"..."9" where inClass:
            throw error(start, "octal escapes ('\\\(c)') are not supported in a character class; use \\xHH or \\uHHHH")
        case "-" where inClass:
            return .scalar(c.value)
        default:
            if c.isASCII && (c.properties.isAlphabetic || ("0"..."9").contains(c)) {
                throw error(start, "unknown escape '\\\(c)'")
            }
            return .scalar(c.value)  // an escaped metacharacter or punctuation: itself
        }
    }

    /// After `\u`: `HHHH` (a surrogate pair `\uHHHH\uHHHH` makes one scalar) or `{H…}`.
    mutating func parseUnicodeEscape(_ start: Int) throws(SchemaPatternError) -> UInt32 {
        if peek() == "{" {
            pos += 1
            var value: UInt32 = 0
            var digits = 0
            while let c = peek(), let d = Self.hexValue(c) {
                value = value > 0x10FFFF ? value : value * 16 + d
                digits += 1
                pos += 1
            }
            guard digits > 0, peek() == "}" else { throw error(start, "'\\u{' must be followed by hexadecimal digits and '}'") }
            pos += 1
            guard value <= 0x10FFFF else { throw error(start, "'\\u{…}' is beyond U+10FFFF") }
            return value
        }
        guard let high = hex(count: 4) else {
            throw error(start, "'\\u' must be followed by four hexadecimal digits or {…}")
        }
        if (0xD800...0xDBFF).contains(high), peek() == "\\", peek(1) == "u" {
            let save = pos
            pos += 2
            if let low = hex(count: 4), (0xDC00...0xDFFF).contains(low) {
                return 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)
            }
            pos = save
        }
        return high  // a lone surrogate matches nothing: strings hold no surrogates
    }

    mutating func hex(count: Int) -> UInt32? {
        var value: UInt32 = 0
        for i in 0..<count {
            guard let c = peek(i), let d = Self.hexValue(c) else { return nil }
            value = value * 16 + d
        }
        pos += count
        return value
    }

    static func hexValue(_ c: Unicode.Scalar) -> UInt32? {
        switch c {
        case "0"..."9": c.value - 0x30
        case "a"..."f": c.value - 0x61 + 10
        case "A"..."F": c.value - 0x41 + 10
        default: nil
        }
    }

    mutating func parseClass(_ start: Int) throws(SchemaPatternError) -> Node {
        var negated = false
        if peek() == "^" { negated = true; pos += 1 }
        var ranges: [ClosedRange<UInt32>] = []
        var properties: [PropertyItem] = []
        while true {
            guard let c = peek() else { throw error(start, "unclosed character class: '[' has no matching ']'") }
            if c == "]" { pos += 1; break }
            let firstOffset = pos
            let first = try parseClassAtom()
            if peek() == "-", let after = peek(1), after != "]" {
                pos += 1
                let secondOffset = pos
                let second = try parseClassAtom()
                guard case .scalar(let lo) = first, case .scalar(let hi) = second else {
                    let offset = if case .set = first { firstOffset } else { secondOffset }
                    throw error(offset, "a class escape such as \\d cannot be the end of a range in a character class; escape the '-' as \\- for a literal")
                }
                guard lo <= hi else {
                    throw error(firstOffset, "range out of order in character class: \(Self.show(lo))-\(Self.show(hi))")
                }
                ranges.append(lo...hi)
                continue
            }
            switch first {
            case .scalar(let v): ranges.append(v...v)
            case .set(let i):
                let s = sets[i]
                if s.properties.isEmpty {
                    ranges += s.negated ? ScalarSet.complement(s.ranges) : s.ranges
                } else {
                    properties += s.properties  // \p{…} and \P{…} carry no ranges and are not negated as a whole
                }
            }
        }
        sets.append(ScalarSet(ranges: ranges, properties: properties, negated: negated))
        return .set(sets.count - 1)
    }

    mutating func parseClassAtom() throws(SchemaPatternError) -> ClassAtom {
        let start = pos
        guard let c = peek() else { throw error(start, "unexpected end of the pattern in a character class") }
        pos += 1
        guard c == "\\" else { return .scalar(c.value) }
        if peek() == "b" { pos += 1; return .scalar(0x08) }  // [\b] is backspace
        if peek() == "B" { throw error(start, "'\\B' is not allowed in a character class") }
        return try parseClassEscape(start, inClass: true)
    }

    static func show(_ v: UInt32) -> String {
        guard let s = Unicode.Scalar(v), v >= 0x20, v < 0x7F else { return "\\u{\(String(v, radix: 16, uppercase: true))}" }
        return String(Character(s))
    }
}

// MARK: - Compiling

private struct Compiler {
    var program: [Instruction] = []
    /// Offsets of the repetitions being expanded, outermost first.
    var repetitions: [Int] = []

    mutating func emit(_ inst: Instruction) throws(SchemaPatternError) {
        guard program.count < SchemaPattern.maxStates else {
            throw SchemaPatternError(
                offset: repetitions.first ?? 0,
                message: "the pattern expands to more than \(SchemaPattern.maxStates) states"
                    + (repetitions.isEmpty ? "; shorten it" : "; reduce the repetition counts")
            )
        }
        program.append(inst)
    }

    mutating func compile(_ node: Node) throws(SchemaPatternError) {
        switch node {
        case .empty: break
        case .scalar(let v): try emit(Instruction(.scalar, Int(v)))
        case .set(let i): try emit(Instruction(.set, i))
        case .assertion(let op): try emit(Instruction(op))
        case .concat(let items):
            for item in items { try compile(item) }
        case .alternation(let branches):
            var exits: [Int] = []
            for (i, branch) in branches.enumerated() {
                if i < branches.count - 1 {
                    let split = program.count
                    try emit(Instruction(.split, split + 1, 0))
                    try compile(branch)
                    exits.append(program.count)
                    try emit(Instruction(.jump))
                    program[split].y = program.count
                } else {
                    try compile(branch)
                }
            }
            for e in exits { program[e].x = program.count }
        case .repetition(let body, let min, let max, let offset):
            repetitions.append(offset)
            defer { repetitions.removeLast() }
            for _ in 0..<min {
                let before = program.count
                try compile(body)
                if program.count == before { break }  // the body is empty: copies add nothing
            }
            if let max {
                var exits: [Int] = []
                for _ in 0..<(max - min) {
                    exits.append(program.count)
                    try emit(Instruction(.split, program.count + 1, 0))
                    let before = program.count
                    try compile(body)
                    if program.count == before { break }
                }
                for e in exits { program[e].y = program.count }
            } else {
                let loop = program.count
                try emit(Instruction(.split, loop + 1, 0))
                try compile(body)
                try emit(Instruction(.jump, loop))
                program[loop].y = program.count
            }
        }
    }
}

// MARK: - Matching

/// Pike VM: the threads alive at one position are a set of program counters; each step moves them all past one scalar.
private struct Machine {
    let program: [Instruction]
    let sets: [ScalarSet]
    let input: [UInt32]
    /// `marks[pc] == position + 1` when `pc` is already in the list for `position`.
    var marks: [Int]
    var stack: [Int] = []

    init(program: [Instruction], sets: [ScalarSet], input: [UInt32]) {
        self.program = program
        self.sets = sets
        self.input = input
        self.marks = [Int](repeating: 0, count: program.count)
    }

    mutating func run(anchoredAtStart: Bool) -> Bool {
        var current: [Int] = []
        var next: [Int] = []
        current.reserveCapacity(program.count)
        next.reserveCapacity(program.count)
        for i in 0...input.count {
            // A match may start here (the pattern is not anchored).
            if i == 0 || !anchoredAtStart {
                if add(0, at: i, to: &current) { return true }
            }
            if i == input.count || current.isEmpty && anchoredAtStart { return false }
            let c = input[i]
            next.removeAll(keepingCapacity: true)
            for pc in current {
                let inst = program[pc]
                let consumed = switch inst.op {
                case .scalar: UInt32(truncatingIfNeeded: inst.x) == c
                case .set: sets[inst.x].contains(c)
                default: false
                }
                if consumed, add(pc + 1, at: i + 1, to: &next) { return true }
            }
            swap(&current, &next)
        }
        return false
    }

    /// Adds `pc` and what it reaches without consuming input at `position`; true when that reaches `match`.
    private mutating func add(_ pc: Int, at position: Int, to list: inout [Int]) -> Bool {
        let mark = position + 1
        stack.append(pc)
        while let pc = stack.popLast() {
            guard marks[pc] != mark else { continue }
            marks[pc] = mark
            let inst = program[pc]
            switch inst.op {
            case .scalar, .set: list.append(pc)
            case .match: stack.removeAll(keepingCapacity: true); return true
            case .jump: stack.append(inst.x)
            case .split: stack.append(inst.y); stack.append(inst.x)
            case .start: if position == 0 { stack.append(pc + 1) }
            case .end: if position == input.count { stack.append(pc + 1) }
            case .wordBoundary, .notWordBoundary:
                let before = position > 0 && ScalarSet.isWord(input[position - 1])
                let after = position < input.count && ScalarSet.isWord(input[position])
                if (before != after) == (inst.op == .wordBoundary) { stack.append(pc + 1) }
            }
        }
        return false
    }
}
