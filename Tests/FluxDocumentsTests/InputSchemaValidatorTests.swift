import FluxCore
import Foundation
import Testing
@testable import FluxDocuments

@Suite struct InputSchemaValidatorTests {
    func violations(_ schema: JSONValue, _ value: JSONValue) throws -> [String] {
        try InputSchemaValidator(schema: schema).violations(of: value).map(\.description)
    }

    @Test func typesIncludingLists() throws {
        #expect(try violations(["type": "integer"], 3) == [])
        #expect(try violations(["type": "integer"], 3.0) == [])
        #expect(try violations(["type": "integer"], 3.5) == ["input: expected integer, found 3.5"])
        #expect(try violations(["type": "number"], 3) == [])
        #expect(try violations(["type": "string"], 1) == ["input: expected string, found 1"])
        #expect(try violations(["type": ["string", "null"]], nil) == [])
        #expect(try violations(["type": ["string", "null"]], true) == ["input: expected string or null, found true"])
        #expect(try violations(["type": "boolean"], "true") == ["input: expected boolean, found \"true\""])
        #expect(try violations(["type": "array"], [:]) == ["input: expected array, found an object"])
        #expect(try violations(["type": "object"], []) == ["input: expected object, found an array"])
        #expect(try violations(["type": "null"], 0) == ["input: expected null, found 0"])
    }

    @Test func nestedPropertiesNameTheOffendingPath() throws {
        let schema: JSONValue = [
            "type": "object",
            "required": ["user"],
            "properties": [
                "user": [
                    "type": "object",
                    "required": ["age", "name"],
                    "properties": ["age": ["type": "integer"], "name": ["type": "string"], "tags": ["type": "array", "items": ["type": "string"]]],
                ],
            ],
        ]
        #expect(try violations(schema, ["user": ["age": "x", "name": "Ada"]]) == ["input.user.age: expected integer, found \"x\""])
        #expect(try violations(schema, ["user": ["age": 3]]) == ["input.user.name: required property is missing"])
        #expect(try violations(schema, [:]) == ["input.user: required property is missing"])
        #expect(try violations(schema, ["user": ["age": 1, "name": "a", "tags": ["x", 2]]]) == ["input.user.tags[1]: expected string, found 2"])
    }

    @Test func additionalProperties() throws {
        let closed: JSONValue = ["type": "object", "properties": ["a": ["type": "integer"]], "additionalProperties": false]
        #expect(try violations(closed, ["a": 1]) == [])
        #expect(try violations(closed, ["a": 1, "b c": 2]) == ["input[\"b c\"]: unexpected property (allowed: a)"])
        let typed: JSONValue = ["type": "object", "additionalProperties": ["type": "number"]]
        #expect(try violations(typed, ["x": 1, "y": "no"]) == ["input.y: expected number, found \"no\""])
        let open: JSONValue = ["type": "object", "additionalProperties": true]
        #expect(try violations(open, ["x": 1]) == [])
    }

    @Test func enumAndConst() throws {
        #expect(try violations(["enum": ["red", "green", 1]], "blue") == ["input: expected one of \"red\", \"green\", 1, found \"blue\""])
        #expect(try violations(["enum": ["red", 1]], 1.0) == [])
        #expect(try violations(["const": ["a": 1]], ["a": 1]) == [])
        #expect(try violations(["const": "x"], "y") == ["input: expected \"x\", found \"y\""])
    }

    @Test func numericBounds() throws {
        let schema: JSONValue = ["type": "number", "minimum": 0, "maximum": 10, "multipleOf": 0.5]
        #expect(try violations(schema, 5.5) == [])
        #expect(try violations(schema, -1) == ["input: expected a number ≥ 0, found -1"])
        #expect(try violations(schema, 11) == ["input: expected a number ≤ 10, found 11"])
        #expect(try violations(schema, 1.25) == ["input: expected a multiple of 0.5, found 1.25"])
        let exclusive: JSONValue = ["exclusiveMinimum": 0, "exclusiveMaximum": 1]
        #expect(try violations(exclusive, 0) == ["input: expected a number > 0, found 0"])
        #expect(try violations(exclusive, 1) == ["input: expected a number < 1, found 1"])
        #expect(try violations(exclusive, 0.5) == [])
        #expect(try violations(exclusive, "not a number") == [], "bounds apply to numbers only")
    }

    @Test func stringConstraints() throws {
        let schema: JSONValue = ["type": "string", "minLength": 2, "maxLength": 4, "pattern": "^[a-z]+$"]
        #expect(try violations(schema, "abc") == [])
        #expect(try violations(schema, "a") == ["input: expected a string of at least 2 characters, found 1"])
        #expect(try violations(schema, "abcde") == ["input: expected a string of at most 4 characters, found 5"])
        #expect(try violations(schema, "AB") == ["input: expected a string matching \"^[a-z]+$\", found \"AB\""])
        #expect(try violations(["minLength": 2], "é✓") == [], "lengths count characters")
        #expect(try violations(["pattern": "b"], "abc") == [], "patterns are not anchored")
    }

    @Test func arrayConstraints() throws {
        let schema: JSONValue = ["type": "array", "minItems": 1, "maxItems": 3, "uniqueItems": true, "items": ["type": "integer"]]
        #expect(try violations(schema, [1, 2]) == [])
        #expect(try violations(schema, []) == ["input: expected at least 1 items, found 0"])
        #expect(try violations(schema, [1, 2, 3, 4]) == ["input: expected at most 3 items, found 4"])
        #expect(try violations(schema, [1, 2, 1]) == ["input[2]: expected unique items, found a repeat of input[0]"])
        #expect(try violations(schema, [1, "2"]) == ["input[1]: expected integer, found \"2\""])
    }

    @Test func objectSizeConstraints() throws {
        #expect(try violations(["minProperties": 1], [:]) == ["input: expected at least 1 properties, found 0"])
        #expect(try violations(["maxProperties": 1], ["a": 1, "b": 2]) == ["input: expected at most 1 properties, found 2"])
    }

    @Test func combinators() throws {
        let anyOf: JSONValue = ["anyOf": [["type": "string"], ["type": "integer", "minimum": 0]]]
        #expect(try violations(anyOf, "x") == [])
        #expect(try violations(anyOf, 3) == [])
        #expect(try violations(anyOf, -3) == ["input: expected a value matching at least one of 2 schemas (anyOf), found -3"])
        let oneOf: JSONValue = ["oneOf": [["type": "number"], ["type": "integer"]]]
        #expect(try violations(oneOf, 1.5) == [])
        #expect(try violations(oneOf, 1) == ["input: expected a value matching exactly one of 2 schemas (oneOf), found 1 matching 2"])
        let allOf: JSONValue = ["allOf": [["type": "string"], ["minLength": 3]]]
        #expect(try violations(allOf, "ab") == ["input: expected a string of at least 3 characters, found 2"])
        let not: JSONValue = ["not": ["type": "null"]]
        #expect(try violations(not, nil) == ["input: expected a value not matching the schema under \"not\", found null"])
        #expect(try violations(not, 1) == [])
    }

    @Test func booleanSchemasAndAnnotations() throws {
        #expect(try violations(true, ["anything": 1]) == [])
        #expect(try violations(false, 1) == ["input: no value is allowed here"])
        let annotated: JSONValue = ["type": "string", "title": "T", "description": "D", "default": "x", "examples": ["y"], "format": "email", "$schema": "https://json-schema.org/draft/2020-12/schema"]
        #expect(try violations(annotated, "not an email") == [], "format and default are annotations only")
    }

    @Test func multipleViolationsAreAllReported() throws {
        let schema: JSONValue = ["type": "object", "required": ["a", "b"], "properties": ["c": ["type": "string"]]]
        #expect(try violations(schema, ["c": 1]) == [
            "input.a: required property is missing", "input.b: required property is missing", "input.c: expected string, found 1",
        ])
    }

    @Test func validateThrowsAndUsesTheRootName() throws {
        let validator = try InputSchemaValidator(schema: ["type": "object", "properties": ["approved": ["type": "boolean"]]])
        #expect(throws: Never.self) { try validator.validate(["approved": true]) }
        do {
            try validator.validate(["approved": "yes"], root: "resume")
            Issue.record("should not validate")
        } catch {
            #expect(error.description == "resume.approved: expected boolean, found \"yes\"")
        }
    }

    @Test func invalidSchemasAreRefused() {
        for schema: JSONValue in [["type": "strng"], ["minLength": -1], ["pattern": "("], ["required": "a"], ["properties": ["a": 5]], ["$ref": "#"], 5, ["anyOf": []]] {
            #expect(throws: DocumentValidationError.self, "\(schema)") { try InputSchemaValidator(schema: schema) }
        }
    }

    @Test func workflowInputSchemaFromADocument() throws {
        let w = try workflow("""
        flux: 1
        name: t
        input:
          type: object
          properties:
            user:
              type: object
              properties:
                age: {type: integer, minimum: 0}
          required: [user]
        steps:
          - id: a
            set: 1
        """)
        let validator = try InputSchemaValidator(schema: try #require(w.inputSchema))
        #expect(validator.violations(of: ["user": ["age": "x"]]).map(\.description) == ["input.user.age: expected integer, found \"x\""])
        #expect(validator.violations(of: ["user": ["age": 30]]).isEmpty)
    }
}

@Suite struct DocumentInputValidationTests {
    @Test func workflowAndPauseValidators() throws {
        let w = try workflow("""
        flux: 1
        name: t
        input: {type: object, required: [n], properties: {n: {type: integer}}}
        steps:
          - id: ask
            pause: ask
            input: {type: boolean}
        """)
        #expect(throws: Never.self) { try w.validateInput(["n": 1]) }
        #expect(throws: InputValidationError.self) { try w.validateInput(["n": "1"]) }
        guard case .pause(let pause) = w.steps[0].kind else { throw TestFailure("a pause") }
        #expect(pause.inputValidator?.violations(of: "yes", root: "resume").map(\.description) == ["resume: expected boolean, found \"yes\""])
        let open = try workflow(doc("  - id: a\n    set: 1\n"))
        #expect(open.inputValidator == nil)
        #expect(throws: Never.self) { try open.validateInput(["anything": true]) }
    }
}
