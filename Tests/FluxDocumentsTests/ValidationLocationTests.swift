import FluxCore
import Foundation
import Testing
@testable import FluxDocuments

/// Each case pins the exact file, line, column, path and message of every error.
@Suite struct ValidationLocationTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var text: String
        var expected: [String]
        var file = "hello.yaml"
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "retry attempts as text", text: """
        flux: 1
        name: hello
        steps:
          - id: a
            set: 1
          - id: b
            set: 2
          - id: c
            set: 3
            retry:
              max_attempts: three
        """, expected: ["hello.yaml:11:21: steps[2].retry.max_attempts: expected an integer ≥ 0, found \"three\""]),
        Case(name: "unknown key with suggestion", text: "flux: 1\nname: t\nsteps:\n  - id: a\n    sett: 1\n",
             expected: ["hello.yaml:5:5: steps[0].sett: unknown key \"sett\" in a step; did you mean \"set\"?"]),
        Case(name: "missing id", text: "flux: 1\nname: t\nsteps:\n  - set: 1\n",
             expected: ["hello.yaml:4:5: steps[0].id: missing required key \"id\": every step needs an id matching [a-z_][a-z0-9_]*"]),
        Case(name: "missing name", text: "flux: 1\nsteps:\n  - id: a\n    set: 1\n",
             expected: ["hello.yaml:1:1: name: missing required key \"name\": the workflow name"]),
        Case(name: "wrong flux", text: "flux: 2\nname: t\nsteps:\n  - id: a\n    set: 1\n",
             expected: ["hello.yaml:1:7: flux: unsupported format version 2; this engine reads version 1"]),
        Case(name: "bad name", text: "flux: 1\nname: Hello World\nsteps:\n  - id: a\n    set: 1\n",
             expected: ["hello.yaml:2:7: name: expected a name matching [a-z][a-z0-9_]* (lower-case letters, digits and _, starting with a letter), found \"Hello World\""]),
        Case(name: "duplicate id in nested step", text: """
        flux: 1
        name: t
        steps:
          - id: a
            set: 1
          - id: p
            parallel:
              - id: a
                set: 2
        """, expected: ["hello.yaml:8:13: steps[1].parallel[0].id: duplicate step id \"a\" (first used at steps[0]); ids are unique in the whole workflow"]),
        Case(name: "later step reference", text: """
        flux: 1
        name: t
        steps:
          - id: a
            set: "${{ steps.b.output }}"
          - id: b
            set: 1
        """, expected: ["hello.yaml:5:10: steps[0].set: steps.b.output refers to step \"b\" (steps[1]), which runs later; a step reads only steps that finished before it"]),
        Case(name: "unknown step reference in nested value", text: """
        flux: 1
        name: t
        steps:
          - id: a
            http:
              url: https://example.com
              body:
                items: ["${{ steps.nope.output }}"]
        """, expected: ["hello.yaml:8:17: steps[0].http.body.items[0]: steps.nope.output refers to an unknown step \"nope\""]),
        Case(name: "undeclared secret", text: """
        flux: 1
        name: t
        secrets: [TOKEN]
        steps:
          - id: a
            set: "${{ secrets.TOKN }}"
        """, expected: ["hello.yaml:6:10: steps[0].set: secrets.TOKN is not declared; add \"TOKN\" to the workflow's secrets: list (or did you mean \"TOKEN\"?)"]),
        Case(name: "expression syntax", text: "flux: 1\nname: t\nsteps:\n  - id: a\n    set: \"x ${{ 1 + * 2 }}\"\n",
             expected: ["hello.yaml:5:10: steps[0].set: invalid expression \"1 + * 2\": unexpected '*', expected a value (at character 5)"]),
        Case(name: "unknown function", text: "flux: 1\nname: t\nsteps:\n  - id: a\n    set: \"${{ lenght(input) }}\"\n",
             expected: ["hello.yaml:5:10: steps[0].set: invalid expression \"lenght(input)\": unknown function \"lenght\"; did you mean \"length\"? (at character 1)"]),
        Case(name: "wrong arity", text: "flux: 1\nname: t\nsteps:\n  - id: a\n    set: \"${{ contains(input) }}\"\n",
             expected: ["hello.yaml:5:10: steps[0].set: invalid expression \"contains(input)\": contains() takes 2 arguments, found 1: contains(haystack, needle) (at character 1)"]),
        Case(name: "unknown builtin", text: "flux: 1\nname: t\nsteps:\n  - id: a\n    builtin: uuid\n",
             expected: ["hello.yaml:5:14: steps[0].builtin: unknown built-in \"uuid\"; did you mean \"uuid4\"?"]),
        Case(name: "graph cycle", text: """
        flux: 1
        name: t
        steps:
          - id: g
            graph:
              start: a
              end: c
              nodes:
                a: {set: 1}
                b: {set: 2}
                c: {set: 3}
              edges:
                - {from: a, to: b}
                - {from: b, to: c}
                - {from: c, to: b}
        """, expected: ["hello.yaml:10:9: steps[0].graph.nodes.b: the graph has a cycle: b → c → b; graphs must be acyclic"]),
        Case(name: "graph unknown node in edge", text: """
        flux: 1
        name: t
        steps:
          - id: g
            graph:
              start: a
              end: b
              nodes:
                a: {set: 1}
                b: {set: 2}
              edges:
                - {from: a, to: x}
                - {from: a, to: b}
        """, expected: ["hello.yaml:12:25: steps[0].graph.edges[0].to: to \"x\" is not a node of this graph (nodes: a, b)"]),
        Case(name: "graph unreachable and no path to end", text: """
        flux: 1
        name: t
        steps:
          - id: g
            graph:
              start: a
              end: c
              nodes:
                a: {set: 1}
                c: {set: 2}
        """, expected: [
            "hello.yaml:7:12: steps[0].graph.end: no path of edges leads from start \"a\" to end \"c\"",
            "hello.yaml:10:9: steps[0].graph.nodes.c: graph node \"c\" cannot be reached from start \"a\"",
        ]),
        Case(name: "item outside map", text: "flux: 1\nname: t\nsteps:\n  - id: a\n    set:\n      x: \"${{ item }}\"\n",
             expected: ["hello.yaml:6:10: steps[0].set.x: item is only available inside a map's step (map.step)"]),
        Case(name: "invalid input schema", text: """
        flux: 1
        name: t
        input:
          type: object
          properties:
            age: {type: integer, minimum: "zero"}
        steps:
          - id: a
            set: 1
        """, expected: ["hello.yaml:6:35: input.properties.age.minimum: expected a number, found \"zero\""]),
        Case(name: "yaml syntax error", text: "flux: 1\nname: t\nsteps:\n  - id: a\n    set: [1, 2\n",
             expected: ["hello.yaml:6:1: $: invalid YAML: did not find expected ',' or ']' (while parsing a flow sequence at line 5, column 10)"]),
        Case(name: "json syntax error", text: "{\n  \"flux\": 1,\n  \"name\": \"t\"\n  \"steps\": []\n}\n",
             expected: ["hello.json:4:3: $: invalid JSON: expected ',' or '}' in an object"], file: "hello.json"),
        Case(name: "json semantic error", text: "{\n  \"flux\": 1,\n  \"name\": \"t\",\n  \"steps\": [{\"id\": \"a\", \"timeout\": \"soon\", \"set\": 1}]\n}\n",
             expected: ["hello.json:4:36: steps[0].timeout: expected a duration > 0 (seconds as a number, or text such as \"30s\", \"5m\", \"1h\"), found \"soon\""],
             file: "hello.json"),
        Case(name: "kind-specific key on wrong kind", text: "flux: 1\nname: t\nsteps:\n  - id: a\n    set: 1\n    with: {x: 1}\n",
             expected: ["hello.yaml:6:5: steps[0].with: \"with\" is not used by a set step (it belongs to builtin, call, task steps)"]),
        Case(name: "multi-workflow path prefix", text: """
        flux: 1
        workflows:
          - name: one
            steps:
              - id: a
                set: 1
          - name: two
            steps:
              - id: a
                retry: {max_attempts: -2}
                set: 1
        """, expected: ["hello.yaml:10:31: workflows[1].steps[0].retry.max_attempts: expected an integer from 0 to 1000, found -2"]),
        Case(name: "several errors in document order", text: """
        flux: 1
        name: t
        steps:
          - id: a
            set: "${{ steps.c.output }}"
            timeout: forever
          - id: B
            set: 2
          - id: c
            map:
              over: "${{ input }}"
              step:
                set: "${{ previous }}"
        """, expected: [
            "hello.yaml:5:10: steps[0].set: steps.c.output refers to step \"c\" (steps[2]), which runs later; a step reads only steps that finished before it",
            "hello.yaml:6:14: steps[0].timeout: expected a duration > 0 (seconds as a number, or text such as \"30s\", \"5m\", \"1h\"), found \"forever\"",
            "hello.yaml:7:9: steps[1].id: expected a step id matching [a-z_][a-z0-9_]* (at most 100 characters), found \"B\"",
            "hello.yaml:13:14: steps[2].map.step.set: previous is only available inside a pipeline's steps",
        ]),
        Case(name: "size limit", text: "flux: 1\nname: t\nsteps: [{id: a, set: \"" + String(repeating: "x", count: 2_000) + "\"}]\n",
             expected: ["hello.yaml: $: the document is 2042 bytes, more than the limit of 1024 bytes"]),
    ]

    @Test(arguments: cases)
    func errorsAreExactlyLocated(_ c: Case) {
        let limits = c.name == "size limit" ? DocumentLimits(maxBytes: 1024) : .default
        let found = DocumentParser.validate(text: c.text, sourceName: c.file, limits: limits).map(\.description)
        #expect(found == c.expected)
    }

    @Test func atLeastTwentyCases() {
        #expect(Self.cases.count >= 20)
    }

    @Test func errorFieldsAreSeparatelyAvailable() {
        let e = DocumentParser.validate(text: "flux: 1\nname: t\nsteps:\n  - id: a\n    set: 1\n    cache: maybe\n", sourceName: "x.yaml")
        #expect(e == [DocumentError(file: "x.yaml", line: 6, column: 12, path: "steps[0].cache", message: "expected true or false, found \"maybe\"")])
    }

    @Test func validationErrorDescriptionListsAllErrors() {
        do {
            _ = try DocumentParser.parse(text: "flux: 1\nname: t\nsteps:\n  - id: a\n    sett: 1\n  - id: a\n    set: 1\n", sourceName: "x.yaml")
            Issue.record("should not parse")
        } catch {
            #expect(error.errors.count == 2)
            #expect(error.description == """
            x.yaml:5:5: steps[0].sett: unknown key "sett" in a step; did you mean "set"?
            x.yaml:6:9: steps[1].id: duplicate step id "a" (first used at steps[0]); ids are unique in the whole workflow
            """)
        }
    }
}
