import FluxCore
import Foundation
import Testing
@testable import FluxDocuments

@Suite struct ExpressionParsingTests {
    @Test(arguments: [
        ("1 + 2 * 3", "1 + 2 * 3", JSONValue.int(7)),
        ("(1 + 2) * 3", "(1 + 2) * 3", .int(9)),
        ("10 - 4 - 3", "10 - 4 - 3", .int(3)),
        ("10 - (4 - 3)", "10 - (4 - 3)", .int(9)),
        ("2 * 3 % 4", "2 * 3 % 4", .int(2)),
        ("-2 * 3", "-2 * 3", .int(-6)),
        ("-(2 + 3)", "-(2 + 3)", .int(-5)),
        ("1 < 2 == true", "1 < 2 == true", .bool(true)),
        ("1 + 1 == 2 && 3 > 2", "1 + 1 == 2 && 3 > 2", .bool(true)),
        ("false || true && false", "false || true && false", .bool(false)),
        ("(false || true) && false", "(false || true) && false", .bool(false)),
        ("not 1 == 2", "!1 == 2", .bool(true)),
        ("!1 == 2", "!1 == 2", .bool(false)),
        ("1 < 2 and 2 < 3", "1 < 2 && 2 < 3", .bool(true)),
        ("1 > 2 or 2 > 3", "1 > 2 || 2 > 3", .bool(false)),
        ("not true or true", "!true || true", .bool(true)),
    ])
    func precedence(_ text: String, _ rendered: String, _ value: JSONValue) throws {
        let e = try ExpressionNode(parsing: text)
        #expect(try evaluator.evaluate(e, in: ExpressionScope()) == value)
        if text.hasPrefix("not 1") {
            // `not` binds looser than comparison: not (1 == 2)
            #expect(e == .unary(.not, .binary(.equal, .literal(1), .literal(2))))
        } else if text.hasPrefix("!1") {
            #expect(e == .binary(.equal, .unary(.not, .literal(1)), .literal(2)))
        } else {
            #expect(e.description == rendered)
        }
    }

    @Test func literals() throws {
        #expect(try eval("42") == 42)
        #expect(try eval("2.5") == 2.5)
        #expect(try eval("1e3") == 1000.0)
        #expect(try eval("'single'") == "single")
        #expect(try eval("\"double \\\"quoted\\\"\"") == "double \"quoted\"")
        #expect(try eval("'tab\\there\\u0041'") == "tab\thereA")
        #expect(try eval("true") == true)
        #expect(try eval("null") == .null)
        #expect(try eval("[1, 'a', [true]]") == [1, "a", [true]])
        #expect(try eval("{a: 1, 'b c': [2]}") == ["a": 1, "b c": [2]])
        #expect(try eval("[]") == [])
        #expect(try eval("{}") == [:])
        #expect(try eval("[1, 2,]") == [1, 2])
    }

    @Test func memberAndIndexAccess() throws {
        let scope = ExpressionScope(input: ["user": ["name": "Ada", "tags": ["a", "b", "c"]], "user-id": 7])
        #expect(try eval("input.user.name", scope) == "Ada")
        #expect(try eval("input['user']['name']", scope) == "Ada")
        #expect(try eval("input[\"user-id\"]", scope) == 7)
        #expect(try eval("input.user.tags[1]", scope) == "b")
        #expect(try eval("input.user.tags[-1]", scope) == "c")
        #expect(try eval("input.user.tags[1 + 1]", scope) == "c")
        #expect(try eval("input.user.missing", scope) == .null)
        #expect(try eval("input.user.name[0]", scope) == "A")
        #expect(try eval("{a: [10, 20]}.a[1]") == 20)
    }

    @Test func variables() throws {
        let scope = ExpressionScope(input: 1, steps: ["a": ["x": 2]], secrets: ["TOKEN": "s3cret"], item: "it", index: 3,
                                    previous: 4, output: ["ok": true])
        #expect(try eval("input", scope) == 1)
        #expect(try eval("steps.a.output.x", scope) == 2)
        #expect(try eval("steps['a'].output", scope) == ["x": 2])
        #expect(try eval("secrets.TOKEN", scope) == "s3cret")
        #expect(try eval("item", scope) == "it")
        #expect(try eval("index", scope) == 3)
        #expect(try eval("previous", scope) == 4)
        #expect(try eval("output.ok", scope) == true)
    }

    @Test(arguments: [
        ("", "the expression is empty"),
        ("1 +", "unexpected end of the expression"),
        ("(1", "expected ')'"),
        ("[1, 2", "expected ']'"),
        ("{a 1}", "expected ':'"),
        ("{1: 2}", "expected an object key"),
        ("a.b", "unknown name \"a\""),
        ("inptu", "did you mean \"input\""),
        ("upper", "upper is a function"),
        ("foo(1)", "unknown function \"foo\""),
        ("lenght(1)", "did you mean \"length\""),
        ("length()", "length() takes 1 argument, found 0"),
        ("join(1, 2, 3)", "join() takes 1 to 2 arguments, found 3"),
        ("range()", "range() takes 1 to 3 arguments"),
        ("format()", "format() takes at least 1 argument"),
        ("now()", "there is no now() function"),
        ("1 = 2", "use '==' to compare"),
        ("a & b", "use '&&' or 'and'"),
        ("a | b", "use '||' or 'or'"),
        ("'open", "unterminated string"),
        ("'\\x'", "unknown escape"),
        ("1 2", "after the end of the expression"),
        ("input.", "expected a name after '.'"),
        ("input.1", "expected a name after '.'"),
        ("1e", "expected digits in the exponent"),
        ("12abc", "after a number"),
        ("@", "unexpected character"),
        ("#", "unexpected character"),
        ("'\\u12'", "expected four hex digits"),
    ])
    func syntaxErrors(_ text: String, _ message: String) {
        #expect {
            _ = try ExpressionNode(parsing: text)
        } throws: { error in
            "\(error)".contains(message)
        }
    }

    @Test func syntaxErrorNamesThePosition() {
        do {
            _ = try ExpressionNode(parsing: "1 + (2 * )")
            Issue.record("should not parse")
        } catch {
            #expect(error.offset == 9)
            #expect(error.description == "invalid expression \"1 + (2 * )\": unexpected ')', expected a value (at character 10)")
        }
    }

    @Test func limitsOnLengthAndDepth() {
        let long = Array(repeating: "1", count: 2_100).joined(separator: "+")
        #expect(throws: ExpressionSyntaxError.self) { try ExpressionNode(parsing: long) }
        #expect(throws: ExpressionSyntaxError.self) { try ExpressionNode(parsing: String(repeating: "(", count: 65) + "1" + String(repeating: ")", count: 65)) }
        #expect(throws: ExpressionSyntaxError.self) { try ExpressionNode(parsing: String(repeating: "-", count: 200) + "x") }
        #expect(throws: ExpressionSyntaxError.self) { try ExpressionNode(parsing: String(repeating: "[", count: 3_000)) }
        #expect(throws: ExpressionSyntaxError.self) { try ExpressionNode(parsing: Array(repeating: "1", count: 70).joined(separator: " + ")) }
        #expect(throws: Never.self) { try ExpressionNode(parsing: String(repeating: "(", count: 60) + "1" + String(repeating: ")", count: 60)) }
        #expect(throws: Never.self) { try ExpressionNode(parsing: Array(repeating: "1", count: 60).joined(separator: " + ")) }
        // A custom limit.
        #expect(throws: ExpressionSyntaxError.self) {
            try ExpressionNode(parsing: "((1))", limits: DocumentLimits(maxExpressionDepth: 1))
        }
    }

    @Test func renderingRoundTrips() throws {
        for text in ["steps.a.output.items[0]['odd key']", "format('{0}-{1}', input.a, -input.b)", "!(a_b)".replacingOccurrences(of: "a_b", with: "input"),
                     "[1, {\"k\": [true, null]}]", "input.x || 'd' && (1 + 2) * 3 >= 9"] {
            let e = try ExpressionNode(parsing: text)
            #expect(try ExpressionNode(parsing: e.description) == e, "\(text) → \(e)")
        }
    }

    @Test func referencedNames() throws {
        let e = try ExpressionNode(parsing: "steps.a.output + steps['b'].output + secrets.TOKEN + length(secrets['KEY']) + input")
        #expect(e.referencedSteps == ["a", "b"])
        #expect(e.referencedSecrets == ["TOKEN", "KEY"])
        #expect(e.referencedVariables == [.steps, .secrets, .input])
    }
}

@Suite struct ExpressionEvaluationTests {
    @Test func arithmetic() throws {
        #expect(try eval("7 / 2") == 3.5)
        #expect(try eval("8 / 2") == 4)
        #expect(try eval("7 % 3") == 1)
        #expect(try eval("-7 % 3") == 2)
        #expect(try eval("7 % -3") == -2)
        #expect(try eval("7.5 % 2") == 1.5)
        #expect(try eval("1 + 2.5") == 3.5)
        #expect(try eval("0.1 * 3") == .double(0.1 * 3))
        #expect(try eval("'a' + 'b'") == "ab")
        #expect(try eval("[1] + [2, 3]") == [1, 2, 3])
        #expect(try eval("{a: 1, b: 1} + {b: 2}") == ["a": 1, "b": 2])
        #expect(try eval("-input", ExpressionScope(input: 2.5)) == -2.5)
    }

    @Test func comparisonAndEquality() throws {
        #expect(try eval("1 == 1.0") == true)
        #expect(try eval("[1, {a: 2}] == [1.0, {a: 2}]") == true)
        #expect(try eval("'a' < 'b'") == true)
        #expect(try eval("'B' < 'a'") == true)
        #expect(try eval("2 >= 2.0") == true)
        #expect(try eval("null == null") == true)
        #expect(try eval("null != 0") == true)
        #expect(try eval("'1' == 1") == false)
    }

    @Test func booleanOperatorsShortCircuitAndReturnOperands() throws {
        #expect(try eval("input.name || 'World'", ExpressionScope(input: [:])) == "World")
        #expect(try eval("input.name || 'World'", ExpressionScope(input: ["name": "Ada"])) == "Ada")
        #expect(try eval("input && input.x", ExpressionScope(input: .null)) == .null)
        // The right side is not evaluated when the left decides (it would fail).
        #expect(try eval("false && steps.never.output") == false)
        #expect(try eval("true || steps.never.output") == true)
        #expect(try eval("!''") == true)
        #expect(try eval("not [1]") == false)
    }

    @Test(arguments: [
        ("length('héllo')", JSONValue.int(5)),
        ("length([1, 2])", .int(2)),
        ("length({a: 1})", .int(1)),
        ("length(null)", .int(0)),
        ("upper('abc')", .string("ABC")),
        ("lower('ÀBC')", .string("àbc")),
        ("trim('  x y \\n')", .string("x y")),
        ("join(['a', 1, true, null], '-')", .string("a-1-true-")),
        ("join(['a', 'b'])", .string("a,b")),
        ("split('a,b,,c', ',')", .array(["a", "b", "", "c"])),
        ("split('  a b\\tc ')", .array(["a", "b", "c"])),
        ("split('abc', '')", .array(["a", "b", "c"])),
        ("json({b: [1, 2.5], a: 'x'})", .string("{\"a\":\"x\",\"b\":[1,2.5]}")),
        ("fromjson('{\"a\": [1, 2]}')", .object(["a": [1, 2]])),
        ("keys({b: 1, a: 2})", .array(["a", "b"])),
        ("values({b: 1, a: 2})", .array([2, 1])),
        ("contains('haystack', 'st')", .bool(true)),
        ("contains([1, 2], 2.0)", .bool(true)),
        ("contains({a: 1}, 'b')", .bool(false)),
        ("contains(null, 'x')", .bool(false)),
        ("default(null, 'x')", .string("x")),
        ("default(0, 'x')", .int(0)),
        ("default(input.missing.deeper, 'fallback')", .string("fallback")),
        ("default(steps.never.output, 3)", .int(3)),
        ("default([1][5], 'out of range')", .string("out of range")),
        ("startswith('flux', 'fl')", .bool(true)),
        ("endswith('flux', 'ux')", .bool(true)),
        ("replace('a-b-c', '-', '+')", .string("a+b+c")),
        ("tostring(12)", .string("12")),
        ("tostring(2.5)", .string("2.5")),
        ("tostring([1, 'a'])", .string("[1,\"a\"]")),
        ("tostring('s')", .string("s")),
        ("tostring(null)", .string("")),
        ("tonumber('42')", .int(42)),
        ("tonumber(' 2.5 ')", .double(2.5)),
        ("tonumber(true)", .int(1)),
        ("tonumber(7)", .int(7)),
        ("sum([1, 2, 3])", .int(6)),
        ("sum([1, 2.5])", .double(3.5)),
        ("sum([])", .int(0)),
        ("min([3, 1, 2])", .int(1)),
        ("max(3, 9, 2)", .int(9)),
        ("min(['b', 'a'])", .string("a")),
        ("max([1, 2.5])", .double(2.5)),
        ("range(3)", .array([0, 1, 2])),
        ("range(2, 5)", .array([2, 3, 4])),
        ("range(10, 0, -3)", .array([10, 7, 4, 1])),
        ("range(0)", .array([])),
        ("format('{0} and {1}, {0}!', 'A', 2)", .string("A and 2, A!")),
        ("format('{} {}', 'x', [1])", .string("x [1]")),
        ("format('{{literal}} {0}', 1)", .string("{literal} 1")),
    ])
    func functions(_ text: String, _ expected: JSONValue) throws {
        #expect(try eval(text, ExpressionScope(input: ["a": 1])) == expected)
    }

    @Test func everyFunctionIsCovered() {
        // Keeps the table above honest when a function is added.
        let covered: Set<ExpressionFunction> = [.length, .upper, .lower, .trim, .join, .split, .json, .fromjson, .keys, .values, .contains,
                                      .default, .startswith, .endswith, .replace, .tostring, .tonumber, .sum, .min, .max, .range, .format]
        #expect(covered == Set(ExpressionFunction.allCases))
    }

    @Test(arguments: [
        ("steps.fetch.output.items[3]", "steps.fetch.output.items[3]: index out of range (length 2)"),
        ("steps.other.output", "steps.other: step \"other\" has no output at this point (it has not run)"),
        ("steps.fetch.output.items[0].name.first", "steps.fetch.output.items[0].name.first: cannot read .first of a string (\"a\")"),
        ("input.nothing.deeper", "input.nothing.deeper: cannot read .deeper of null"),
        ("secrets.MISSING", "secrets.MISSING: secret \"MISSING\" is not available"),
        ("1 / 0", "1 / 0: division by zero"),
        ("5 % 0", "5 % 0: division by zero"),
        ("'a' + 1", "\"a\" + 1: cannot apply + to a string (\"a\") and an integer (1); convert with tostring() or use interpolation"),
        ("'a' < 1", "\"a\" < 1: cannot compare a string (\"a\") with an integer (1)"),
        ("-'a'", "-\"a\": cannot negate a string (\"a\")"),
        ("9223372036854775807 + 1", "9223372036854775807 + 1: integer overflow"),
        ("upper(1)", "upper(1): upper() expects a string as argument 1, found an integer (1)"),
        ("fromjson('{')", "fromjson(\"{\"): fromjson() could not parse its argument: invalid JSON at line 1, column 2: expected a string key"),
        ("tonumber('abc')", "tonumber(\"abc\"): tonumber(): \"abc\" is not a number"),
        ("min([])", "min([]): min() of an empty array"),
        ("range(1, 2, 0)", "range(1, 2, 0): range() step must not be 0"),
        ("range(1000000)", "range(1000000): range() would have 1000000 elements, more than the limit of 100000"),
        ("format('{2}', 1)", "format(\"{2}\", 1): format(): placeholder {2} has no argument (1 given)"),
        ("format('{x}')", "format(\"{x}\"): format(): {x} is not a placeholder; use {0}, {1}, … or {}"),
        ("keys([1])", "keys([1]): keys() expects an object, found an array (length 1)"),
        ("[1][1.5]", "[1][1.5]: an array index must be an integer, found a number (1.5)"),
        ("item", "item: item is only defined inside a map body"),
        ("previous", "previous: previous is only defined inside a pipeline"),
        ("output", "output: output is only defined in a graph edge's when"),
        ("replace('a', '', 'b')", "replace(\"a\", \"\", \"b\"): replace() cannot replace an empty string"),
        ("sum(['a'])", "sum([\"a\"]): sum() expects numbers, found a string (\"a\")"),
    ])
    func runtimeErrors(_ text: String, _ message: String) throws {
        let scope = ExpressionScope(input: [:], steps: ["fetch": ["items": [["name": "a"], ["name": "b"]]]])
        #expect {
            _ = try eval(text, scope)
        } throws: { error in
            guard let error = error as? ExpressionError else { return false }
            #expect(error.description == message)
            return true
        }
    }

    @Test func stringResultsAreBounded() throws {
        let big = String(repeating: "x", count: 700_000)
        let scope = ExpressionScope(input: ["big": .string(big)])
        #expect(throws: ExpressionError.self) { try eval("input.big + input.big", scope) }
        #expect(throws: ExpressionError.self) { try eval("join([input.big, input.big], '')", scope) }
        #expect(throws: ExpressionError.self) { try eval("format('{0}{0}', input.big)", scope) }
        #expect(throws: ExpressionError.self) { try eval("replace(input.big, 'x', 'yy')", scope) }
        #expect(throws: ExpressionError.self) { try render("${{ input.big }}${{ input.big }}", scope) }
        #expect(try eval("length(input.big + 'y')", scope) == 700_001)
        // Custom limits.
        let strict = ExpressionEvaluator(limits: EvaluationLimits(maxStringBytes: 4, maxArrayLength: 2))
        #expect(throws: ExpressionError.self) { try strict.evaluate(try ExpressionNode(parsing: "'abc' + 'de'"), in: ExpressionScope()) }
        #expect(throws: ExpressionError.self) { try strict.evaluate(try ExpressionNode(parsing: "range(3)"), in: ExpressionScope()) }
    }
}

@Suite struct TemplateTests {
    @Test func exactExpressionKeepsItsType() throws {
        let scope = ExpressionScope(input: ["n": 3, "list": [1, 2], "obj": ["a": true]])
        #expect(try render("${{ input.n }}", scope) == 3)
        #expect(try render("${{input.list}}", scope) == [1, 2])
        #expect(try render("${{   input.obj   }}", scope) == ["a": true])
        #expect(try render("${{ input.none }}", scope) == .null)
    }

    @Test func mixedTextInterpolates() throws {
        let scope = ExpressionScope(input: ["n": 3, "d": 2.5, "list": [1, "a"], "obj": ["b": 1, "a": [true]], "s": "x", "nil": nil, "t": true])
        #expect(try render("n=${{ input.n }}", scope) == "n=3")
        #expect(try render("${{ input.d }} ${{ input.t }}", scope) == "2.5 true")
        #expect(try render("list: ${{ input.list }}", scope) == "list: [1,\"a\"]")
        #expect(try render("obj: ${{ input.obj }}", scope) == "obj: {\"a\":[true],\"b\":1}")
        #expect(try render("[${{ input.nil }}]", scope) == "[]")
        #expect(try render(" ${{ input.s }}", scope) == " x", "surrounding text makes it a string")
        #expect(try render("${{ input.s }}${{ input.s }}", scope) == "xx")
    }

    @Test func nestedValuesAreEvaluatedRecursively() throws {
        let template = try Template(compiling: ["a": ["${{ 1 + 1 }}", "plain", ["deep": "v${{ input }}"]], "b": 2])
        #expect(try evaluator.evaluate(template, in: ExpressionScope(input: 7)) == ["a": [2, "plain", ["deep": "v7"]], "b": 2])
        guard case .object(let object) = template else { throw TestFailure("an object template") }
        #expect(object["b"] == .literal(2))
    }

    @Test func literalsStayLiteral() throws {
        #expect(try Template(compiling: ["a": [1, "b"], "c": nil]) == .literal(["a": [1, "b"], "c": nil]))
        #expect(try Template(compiling: "no expressions here, just $ and {{ }}") == .literal("no expressions here, just $ and {{ }}"))
        #expect(try Template(compiling: "${{ 1 }}").isLiteral == false)
    }

    @Test func escapedDollarBracesAreLiteral() throws {
        #expect(try render("cost: $${{ not an expression }}") == "cost: ${{ not an expression }}")
        #expect(try render(["x": "$${{ a }} and ${{ 1 + 1 }}"]) == ["x": "${{ a }} and 2"])
        #expect(try Template(compiling: "$${{ x }}") == .literal("${{ x }}"))
        #expect(try Template(compiling: ["k": "$${{ x }}"]).json == ["k": "$${{ x }}"])
    }

    @Test func objectLiteralsAndBracesInStringsDoNotEndTheExpression() throws {
        #expect(try render("${{ {a: {b: 1}} }}") == ["a": ["b": 1]])
        #expect(try render("${{ '}}' + 'x' }}") == "}}x")
        #expect(try render("${{ format('{{0}}') }}") == "{0}")
    }

    @Test func syntaxErrorsAreReported() {
        #expect(throws: ExpressionSyntaxError.self) { try Template(compiling: "${{ 1 + }}") }
        #expect(throws: ExpressionSyntaxError.self) { try Template(compiling: "${{ unterminated") }
        #expect(throws: ExpressionSyntaxError.self) { try Template(compiling: ["a": ["${{ )( }}"]]) }
    }

    @Test func secretReferencesAreDetectedForRedaction() throws {
        let withSecret = try Template(compiling: ["headers": ["Authorization": "Bearer ${{ secrets.TOKEN }}"], "url": "${{ input.url }}"])
        #expect(withSecret.referencesSecrets)
        #expect(withSecret.referencedSecrets == ["TOKEN"])
        let without = try Template(compiling: ["url": "${{ input.url }}", "n": "${{ steps.a.output }}"])
        #expect(!without.referencesSecrets)
        #expect(without.referencedSteps == ["a"])
    }

    @Test func jsonRendersTemplatesBack() throws {
        let source: JSONValue = ["a": "Hello, ${{ input.name }}!", "b": ["${{ 1 + 2 }}"], "c": 3]
        let template = try Template(compiling: source)
        #expect(template.json == ["a": "Hello, ${{ input.name }}!", "b": ["${{ 1 + 2 }}"], "c": 3])
        #expect(try Template(compiling: template.json) == template)
    }

    @Test func isTrueUsesTruthiness() throws {
        for (text, expected) in [("${{ 0 }}", false), ("${{ 'x' }}", true), ("${{ [] }}", false), ("${{ {a: 1} }}", true), ("${{ null }}", false)] {
            #expect(try evaluator.isTrue(try Template(compiling: .string(text)), in: ExpressionScope()) == expected)
        }
    }
}

@Suite struct ExpressionOverflowTests {
    @Test func extremeIntegersFailCleanly() throws {
        for text in ["-9223372036854775807 - 2", "(-9223372036854775807 - 1) / -1", "(-9223372036854775807 - 1) * -1",
                     "range(-9223372036854775807, 9223372036854775807)", "range(9223372036854775807, -9223372036854775807, -1)",
                     "sum([9223372036854775807, 1])", "-(-9223372036854775807 - 1)"] {
            #expect(throws: ExpressionError.self, "\(text)") { try eval(text) }
        }
        #expect(try eval("(-9223372036854775807 - 1) % -1") == 0)
        #expect(try eval("10 / -1") == -10)
    }

    @Test func jsonDocumentsRespectTheValueLimit() {
        let text = "{\"flux\": 1, \"name\": \"t\", \"steps\": [{\"id\": \"a\", \"set\": [" + Array(repeating: "1", count: 2_000).joined(separator: ",") + "]}]}"
        let errors = DocumentParser.validate(text: text, sourceName: "many.json", limits: DocumentLimits(maxNodes: 1_000))
        #expect(errors.count == 1)
        #expect(errors.first?.message.contains("more than 1000 values") == true)
    }
}
