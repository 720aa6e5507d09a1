import FluxCore

/// Recursive-descent parser for expression text. Nesting is bounded twice: while parsing (so hostile input cannot
/// exhaust the stack) and in the finished tree (so evaluation cannot either).
struct ExpressionParser {
    enum Token: Equatable {
        case number(JSONValue)
        case string(String)
        case identifier(String)
        case symbol(String)
        case end
    }

    let text: String
    let scalars: [Unicode.Scalar]
    let maxDepth: Int
    let maxLength: Int
    var position = 0
    var tokenStart = 0
    var token: Token = .end
    var nesting = 0

    init(text: String, maxDepth: Int, maxLength: Int) {
        self.text = text
        self.scalars = Array(text.unicodeScalars)
        self.maxDepth = maxDepth
        self.maxLength = maxLength
    }

    func error(_ message: String, at offset: Int? = nil) -> ExpressionSyntaxError {
        ExpressionSyntaxError(expression: text, offset: offset ?? tokenStart, message: message)
    }

    mutating func parse() throws(ExpressionSyntaxError) -> ExpressionNode {
        if scalars.count > maxLength {
            throw error("the expression is \(scalars.count) characters long, more than the limit of \(maxLength)", at: 0)
        }
        try advance()
        if token == .end { throw error("the expression is empty") }
        let (e, _) = try parseOr()
        if token != .end { throw error("unexpected \(describe(token)) after the end of the expression") }
        return e
    }

    // MARK: - Grammar

    typealias Parsed = (ExpressionNode, Int)

    private mutating func node(_ e: ExpressionNode, depth: Int) throws(ExpressionSyntaxError) -> Parsed {
        if depth > maxDepth { throw error("the expression is nested more than \(maxDepth) levels deep") }
        return (e, depth)
    }

    private mutating func enter() throws(ExpressionSyntaxError) {
        nesting += 1
        if nesting > maxDepth { throw error("the expression is nested more than \(maxDepth) levels deep") }
    }

    private mutating func leave() { nesting -= 1 }

    private mutating func parseOr() throws(ExpressionSyntaxError) -> Parsed {
        var (left, ld) = try parseAnd()
        while token == .symbol("||") || token == .identifier("or") {
            try advance()
            let (right, rd) = try parseAnd()
            (left, ld) = try node(.binary(.or, left, right), depth: max(ld, rd) + 1)
        }
        return (left, ld)
    }

    private mutating func parseAnd() throws(ExpressionSyntaxError) -> Parsed {
        var (left, ld) = try parseNot()
        while token == .symbol("&&") || token == .identifier("and") {
            try advance()
            let (right, rd) = try parseNot()
            (left, ld) = try node(.binary(.and, left, right), depth: max(ld, rd) + 1)
        }
        return (left, ld)
    }

    /// `not` binds looser than comparisons, as in Python: `not a == b` is `not (a == b)`.
    private mutating func parseNot() throws(ExpressionSyntaxError) -> Parsed {
        if token == .identifier("not") {
            try enter()
            defer { leave() }
            try advance()
            let (operand, d) = try parseNot()
            return try node(.unary(.not, operand), depth: d + 1)
        }
        return try parseBinary(level: 3)
    }

    private static let levels: [Int: [String: ExpressionNode.BinaryOperator]] = [
        3: ["==": .equal, "!=": .notEqual],
        4: ["<": .less, "<=": .lessOrEqual, ">": .greater, ">=": .greaterOrEqual],
        5: ["+": .add, "-": .subtract],
        6: ["*": .multiply, "/": .divide, "%": .remainder],
    ]

    private mutating func parseBinary(level: Int) throws(ExpressionSyntaxError) -> Parsed {
        guard let operators = Self.levels[level] else { return try parseUnary() }
        var (left, ld) = try parseBinary(level: level + 1)
        while case .symbol(let s) = token, let op = operators[s] {
            try advance()
            let (right, rd) = try parseBinary(level: level + 1)
            (left, ld) = try node(.binary(op, left, right), depth: max(ld, rd) + 1)
        }
        return (left, ld)
    }

    private mutating func parseUnary() throws(ExpressionSyntaxError) -> Parsed {
        if token == .symbol("!") || token == .symbol("-") {
            let op: ExpressionNode.UnaryOperator = token == .symbol("!") ? .not : .negate
            try enter()
            defer { leave() }
            try advance()
            let (operand, d) = try parseUnary()
            if op == .negate, case .literal(let v) = operand {
                switch v {
                case .int(let i) where i != Int.min: return (.literal(.int(-i)), d)
                case .double(let x): return (.literal(.double(-x)), d)
                default: break
                }
            }
            return try node(.unary(op, operand), depth: d + 1)
        }
        return try parsePostfix()
    }

    private mutating func parsePostfix() throws(ExpressionSyntaxError) -> Parsed {
        var (base, depth) = try parsePrimary()
        while true {
            if token == .symbol(".") {
                try advance()
                guard case .identifier(let name) = token else {
                    throw error("expected a name after '.', found \(describe(token))")
                }
                try advance()
                (base, depth) = try node(.member(base, name), depth: depth + 1)
            } else if token == .symbol("[") {
                try enter()
                try advance()
                let (index, id) = try parseOr()
                try expect("]", "to close the index")
                leave()
                (base, depth) = try node(.index(base, index), depth: max(depth, id) + 1)
            } else {
                return (base, depth)
            }
        }
    }

    private mutating func parsePrimary() throws(ExpressionSyntaxError) -> Parsed {
        let start = tokenStart
        switch token {
        case .number(let v):
            try advance()
            return (.literal(v), 1)
        case .string(let s):
            try advance()
            return (.literal(.string(s)), 1)
        case .identifier(let name):
            try advance()
            switch name {
            case "true": return (.literal(.bool(true)), 1)
            case "false": return (.literal(.bool(false)), 1)
            case "null": return (.literal(.null), 1)
            default: break
            }
            if token == .symbol("(") {
                guard let function = ExpressionFunction(rawValue: name) else {
                    var message = "unknown function \"\(name)\""
                    if let s = Suggestion.closest(to: name, in: ExpressionFunction.allCases.map(\.rawValue)) { message += "; did you mean \"\(s)\"?" }
                    else { message += " (see the function list in docs/workflow-format.md)" }
                    if name == "now" { message = "there is no now() function: use a `builtin: now` step, whose time is recorded so that replays see the same value" }
                    throw error(message, at: start)
                }
                try enter()
                try advance()
                var args: [ExpressionNode] = []
                var depth = 1
                if token != .symbol(")") {
                    while true {
                        let (arg, ad) = try parseOr()
                        args.append(arg)
                        depth = max(depth, ad + 1)
                        if token == .symbol(",") { try advance(); continue }
                        break
                    }
                }
                try expect(")", "to close the arguments of \(name)()")
                leave()
                let (lo, hi) = function.arity
                if args.count < lo || (hi != nil && args.count > hi!) {
                    throw error("\(name)() takes \(function.arityDescription), found \(args.count): \(function.signature)", at: start)
                }
                return try node(.call(function, args), depth: depth)
            }
            guard let variable = ExpressionNode.Variable(rawValue: name) else {
                if ExpressionFunction(rawValue: name) != nil {
                    throw error("\(name) is a function; call it as \(ExpressionFunction(rawValue: name)!.signature)", at: start)
                }
                var message = "unknown name \"\(name)\""
                if let s = Suggestion.closest(to: name, in: ExpressionNode.Variable.allCases.map(\.rawValue)) { message += "; did you mean \"\(s)\"?" }
                else { message += "; an expression starts from input, steps, secrets, item, index, previous or output" }
                throw error(message, at: start)
            }
            return (.variable(variable), 1)
        case .symbol("("):
            try enter()
            try advance()
            let inner = try parseOr()
            try expect(")", "to close the parenthesis")
            leave()
            return inner
        case .symbol("["):
            try enter()
            try advance()
            var items: [ExpressionNode] = []
            var depth = 1
            if token != .symbol("]") {
                while true {
                    let (item, d) = try parseOr()
                    items.append(item)
                    depth = max(depth, d + 1)
                    if token == .symbol(",") {
                        try advance()
                        if token == .symbol("]") { break }
                        continue
                    }
                    break
                }
            }
            try expect("]", "to close the array")
            leave()
            return try node(.array(items), depth: depth)
        case .symbol("{"):
            try enter()
            try advance()
            var entries: [ExpressionNode.ObjectLiteralEntry] = []
            var depth = 1
            if token != .symbol("}") {
                while true {
                    let key: String
                    switch token {
                    case .string(let s): key = s
                    case .identifier(let s): key = s
                    default: throw error("expected an object key (a name or a string), found \(describe(token))")
                    }
                    try advance()
                    try expect(":", "after the object key")
                    let (value, d) = try parseOr()
                    entries.append(.init(key: key, value: value))
                    depth = max(depth, d + 1)
                    if token == .symbol(",") {
                        try advance()
                        if token == .symbol("}") { break }
                        continue
                    }
                    break
                }
            }
            try expect("}", "to close the object")
            leave()
            return try node(.object(entries), depth: depth)
        case .end:
            throw error("unexpected end of the expression, expected a value")
        case .symbol(let s):
            throw error("unexpected '\(s)', expected a value")
        }
    }

    private mutating func expect(_ symbol: String, _ purpose: String) throws(ExpressionSyntaxError) {
        guard token == .symbol(symbol) else {
            throw error("expected '\(symbol)' \(purpose), found \(describe(token))")
        }
        try advance()
    }

    private func describe(_ token: Token) -> String {
        switch token {
        case .number(let v): return "the number \(v.canonicalJSON)"
        case .string(let s): return "the string \(JSONValue.string(s).canonicalJSON)"
        case .identifier(let s): return "\"\(s)\""
        case .symbol(let s): return "'\(s)'"
        case .end: return "the end of the expression"
        }
    }

    // MARK: - Lexer

    private mutating func advance() throws(ExpressionSyntaxError) {
        while position < scalars.count, scalars[position].properties.isWhitespace { position += 1 }
        tokenStart = position
        guard position < scalars.count else {
            token = .end
            return
        }
        let c = scalars[position]
        if c.isASCII, c.properties.isAlphabetic || c == "_" {
            var name = String.UnicodeScalarView()
            while position < scalars.count, isIdentifierScalar(scalars[position]) {
                name.append(scalars[position])
                position += 1
            }
            token = .identifier(String(name))
            return
        }
        if ("0"..."9").contains(c) {
            token = .number(try lexNumber())
            return
        }
        if c == "\"" || c == "'" {
            token = .string(try lexString(quote: c))
            return
        }
        let two = position + 1 < scalars.count ? String(String.UnicodeScalarView([c, scalars[position + 1]])) : ""
        if ["==", "!=", "<=", ">=", "&&", "||"].contains(two) {
            position += 2
            token = .symbol(two)
            return
        }
        if "()[]{},.:+-*/%!<>".unicodeScalars.contains(c) {
            position += 1
            token = .symbol(String(c))
            return
        }
        if c == "=" { throw error("unexpected '=': use '==' to compare") }
        if c == "&" { throw error("unexpected '&': use '&&' or 'and'") }
        if c == "|" { throw error("unexpected '|': use '||' or 'or'") }
        throw error("unexpected character \(JSONValue.string(String(c)).canonicalJSON)")
    }

    private func isIdentifierScalar(_ c: Unicode.Scalar) -> Bool {
        c.isASCII && (c.properties.isAlphabetic || c == "_" || ("0"..."9").contains(c))
    }

    private mutating func lexNumber() throws(ExpressionSyntaxError) -> JSONValue {
        var s = String.UnicodeScalarView()
        var isInteger = true
        func digits() {
            while position < scalars.count, ("0"..."9").contains(scalars[position]) {
                s.append(scalars[position])
                position += 1
            }
        }
        digits()
        if position + 1 < scalars.count, scalars[position] == ".", ("0"..."9").contains(scalars[position + 1]) {
            isInteger = false
            s.append(".")
            position += 1
            digits()
        }
        if position < scalars.count, scalars[position] == "e" || scalars[position] == "E" {
            isInteger = false
            s.append("e")
            position += 1
            if position < scalars.count, scalars[position] == "+" || scalars[position] == "-" {
                s.append(scalars[position])
                position += 1
            }
            let before = s.count
            digits()
            if s.count == before { throw error("expected digits in the exponent of a number") }
        }
        if position < scalars.count, isIdentifierScalar(scalars[position]) {
            throw error("unexpected \(JSONValue.string(String(scalars[position])).canonicalJSON) after a number", at: position)
        }
        let text = String(s)
        if isInteger, let i = Int(text) { return .int(i) }
        guard let d = Double(text), d.isFinite else { throw error("the number \(text) is out of range") }
        return .double(d)
    }

    private mutating func lexString(quote: Unicode.Scalar) throws(ExpressionSyntaxError) -> String {
        position += 1
        var out = String.UnicodeScalarView()
        while position < scalars.count {
            let c = scalars[position]
            position += 1
            if c == quote { return String(out) }
            if c != "\\" {
                out.append(c)
                continue
            }
            guard position < scalars.count else { break }
            let e = scalars[position]
            position += 1
            switch e {
            case "n": out.append("\n")
            case "t": out.append("\t")
            case "r": out.append("\r")
            case "\\", "\"", "'", "/": out.append(e)
            case "u":
                var value: UInt32 = 0
                for _ in 0..<4 {
                    guard position < scalars.count, scalars[position].isASCII, let digit = UInt32(String(scalars[position]), radix: 16) else {
                        throw error("expected four hex digits after \\u", at: position)
                    }
                    value = value * 16 + digit
                    position += 1
                }
                guard let scalar = Unicode.Scalar(value) else { throw error("\\u\(String(value, radix: 16)) is not a character", at: position) }
                out.append(scalar)
            default:
                throw error("unknown escape \\\(e) in a string (known: \\n \\t \\r \\\\ \\\" \\' \\u0041)", at: position - 2)
            }
        }
        throw error("unterminated string: expected a closing \(quote)")
    }
}
