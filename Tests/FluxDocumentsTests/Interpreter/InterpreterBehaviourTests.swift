import FluxCore
import Foundation
import Synchronization
import Testing
@testable import FluxDocuments

/// Runtime semantics of documents: replay, task options, secrets, maps, graphs, input validation.
@Suite("Interpreter semantics")
struct InterpreterBehaviourTests {
    /// A registered task `count` that counts its calls and returns its input.
    func counting(_ counter: Counter, name: String = "count", options: TaskOptions = TaskOptions()) -> TaskDefinition {
        TaskDefinition(name: name, options: options) { arguments, _ in
            counter.increment()
            return arguments
        }
    }

    @Test func resumeReplaysCompletedStepsWithoutRunningThemAgain() async throws {
        let counter = Counter()
        let text = doc("""
              - id: first
                task: count
                with: "${{ input }}"
              - id: items
                map:
                  over: [1, 1, 2]
                  step:
                    task: count
                    with: "${{ item }}"
              - id: dice
                builtin: randint
                with: { min: 1, max: 1000000 }
              - id: approval
                pause: approve
                output: "${{ steps.dice.output }}"
              - id: last
                task: count
                with: { answer: "${{ steps.approval.output }}", first: "${{ steps.first.output }}", dice: "${{ steps.dice.output }}" }
            """)
        let engine = try await documentEngine(text, environment: InterpreterEnvironment(tasks: ["count": counting(counter)]))
        let paused = try await engine.run(workflow: "t", input: "x")
        #expect(paused.record.state == .paused)
        #expect(counter.count == 4)
        let dice = try #require(paused.pauseOutput)
        let done = try await engine.resume(executionID: paused.record.id, input: "ok")
        #expect(done.record.state == .completed)
        #expect(counter.count == 5, "only the step after the pause ran; the others were replayed from their events")
        #expect(done.record.output == ["answer": "ok", "first": "x", "dice": dice], "replay gives the recorded random number")
        #expect(done.count(.taskStarted) == 6)
    }

    @Test func taskIDsAreDeterministicFromStepPathAndInputs() async throws {
        let text = doc("""
              - id: a
                set: "${{ input }}"
              - id: m
                map:
                  over: [7, 7, 7]
                  step:
                    set: "${{ item }}"
            """)
        let engine = try await documentEngine(text)
        let one = try await engine.run(workflow: "t", input: 1)
        let two = try await engine.run(workflow: "t", input: 1)
        let ids = { (s: ExecutionSnapshot) in s.events.filter { $0.type == .taskStarted }.map(\.sourceID).sorted() }
        #expect(ids(one) == ids(two), "the same document and input give the same task ids in every execution")
        #expect(Set(ids(one)).count == 4, "identical map items get distinct ids")
        let items = one.events.filter { $0.type == .taskStarted && $0.name == "m" }.map(\.value)
        #expect(Set(items) == [["step": "steps[1].map.step", "index": 0, "input": 7], ["step": "steps[1].map.step", "index": 1, "input": 7],
                               ["step": "steps[1].map.step", "index": 2, "input": 7]])
    }

    @Test func retriesWithBackoffThenSuccess() async throws {
        let counter = Counter()
        let flaky = TaskDefinition(name: "flaky") { _, context in
            counter.increment()
            if context.attempt < 2 { throw TestFailure("attempt \(context.attempt) fails") }
            return .int(context.attempt)
        }
        let text = doc("""
              - id: call
                task: flaky
                retry: { max_attempts: 3, delay: 50ms, backoff: 3 }
            """)
        let engine = try await documentEngine(text, environment: InterpreterEnvironment(tasks: ["flaky": flaky]))
        let s = try await engine.run(workflow: "t", input: .null)
        #expect(s.record.output == 2)
        #expect(counter.count == 3)
        #expect(s.types == ["WORKFLOW_STARTED", "TASK_STARTED", "TASK_RETRY_STARTED", "TASK_RETRY_FAILED", "TASK_RETRY_STARTED",
                            "TASK_RETRY_COMPLETED", "TASK_COMPLETED", "WORKFLOW_COMPLETED"])
        let delays = s.events.filter { $0.type == .taskRetryStarted }.compactMap { $0.value["current_delay"]?.doubleValue }
        #expect(delays.count == 2 && abs(delays[0] - 0.05) < 1e-9 && abs(delays[1] - 0.15) < 1e-9)
    }

    /// The task would run an hour: the run ending at all (the time limit only catches a hang) shows that both
    /// timeouts cut it short.
    @Test(.timeLimit(.minutes(10))) func timeoutThenFallbackThatIsItselfAStep() async throws {
        let slow = TaskDefinition(name: "slow") { _, _ in
            try await Task.sleep(for: .seconds(3600))
            return "late"
        }
        let text = doc("""
              - id: call
                task: slow
                timeout: 200ms
                fallback:
                  set: "fell back for ${{ input }}"
              - id: guarded
                task: slow
                timeout: 100ms
                fallback:
                  pipeline:
                    input: "${{ input }}"
                    steps:
                      - id: inner
                        set: "${{ previous }}!"
            """)
        let engine = try await documentEngine(text, environment: InterpreterEnvironment(tasks: ["slow": slow]))
        let s = try await engine.run(workflow: "t", input: "x")
        #expect(s.record.state == .completed)
        #expect(s.record.output == "x!")
        #expect(s.events(.taskCompleted, named: "call").first?.value == "fell back for x")
        #expect(s.count(.taskFallbackCompleted) == 2)
        #expect(s.events(.taskCompleted, named: "inner").count == 1, "a container fallback runs its steps as tasks")
        #expect(s.events.first { $0.type == .taskFailed }?.value == nil)
    }

    @Test func rollbacksRunLatestFirstAndOnlyForStepsThatRan() async throws {
        let text = doc("""
              - id: a
                set: "A"
                rollback:
                  set: "undo ${{ steps.a.output }}"
              - id: skipped
                if: false
                set: "never"
                rollback:
                  set: "must not run"
              - id: b
                set: "B"
                rollback:
                  set: "undo ${{ steps.b.output }}"
              - id: boom
                set: "${{ input.missing.field }}"
            """)
        let engine = try await documentEngine(text)
        let s = try await engine.run(workflow: "t", input: [:])
        #expect(s.record.state == .failed)
        #expect(s.failureMessage.contains("cannot read .field of null"), "\(s.failureMessage)")
        let rollbacks = s.events.filter { $0.type == .taskCompleted && $0.name.hasSuffix("_rollback") }
        #expect(rollbacks.map(\.name) == ["b_rollback", "a_rollback"])
        #expect(rollbacks.map(\.value) == ["undo B", "undo A"])
        #expect(!s.events.contains { $0.name == "skipped" || $0.name == "skipped_rollback" })
    }

    @Test func secretsReachOnlyTheStepsThatReferenceThem() async throws {
        let seen = SeenSecrets()
        let inspect = TaskDefinition(name: "inspect") { arguments, context in
            seen.record(context.secrets)
            return ["real": .bool(arguments["token"] == .string("Bearer alpha-secret-value-" + "1"))]
        }
        let text = doc("""
              - id: with_a
                task: inspect
                with: { token: "Bearer ${{ secrets.ALPHA }}" }
              - id: without
                task: inspect
                with: { plain: 1 }
              - id: with_b
                set: "key=${{ secrets.BETA }}"
              - id: reads_output
                set: "${{ steps.with_b.output }}"
            """, header: "secrets: [ALPHA, BETA]\n")
        let secrets = TestSecrets(["ALPHA": "alpha-secret-value-1", "BETA": "beta-secret-value-2"])
        let engine = try await documentEngine(text, environment: InterpreterEnvironment(tasks: ["inspect": inspect]), secrets: secrets)
        let s = try await engine.run(workflow: "t", input: .null)
        #expect(s.record.state == .completed)
        #expect(seen.all == [["ALPHA": "alpha-secret-value-1"], [:]])
        #expect(secrets.requested == [["ALPHA"], ["BETA"]], "each step asked for its own secrets only")
        #expect(!s.everything.contains("alpha-secret-value-1") && !s.everything.contains("beta-secret-value-2"))
        #expect(s.events(.taskStarted, named: "with_a").first?.value["input"] == ["token": "Bearer [secret:ALPHA]"])
        #expect(s.events(.taskCompleted, named: "with_a").first?.value == ["real": true], "the task saw the real value")
        #expect(s.record.output != "key=beta-secret-value-2")
    }

    @Test func missingSecretFailsTheStep() async throws {
        let text = doc("""
              - id: use
                set: "${{ secrets.ABSENT }}"
            """, header: "secrets: [ABSENT]\n")
        let engine = try await documentEngine(text, secrets: TestSecrets([:]))
        let s = try await engine.run(workflow: "t", input: .null)
        #expect(s.record.state == .failed)
        #expect(s.failureMessage.contains("ABSENT"))
    }

    @Test func inputIsValidatedBeforeAnyStep() async throws {
        let text = try exampleText("hello_world.yaml")
        let document = try DocumentParser.parse(text: text, sourceName: "hello_world.yaml")[0]
        #expect(throws: EngineError.invalidInput("input: expected string, found 42")) {
            try DocumentInterpreter.validateInput(42, for: document)
        }
        try DocumentInterpreter.validateInput("Ada", for: document)
        let engine = try await documentEngine(text)
        let s = try await engine.run(workflow: "hello_world", input: 42)
        #expect(s.record.state == .failed)
        #expect(s.failureMessage == "invalid input: input: expected string, found 42")
        #expect(s.types == ["WORKFLOW_STARTED", "WORKFLOW_FAILED"])

        let nested = try await documentEngine(doc("""
              - id: a
                set: 1
            """, header: "input:\n  type: object\n  properties: { user: { type: object, properties: { age: { type: integer } } } }\n  required: [user]\n"))
        let bad = try await nested.run(workflow: "t", input: ["user": ["age": "x"]])
        #expect(bad.failureMessage.contains("input.user.age: expected integer"), "\(bad.failureMessage)")
    }

    @Test func mapKeepsOrderWithinItsConcurrency() async throws {
        let counter = Counter()
        let work = TaskDefinition(name: "work") { arguments, _ in
            counter.enter()
            defer { counter.leave() }
            // Until two items have run at once, an item waits for another to start (however slow the machine), so
            // that a map that runs its items concurrently shows it.
            let deadline = ContinuousClock.now + .seconds(60)
            while counter.maxRunning < 2, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(5)) }
            try await Task.sleep(for: .milliseconds(Int.random(in: 5...30)))
            return .int((arguments.intValue ?? 0) * 10)
        }
        let text = doc("""
              - id: m
                map:
                  over: "${{ range(20) }}"
                  concurrency: 3
                  step:
                    task: work
                    with: "${{ item }}"
              - id: by_key
                map:
                  over: { b: 2, a: 1 }
                  step:
                    set: "${{ index }}:${{ item }}"
            """) + "\noutput: { m: \"${{ steps.m.output }}\", by_key: \"${{ steps.by_key.output }}\" }\n"
        let engine = try await documentEngine(text, environment: InterpreterEnvironment(tasks: ["work": work]))
        let s = try await engine.run(workflow: "t", input: .null)
        #expect(s.record.state == .completed, "\(s.record.output)")
        #expect(s.events(.taskCompleted, named: "m").count == 20)
        #expect(s.record.output["m"] == .array((0..<20).map { .int($0 * 10) }), "outputs in item order")
        #expect(s.record.output["by_key"] == ["0:1", "1:2"], "an object maps over its values in key order")
        #expect(counter.maxRunning <= 3 && counter.maxRunning >= 2, "max running \(counter.maxRunning)")
    }

    @Test func mapItemsHaveTheirOwnNestedSteps() async throws {
        let text = doc("""
              - id: m
                map:
                  over: [1, 2, 3, 4, 5, 6]
                  concurrency: 6
                  step:
                    pipeline:
                      input: "${{ item }}"
                      steps:
                        - id: dice
                          builtin: randint
                          with: { min: 0, max: 1000000 }
                        - id: pair
                          set: ["${{ item }}", "${{ steps.dice.output }}"]
              - id: wait
                pause: check
            """)
        let engine = try await documentEngine(text)
        let paused = try await engine.run(workflow: "t", input: .null)
        #expect(paused.record.state == .paused)
        let pairs = paused.events.filter { $0.type == .taskCompleted && $0.name == "pair" }
        #expect(Set(pairs.compactMap { $0.value[0]?.intValue }) == [1, 2, 3, 4, 5, 6])
        func scope(_ event: ExecutionEvent) -> Substring { event.sourceID.split(separator: "@", maxSplits: 1).last ?? "" }
        for pair in pairs {
            let dice = paused.events.first { $0.type == .taskCompleted && $0.name == "dice" && scope($0) == scope(pair) }
            #expect(dice?.value == pair.value[1], "each item reads its own dice")
        }
        let done = try await engine.resume(executionID: paused.record.id, input: .null)
        #expect(done.record.state == .completed)
        #expect(done.count(.taskStarted) == paused.count(.taskStarted), "nothing ran again")
    }

    @Test func graphRoutesAndFailsWhenTheEndIsNotReached() async throws {
        let text = doc("""
              - id: route
                graph:
                  start: check
                  end: done
                  nodes:
                    check: { set: "${{ input }}" }
                    yes: { set: "yes" }
                    no: { set: "no" }
                    done: { set: "${{ steps.yes.output }}/${{ steps.no.output }}" }
                  edges:
                    - { from: check, to: yes, when: "${{ output == 'y' }}" }
                    - { from: check, to: no, when: "${{ output == 'n' }}" }
                    - { from: yes, to: done }
                    - { from: no, to: done }
              - id: after
                set: "${{ steps.no.output }}"
            """)
        let engine = try await documentEngine(text)
        let yes = try await engine.run(workflow: "t", input: "y")
        #expect(yes.record.output == .null, "a node not reached reads as null")
        #expect(yes.events(.taskCompleted, named: "done").first?.value == "yes/")
        let no = try await engine.run(workflow: "t", input: "n")
        #expect(no.record.output == "no")
        let neither = try await engine.run(workflow: "t", input: "?")
        #expect(neither.record.state == .failed)
        #expect(neither.failureMessage.contains("without running its end node done"), "\(neither.failureMessage)")
    }

    @Test func containerWithTaskOptionsKeepsItsNestedOutputsAcrossReplay() async throws {
        let counter = Counter()
        let text = doc("""
              - id: both
                timeout: 1h
                parallel:
                  - id: left
                    task: count
                    with: "L"
                  - id: right
                    set: "R"
              - id: wait
                pause: go
              - id: after
                set: "${{ steps.left.output }}${{ steps.right.output }}"
            """)
        let engine = try await documentEngine(text, environment: InterpreterEnvironment(tasks: ["count": counting(counter)]))
        let paused = try await engine.run(workflow: "t", input: .null)
        #expect(paused.record.state == .paused)
        let done = try await engine.resume(executionID: paused.record.id, input: .null)
        #expect(done.record.output == "LR")
        #expect(counter.count == 1)
        #expect(done.events(.taskCompleted, named: "both").first?.value == ["output": ["L", "R"], "steps": ["left": "L", "right": "R"]])
    }

    @Test func skippedStepsAndPipelines() async throws {
        let text = doc("""
              - id: maybe
                if: "${{ input > 1 }}"
                parallel:
                  - id: inside
                    set: "ran"
              - id: calc
                pipeline:
                  input: "${{ input }}"
                  steps:
                    - id: double
                      set: "${{ previous * 2 }}"
                    - id: plus
                      set: "${{ previous + 1 }}"
              - id: report
                set: { inside: "${{ steps.inside.output }}", calc: "${{ steps.calc.output }}" }
            """)
        let engine = try await documentEngine(text)
        let low = try await engine.run(workflow: "t", input: 1)
        #expect(low.record.output == ["inside": nil, "calc": 3])
        #expect(!low.events.contains { $0.name == "inside" }, "a skipped step records nothing")
        let high = try await engine.run(workflow: "t", input: 5)
        #expect(high.record.output == ["inside": "ran", "calc": 11])
    }

    @Test func metadataAndUnknownTasks() async throws {
        let meta = TaskDefinition(name: "meta") { _, context in
            .string(context.metadata?.taskName ?? "none")
        }
        let text = doc("""
              - id: with_meta
                task: meta
                metadata: true
              - id: without_meta
                task: meta
              - id: unknown
                task: nowhere
            """)
        let engine = try await documentEngine(text, environment: InterpreterEnvironment(tasks: ["meta": meta]))
        let s = try await engine.run(workflow: "t", input: .null)
        #expect(s.events(.taskCompleted, named: "with_meta").first?.value == "with_meta")
        #expect(s.events(.taskCompleted, named: "without_meta").first?.value == "none")
        #expect(s.record.state == .failed)
        #expect(s.failureMessage.contains("no Swift task named nowhere is registered"), "\(s.failureMessage)")
    }

    @Test func callWithAPinnedVersionIsRefusedClearly() async throws {
        let text = """
            flux: 1
            workflows:
              - name: child
                steps:
                  - id: c
                    set: "child"
              - name: parent
                steps:
                  - id: call_latest
                    call: child
                  - id: call_pinned
                    call: child
                    version: 1
            """
        // Refused where it is written, when the document is read (issue #16, point 10), not when the step runs.
        do {
            _ = try DocumentParser.parse(text: text, sourceName: "pinned.yaml")
            Issue.record("a pinned call was accepted")
        } catch {
            #expect(error.description.contains("pinned.yaml:13:9: workflows[1].steps[1].version: call child pins version 1"), "\(error)")
        }
    }

    @Test func aPauseWithTaskOptionsIsRefusedWhereTheyAre() {
        for option in ["timeout: 5s", "retry: { max_attempts: 2 }", "cache: true", "fallback: { set: 1 }"] {
            let text = doc("""
                  - id: wait
                    pause: review
                    \(option)
                """)
            do {
                _ = try DocumentParser.parse(text: text, sourceName: "p.yaml")
                Issue.record("\(option) on a pause was accepted")
            } catch {
                let key = option.prefix { $0 != ":" }
                #expect(error.description.contains("steps[0].\(key): a pause cannot have \(key)"), "\(error)")
            }
        }
    }

    @Test func cacheKeysOnTheStepDefinition() async throws {
        let counter = Counter()
        let environment = InterpreterEnvironment(tasks: ["count": counting(counter), "other": counting(counter, name: "other")])
        let first = try await documentEngine(doc("""
              - id: step
                task: count
                with: 1
                cache: true
            """), environment: environment)
        let store = first.store
        _ = try await first.run(workflow: "t", input: .null)
        _ = try await first.run(workflow: "t", input: .null)
        #expect(counter.count == 1)
        // Same step id, path and input but another task: not served from the first one's cache.
        let second = FluxEngine(store: store)
        let changed = try DocumentParser.parse(text: doc("""
              - id: step
                task: other
                with: 1
                cache: true
            """), sourceName: "t.yaml")[0]
        await second.register(DocumentInterpreter.definition(for: changed, version: 2, environment: environment))
        _ = try await second.run(workflow: "t", input: .null)
        #expect(counter.count == 2)
    }

    @Test func pausePointsAreListed() throws {
        let document = try DocumentParser.parse(text: try exampleText("multiple_pause_points.yaml"), sourceName: "m.yaml")[0]
        #expect(document.pausePoints.map(\.name) == ["ask_name", "ask_age", "confirm"])
        #expect(throws: EngineError.self) { try DocumentInterpreter.validateResumeInput(-1, pauseName: "ask_age", in: document) }
        try DocumentInterpreter.validateResumeInput("anything", pauseName: "unknown", in: document)
    }
}

/// The secrets each call of a task received.
final class SeenSecrets: Sendable {
    private let list = Mutex<[[String: String]]>([])
    func record(_ secrets: [String: String]) { list.withLock { $0.append(secrets) } }
    var all: [[String: String]] { list.withLock { $0 } }
}

