import FluxCore
import Foundation
import Testing
@testable import FluxDocuments

@Suite struct ParsingTests {
    @Test func helloWorld() throws {
        let text = """
        flux: 1                          # format version, required
        name: hello_world
        description: Greets someone
        input: { type: string }
        secrets: [API_KEY]
        steps:
          - id: greet
            set: "Hello, ${{ input }}"
        output: "${{ steps.greet.output }}"
        """
        let w = try workflow(text, file: "hello.yaml")
        #expect(w.formatVersion == 1)
        #expect(w.name == "hello_world")
        #expect(w.description == "Greets someone")
        #expect(w.inputSchema == ["type": "string"])
        #expect(w.secrets == ["API_KEY"])
        #expect(w.steps.count == 1)
        #expect(w.steps[0].id == "greet")
        #expect(w.steps[0].kind == .set(.interpolation([.text("Hello, "), .expression(.variable(.input))])))
        #expect(w.steps[0].location == DocumentLocation(path: "steps[0]", line: 7, column: 5))
        #expect(w.output == .expression(.member(.member(.variable(.steps), "greet"), "output")))
        #expect(w.source == text)
        #expect(w.sourceFormat == .yaml)
        #expect(w.sourceName == "hello.yaml")
        #expect(w.normalized["name"] == "hello_world")
        #expect(w.contentHash == DocumentParser.contentHash(of: w.normalized))
        #expect(try evaluator.evaluate(w.output!, in: ExpressionScope(steps: ["greet": "Hello, Ada"])) == "Hello, Ada")
    }

    @Test func contentHashIgnoresLayoutButNotContent() throws {
        let a = try workflow("flux: 1\nname: h\nsteps:\n  - id: a\n    set: 1\n")
        let b = try workflow("# comment\nname: h\nflux: 1\nsteps: [{set: 1, id: a}]\n")
        let c = try workflow("{\"flux\": 1, \"name\": \"h\", \"steps\": [{\"id\": \"a\", \"set\": 1}]}", file: "h.json")
        let d = try workflow("flux: 1\nname: h\nsteps:\n  - id: a\n    set: 2\n")
        #expect(a.contentHash == b.contentHash)
        #expect(a.contentHash == c.contentHash)
        #expect(a.contentHash != d.contentHash)
        #expect(a.contentHash.count == 64)
        #expect(a.contentHash.allSatisfy { $0.isHexDigit && !$0.isUppercase })
        #expect(c.sourceFormat == .json)
    }

    @Test func yaml12Scalars() throws {
        let w = try workflow("""
        flux: 1
        name: t
        steps:
          - id: a
            set: [yes, no, on, off, y, n, true, False, ~, null, "", 0x1F, 0o17, 1_000, 1.5e3, .5, -3, +4, "12", '7', 2001-12-14, 1.0]
        """)
        guard case .set(.literal(let v)) = w.steps[0].kind else { throw TestFailure("a literal") }
        #expect(v == ["yes", "no", "on", "off", "y", "n", true, false, nil, nil, "", 31, 15, "1_000", 1500.0, 0.5, -3, 4, "12", "7", "2001-12-14", 1.0])
    }

    @Test func everyStepKindParses() throws {
        let w = try workflow("""
        flux: 1
        name: kinds
        secrets: [TOKEN]
        steps:
          - id: s_set
            set: {a: "${{ input }}"}
          - id: s_task
            task: send_email
            with: {to: "${{ input.to }}"}
          - id: s_builtin
            builtin: randint
            with: {min: 1, max: 6}
          - id: s_pause
            pause: approve
            output: "ok?"
            input: {type: boolean}
          - id: s_call
            call: other_flow
            with: "${{ steps.s_set.output }}"
          - id: s_http
            http:
              method: post
              url: "https://example.com/${{ input.path }}"
              headers: {Authorization: "Bearer ${{ secrets.TOKEN }}"}
              query: {page: 1}
              body: {x: 1}
              expect: [200, 201]
              timeout: 10s
          - id: s_http_short
            http: "https://example.com"
          - id: s_parallel
            parallel:
              - id: p1
                set: 1
              - id: p2
                set: 2
          - id: s_map
            map:
              over: [1, 2, 3]
              concurrency: 2
              step:
                set: "${{ item * index }}"
          - id: s_pipeline
            pipeline:
              input: 5
              steps:
                - id: q1
                  set: "${{ previous + 1 }}"
                - id: q2
                  set: "${{ previous * 2 }}"
          - id: s_graph
            graph:
              start: a
              end: c
              nodes:
                a: {set: 1}
                b: {set: 2}
                c: {set: "${{ default(steps.b.output, 0) + steps.a.output }}"}
              edges:
                - {from: a, to: b, when: "${{ output > 0 }}"}
                - {from: a, to: c}
                - {from: b, to: c, when: true}
          - id: s_exec
            exec:
              command: echo
              args: ["hello", "${{ input.name }}", 3]
              env: {LANG: C}
        """)
        let kinds = w.steps.map(\.kind.name)
        #expect(kinds == ["set", "task", "builtin", "pause", "call", "http", "http", "parallel", "map", "pipeline", "graph", "exec"])
        #expect(w.step(id: "s_task")?.kind == .task(TaskCall(name: "send_email", arguments: .object(["to": .expression(.member(.variable(.input), "to"))]))))
        #expect(w.step(id: "s_builtin")?.kind == .builtin(BuiltinCall(builtin: .randint, arguments: .literal(["min": 1, "max": 6]))))
        #expect(w.step(id: "s_pause")?.kind == .pause(PausePoint(name: "approve", output: .literal("ok?"), inputSchema: ["type": "boolean"])))
        guard case .call(let call)? = w.step(id: "s_call")?.kind else { throw TestFailure("call") }
        #expect(call.workflow == "other_flow")
        #expect(call.version == nil)
        guard case .http(let http)? = w.step(id: "s_http")?.kind else { throw TestFailure("http") }
        #expect(http.method == "POST")
        #expect(http.expect == [200, 201])
        #expect(http.timeout == .seconds(10))
        #expect(http.query == .literal(["page": 1]))
        #expect(http.headers?.referencesSecrets == true)
        #expect(try evaluator.evaluate(http.url, in: ExpressionScope(input: ["path": "x"])) == "https://example.com/x")
        guard case .http(let short)? = w.step(id: "s_http_short")?.kind else { throw TestFailure("http") }
        #expect(short == HTTPRequestSpec(url: .literal("https://example.com")))
        guard case .parallel(let branches)? = w.step(id: "s_parallel")?.kind else { throw TestFailure("parallel") }
        #expect(branches.map(\.id) == ["p1", "p2"])
        guard case .map(let map)? = w.step(id: "s_map")?.kind else { throw TestFailure("map") }
        #expect(map.concurrency == 2)
        #expect(map.over == .literal([1, 2, 3]))
        #expect(map.body.location.path == "steps[8].map.step")
        #expect(try evaluator.evaluate(try #require(map.body.kind.setTemplate), in: ExpressionScope(item: 3, index: 2)) == 6)
        guard case .pipeline(let pipeline)? = w.step(id: "s_pipeline")?.kind else { throw TestFailure("pipeline") }
        #expect(pipeline.input == .literal(5))
        #expect(pipeline.steps.map(\.id) == ["q1", "q2"])
        guard case .graph(let graph)? = w.step(id: "s_graph")?.kind else { throw TestFailure("graph") }
        #expect(graph.nodes.map(\.id) == ["a", "b", "c"])
        #expect(graph.start == "a" && graph.end == "c")
        #expect(graph.edges.count == 3)
        #expect(graph.edges[2].when == .literal(true))
        #expect(graph.edges(from: "a").map(\.to) == ["b", "c"])
        #expect(graph.topologicalOrder == ["a", "b", "c"])
        #expect(graph.node(id: "b")?.location.path == "steps[10].graph.nodes.b")
        guard case .exec(let exec)? = w.step(id: "s_exec")?.kind else { throw TestFailure("exec") }
        #expect(exec.command == "echo")
        #expect(try evaluator.evaluate(exec.arguments, in: ExpressionScope(input: ["name": "Ada"])) == ["hello", "Ada", 3])
        #expect(exec.environment == .literal(["LANG": "C"]))
        // Nested ids are all known and ordered parents first.
        #expect(w.allSteps.map(\.id) == ["s_set", "s_task", "s_builtin", "s_pause", "s_call", "s_http", "s_http_short", "s_parallel", "p1", "p2",
                                          "s_map", "s_pipeline", "q1", "q2", "s_graph", "a", "b", "c", "s_exec"])
    }

    @Test func everyOptionParses() throws {
        let w = try workflow("""
        flux: 1
        name: options
        steps:
          - id: a
            description: does a thing
            set: 1
            if: "${{ input.enabled }}"
            retry: {max_attempts: 3, delay: 500ms, backoff: 1.5}
            timeout: 1h30m
            cache: true
            metadata: true
            fallback:
              set: "fallback"
              timeout: 2
            rollback:
              set: "undo ${{ steps.a.output }}"
          - id: b
            set: 2
            retry: {max_attempts: 0}
            if: false
            timeout: 0.25
        """)
        let a = w.steps[0].options
        #expect(a.description == "does a thing")
        #expect(a.condition == .expression(.member(.variable(.input), "enabled")))
        #expect(a.retry == RetryPolicy(maxAttempts: 3, delay: .milliseconds(500), backoff: 1.5))
        #expect(a.timeout == .seconds(5400))
        #expect(a.cache && a.metadata)
        #expect(a.fallback?.kind == .set(.literal("fallback")))
        #expect(a.fallback?.options.timeout == .seconds(2))
        #expect(a.fallback?.location.path == "steps[0].fallback")
        #expect(a.rollback?.kind.setTemplate?.referencedSteps == ["a"])
        let b = w.steps[1].options
        #expect(b.retry == RetryPolicy(maxAttempts: 0, delay: .seconds(1), backoff: 2))
        #expect(b.condition == .literal(false))
        #expect(b.timeout == .milliseconds(250))
        #expect(!b.cache && !b.metadata && b.fallback == nil && b.rollback == nil)
    }

    @Test(arguments: [
        ("30s", 30.0), ("5m", 300), ("1h", 3600), ("2d", 172_800), ("500ms", 0.5), ("1m30s", 90), ("1.5s", 1.5), (" 10s ", 10),
    ])
    func durations(_ text: String, _ seconds: Double) {
        #expect(DocumentDecoder.parseDuration(text) == seconds)
    }

    @Test(arguments: ["", "s", "10", "ten s", "5 m", "1h-", "m5", "1x"])
    func invalidDurations(_ text: String) {
        #expect(DocumentDecoder.parseDuration(text) == nil)
    }

    @Test func builtinsParse() throws {
        let w = try workflow(doc("""
          - id: now
            builtin: now
          - id: uuid
            builtin: uuid4
            with: {}
          - id: sleep_number
            builtin: sleep
            with: {seconds: 1.5}
          - id: sleep_text
            builtin: sleep
            with: {seconds: "5m"}
          - id: sleep_expression
            builtin: sleep
            with: {seconds: "${{ input.delay }}"}
          - id: choice
            builtin: choice
            with: {options: "${{ input.options }}"}
          - id: randrange
            builtin: randrange
            with: {stop: 10}

        """))
        let builtins: [BuiltinName] = w.steps.compactMap { if case .builtin(let b) = $0.kind { return b.builtin } else { return nil } }
        #expect(builtins == [.now, .uuid4, .sleep, .sleep, .sleep, .choice, .randrange])
    }

    @Test func multipleWorkflows() throws {
        let docs = try DocumentParser.parse(text: """
        flux: 1
        workflows:
          - name: first
            steps:
              - id: a
                set: 1
          - name: second
            flux: 1
            steps:
              - id: a
                call: first
        """, sourceName: "many.yaml")
        #expect(docs.map(\.name) == ["first", "second"])
        #expect(docs[0].location.path == "workflows[0]")
        #expect(docs[0].steps[0].location == DocumentLocation(path: "steps[0]", line: 5, column: 9))
        // Step paths do not depend on where the workflow sits in the document.
        let alone = try DocumentParser.parse(text: docs[1].source, sourceName: "second.json")[0]
        #expect(alone.steps[0].location.path == docs[1].steps[0].location.path)
        // Each workflow's source is its own content, re-serialized, with the format version.
        let again = try DocumentParser.parse(text: docs[0].source, sourceName: "first.json")
        #expect(again[0].contentHash == docs[0].contentHash)
        #expect(docs[0].normalized["flux"] == 1)
        #expect(docs[0].contentHash != docs[1].contentHash)
        // Step ids are per workflow: both may use "a".
    }

    @Test func jsonDocumentsHaveLocations() throws {
        let text = """
        {
          "flux": 1,
          "name": "j",
          "steps": [
            {"id": "a", "set": "${{ steps.b.output }}"}
          ]
        }
        """
        let errors = errors(text, file: "j.json")
        #expect(errors.count == 1)
        #expect(errors.first?.line == 5)
        #expect(errors.first?.column == 24)
        #expect(errors.first?.path == "steps[0].set")
    }

    @Test func jsonWithTabsAndEscapesParses() throws {
        let text = "{\t\"flux\": 1,\n\t\"name\": \"j\",\n\t\"steps\": [{\"id\": \"a\", \"set\": \"a\\/b \\u00e9 \\ud83d\\ude00\"}]}"
        let w = try workflow(text, file: "j.json")
        #expect(w.steps[0].kind == .set(.literal("a/b é 😀")))
    }

    @Test func yamlAnchorsAndMergeKeysWork() throws {
        let w = try workflow("""
        flux: 1
        name: anchors
        steps:
          - id: a
            set: 1
            retry: &standard {max_attempts: 3, delay: 2}
          - id: b
            set: 2
            retry: *standard
          - &shared_options
            id: c
            set: 3
            timeout: 5s
          - <<: *shared_options
            id: d
        """)
        #expect(w.steps[1].options.retry == RetryPolicy(maxAttempts: 3, delay: .seconds(2)))
        #expect(w.steps[3].id == "d")
        #expect(w.steps[3].options.timeout == .seconds(5))
        #expect(w.steps[3].kind == .set(.literal(3)))
    }

    @Test func dataInputAcceptsAByteOrderMark() throws {
        let data = Data([0xEF, 0xBB, 0xBF]) + Data("flux: 1\nname: bom\nsteps: [{id: a, set: 1}]\n".utf8)
        #expect(try DocumentParser.parse(data: data, sourceName: "bom.yaml").first?.name == "bom")
    }

    @Test func visibilityRules() throws {
        // Nested ids of parallel, pipeline and graph are visible after their container; graph nodes see upstream
        // nodes; a rollback sees its own step; map bodies see their own earlier steps.
        _ = try workflow(doc("""
          - id: p
            parallel:
              - id: p1
                pipeline:
                  steps:
                    - id: inner1
                      set: 1
                    - id: inner2
                      set: "${{ steps.inner1.output + previous }}"
              - id: p2
                set: 2
          - id: after
            set: "${{ steps.p1.output + steps.inner2.output + steps.p2.output + length(steps.p.output) }}"
          - id: g
            graph:
              start: n1
              end: n3
              nodes:
                n1: {set: "${{ steps.after.output }}"}
                n2: {set: "${{ steps.n1.output }}"}
                n3: {set: "${{ steps.n1.output + steps.n2.output }}"}
              edges:
                - {from: n1, to: n2, when: "${{ steps.n1.output == output }}"}
                - {from: n2, to: n3}
          - id: m
            map:
              over: "${{ range(3) }}"
              step:
                pipeline:
                  input: "${{ item }}"
                  steps:
                    - id: m1
                      set: "${{ previous + index }}"
                    - id: m2
                      set: "${{ steps.m1.output + steps.n3.output }}"
          - id: r
            set: 1
            rollback:
              set: "${{ steps.r.output + steps.g.output }}"
            fallback:
              set: "${{ steps.m.output }}"

        """))
    }
}

extension StepKind {
    var setTemplate: Template? {
        if case .set(let t) = self { return t }
        return nil
    }
}
