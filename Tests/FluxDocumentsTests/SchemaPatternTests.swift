import FluxCore
import Testing
@testable import FluxDocuments

@Suite struct SchemaPatternTests {
    func matches(_ pattern: String, _ text: String) throws -> Bool {
        try SchemaPattern(pattern).matches(text)
    }

    /// The error a pattern is refused with.
    func refusal(_ pattern: String) -> SchemaPatternError? {
        do {
            _ = try SchemaPattern(pattern)
            return nil
        } catch {
            return error
        }
    }

    @Test func anchorsAndUnanchoredSearch() throws {
        #expect(try matches("b", "abc"), "a pattern matches anywhere unless anchored")
        #expect(try !matches("^b", "abc"))
        #expect(try matches("c$", "abc"))
        #expect(try !matches("b$", "abc"))
        #expect(try matches("^abc$", "abc"))
        #expect(try !matches("^abc$", "abcd"))
        #expect(try !matches("^abc$", "xabc"))
        #expect(try matches("^$", ""))
        #expect(try !matches("^$", "a"))
        #expect(try !matches("abc$", "abc\n"), "$ matches only at the very end (ECMA-262, no multiline flag)")
        #expect(try matches("^a|b$", "xxb"), "alternation binds looser than anchors")
        #expect(try !matches("^(a|b)$", "xxb"))
        #expect(try matches("^https?://", "https://example.com"))
        #expect(try !matches("^https?://", "ftp://example.com"))
    }

    @Test func emptyPattern() throws {
        #expect(try matches("", ""))
        #expect(try matches("", "anything"))
        #expect(try matches("a|", "zzz"), "an empty alternative matches the empty string")
        #expect(try matches("()", "x"))
    }

    @Test func characterClassesAndRanges() throws {
        #expect(try matches("^[a-z]+$", "hello"))
        #expect(try !matches("^[a-z]+$", "Hello"))
        #expect(try matches("^[A-Za-z0-9_.-]{1,5}$", "a.b-_"))
        #expect(try matches("^[a-]+$", "a-a"), "a trailing '-' is literal")
        #expect(try matches("^[-a]+$", "-a"), "a leading '-' is literal")
        #expect(try matches("^[\\d.]+$", "1.25"))
        #expect(try matches("^[\\w-]+$", "a_b-c"))
        #expect(try matches("^[\\s]+$", " \t\n"))
        #expect(try matches("[\\]]", "]"))
        #expect(try matches("[\\b]", "\u{8}"), "[\\b] is backspace")
        #expect(try matches("^[\\u0041-\\u005A]+$", "ABZ"))
        #expect(try !matches("^[\\x41-\\x43]+$", "ABD"))
        #expect(try !matches("[]", "x"), "[] matches nothing")
        #expect(try matches("[^]", "x"), "[^] matches anything")
        #expect(try matches("a]", "a]"), "a lone ']' is literal")
    }

    @Test func negatedClasses() throws {
        #expect(try matches("^[^a-z]+$", "ABC1"))
        #expect(try !matches("^[^a-z]+$", "AbC"))
        #expect(try matches("^[^\\d\\s]+$", "ab"))
        #expect(try !matches("^[^\\d\\s]+$", "a b"))
        #expect(try matches("^[\\D]+$", "ab"))
        #expect(try !matches("^[\\D]+$", "a1"))
        #expect(try matches("^[^é]$", "e"))
        #expect(try !matches("^[^é]$", "é"))
    }

    @Test func escapes() throws {
        #expect(try matches("^\\d+$", "0123"))
        #expect(try !matches("^\\d+$", "١٢"), "\\d is ASCII digits only")
        #expect(try matches("^\\D$", "x"))
        #expect(try matches("^\\w+$", "a_Z9"))
        #expect(try !matches("^\\w+$", "é"), "\\w is ASCII only")
        #expect(try matches("^\\W$", "é"))
        #expect(try matches("^\\s$", "\u{A0}"), "\\s includes Unicode spaces")
        #expect(try matches("^\\S+$", "ab"))
        #expect(try matches("\\.", "a.b"))
        #expect(try !matches("\\.", "ab"))
        #expect(try matches("^\\\\$", "\\"))
        #expect(try matches("^\\/$", "/"))
        #expect(try matches("^a\\-b$", "a-b"))
        #expect(try matches("^\\t\\n\\r$", "\t\n\r"))
        #expect(try matches("^\\u00e9$", "é"))
        #expect(try matches("^\\(\\)\\[\\]\\{\\}\\*\\+\\?\\|\\^\\$$", "()[]{}*+?|^$"))
        #expect(try matches("^\\$\\{\\{", "${{ x }}"))
        #expect(try matches("\\bfoo\\b", "a foo b"))
        #expect(try !matches("\\bfoo\\b", "afoob"))
        #expect(try matches("^\\p{L}+$", "héllo"))
        #expect(try !matches("^\\p{L}+$", "h3llo"))
        #expect(try matches("^\\P{L}+$", "123"))
    }

    @Test func dotMatchesAnyScalarButLineTerminators() throws {
        #expect(try matches("^.$", "é"))
        #expect(try matches("^.$", "😀"))
        #expect(try !matches("^.$", "\n"))
        #expect(try !matches("^.$", "\r"))
        #expect(try !matches("^.$", "\u{2028}"))
    }

    @Test func alternationAndGroups() throws {
        #expect(try matches("^(cat|dog)s?$", "dogs"))
        #expect(try !matches("^(cat|dog)s?$", "cow"))
        #expect(try matches("^(?:ab)+$", "ababab"))
        #expect(try !matches("^(?:ab)+$", "aba"))
        #expect(try matches("^(?<year>\\d{4})-(?<month>\\d{2})$", "2024-05"), "named groups are plain groups")
        #expect(try matches("(\\b)?x", "x"), "a group holding an anchor may be quantified")
    }

    @Test func countedRepetition() throws {
        #expect(try matches("^a{3}$", "aaa"))
        #expect(try !matches("^a{3}$", "aa"))
        #expect(try !matches("^a{3}$", "aaaa"))
        #expect(try matches("^a{2,}$", "aaaaa"))
        #expect(try !matches("^a{2,}$", "a"))
        #expect(try matches("^a{2,3}$", "aa"))
        #expect(try matches("^a{2,3}$", "aaa"))
        #expect(try !matches("^a{2,3}$", "aaaa"))
        #expect(try matches("^a{0}$", ""))
        #expect(try matches("^(ab){2}$", "abab"))
        #expect(try matches("^[A-Za-z0-9_.-]{1,128}$", String(repeating: "a", count: 128)))
        #expect(try !matches("^[A-Za-z0-9_.-]{1,128}$", String(repeating: "a", count: 129)))
    }

    @Test func lazyQuantifiersMatchTheSameStrings() throws {
        #expect(try matches("^a+?$", "aaa"))
        #expect(try matches("^a*?b", "aab"))
        #expect(try matches("^a??b$", "ab"))
        #expect(try matches("^a{1,2}?$", "aa"))
        #expect(try !matches("^a{1,2}?$", "aaa"))
    }

    @Test func unicode() throws {
        #expect(try matches("^é+$", "éé"))
        #expect(try matches("^日本$", "日本"))
        #expect(try matches("^😀{2}$", "😀😀"), "a quantifier applies to a whole scalar")
        #expect(try matches("^[😀-😂]$", "😁"))
        #expect(try matches("^\\u{1F600}$", "😀"))
        #expect(try matches("^\\uD83D\\uDE00$", "😀"), "a surrogate pair escape is one scalar")
        #expect(try matches("^...$", "é😀x"))
    }

    @Test func emptyLoopsTerminate() throws {
        #expect(try matches("^(a*)*$", "aaa"))
        #expect(try !matches("^(a*)*b$", "aaac"))
        #expect(try matches("^(|a)+$", "aa"))
        #expect(try matches("(?:){1000000}", ""))
    }

    @Test(arguments: [
        ("(a)\\1", 3, "backreferences"),
        ("(?<n>a)\\k<n>", 7, "named backreferences"),
        ("(?=a)", 0, "lookahead"),
        ("x(?!a)", 1, "lookahead"),
        ("(?<=a)b", 0, "lookbehind"),
        ("(?<!a)b", 0, "lookbehind"),
        ("(ab", 0, "unclosed group"),
        ("ab)", 2, "unmatched ')'"),
        ("[abc", 0, "unclosed character class"),
        ("[z-a]", 1, "range out of order"),
        ("a{3,1}", 1, "out of order"),
        ("*a", 0, "nothing to repeat"),
        ("a|+", 2, "nothing to repeat"),
        ("^*", 1, "nothing to repeat"),
        ("a**", 2, "cannot follow another quantifier"),
        ("a{2}{3}", 4, "cannot follow another quantifier"),
        ("a++", 2, "possessive"),
        ("a{", 1, "'{' does not start a repetition"),
        ("a}", 1, "unmatched '}'"),
        ("abc\\", 3, "lone '\\'"),
        ("\\q", 0, "unknown escape"),
        ("(?i)a", 0, "unsupported group"),
        ("[\\d-z]", 1, "cannot be the end of a range"),
        ("\\p{Greek}", 0, "unsupported Unicode property"),
        ("\\01", 0, "octal"),
        ("(a{1000}){1000}", 9, "the pattern expands to more than 2000 states"),
        ("a{2001}", 1, "the pattern expands to more than 2000 states"),
    ])
    func refusals(pattern: String, offset: Int, message: String) {
        let error = refusal(pattern)
        #expect(error?.offset == offset, "\(pattern): \(error?.description ?? "accepted")")
        #expect(error?.message.contains(message) == true, "\(pattern): \(error?.description ?? "accepted")")
    }

    @Test func sizeAndNestingAreBounded() {
        #expect(refusal(String(repeating: "a", count: 2_001))?.message.contains("more than 2000 states") == true)
        #expect(refusal(String(repeating: "a", count: 1_900)) == nil)
        let deep = String(repeating: "(", count: 101) + String(repeating: ")", count: 101)
        #expect(refusal(deep)?.message.contains("nested more than 100 deep") == true)
    }

    @Test func errorDescriptionNamesTheOffset() {
        #expect(refusal("(a)\\1")?.description == "backreferences ('\\1') are not supported: they need backtracking (at offset 3)")
    }

    /// Patterns that take exponential time in a backtracking engine, against hostile 10,000-scalar inputs.
    /// Only the answers are checked here; the time is measured by benchmarks.
    @Test(arguments: [
        ("^(a+)+$", String(repeating: "a", count: 10_000) + "!", false),
        ("^(a+)+$", String(repeating: "a", count: 10_000), true),
        ("^(a|a)*$", String(repeating: "a", count: 10_000) + "!", false),
        ("(x+x+)+y", String(repeating: "x", count: 10_000), false),
        ("(x+x+)+y", String(repeating: "x", count: 10_000) + "y", true),
        ("^(\\w+\\s?)*$", String(repeating: "word ", count: 2_000) + "!", false),
        ("^(\\w+\\s?)*$", String(repeating: "word ", count: 2_000), true),
    ])
    func catastrophicBacktrackingPatterns(pattern: String, text: String, expected: Bool) throws {
        #expect(try matches(pattern, text) == expected)
    }

    @Test func inputSchemaPatternRunsInLinearTime() throws {
        let validator = try InputSchemaValidator(schema: ["type": "string", "pattern": "^(a+)+$"])
        let hostile = String(repeating: "a", count: 10_000) + "!"
        let violations = validator.violations(of: .string(hostile))
        #expect(violations.count == 1)
        #expect(violations.first?.path == "input")
        #expect(violations.first?.message.hasPrefix("expected a string matching \"^(a+)+$\", found ") == true)
        #expect(validator.violations(of: .string(String(repeating: "a", count: 10_000))) == [])
    }

    @Test func inputSchemaRefusesAnUnsupportedPatternWithItsReason() {
        do {
            _ = try InputSchemaValidator(schema: ["type": "string", "pattern": "(a)\\1"])
            Issue.record("should refuse the schema")
        } catch {
            #expect(error.errors.map(\.message) == [
                "invalid regular expression \"(a)\\\\1\": backreferences ('\\1') are not supported: they need backtracking (at offset 3)",
            ])
        }
    }

    @Test func aValidationSpendsABoundedAmountOfMatching() throws {
        // ~1,000 states against 30,000 characters would be 3e7 state visits: refused with a reason, not run.
        let validator = try InputSchemaValidator(schema: ["type": "string", "pattern": "^a{999}"])
        let violations = validator.violations(of: .string(String(repeating: "a", count: 30_000)))
        #expect(violations.map(\.message) == ["the input is too large to be checked against the pattern \"^a{999}\": shorten the strings, or simplify the pattern"])
        #expect(validator.violations(of: .string(String(repeating: "a", count: 5_000))) == [])
    }
}
