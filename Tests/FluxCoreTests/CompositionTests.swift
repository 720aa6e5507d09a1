import FluxCore
import Foundation
import Testing

@Suite("Composition")
struct CompositionTests {
    let sayHi = task("say_hi") { (name: String) in "Hi, \(name)" }
    let sayHello = task("say_hello") { (name: String) in "Hello, \(name)" }
    let sayHola = task("say_hola") { (name: String) in "Hola, \(name)" }

    @Test func parallelReturnsResultsInOrder() async throws {
        let engine = makeEngine()
        let (hi, hello, hola) = (sayHi, sayHello, sayHola)
        let wf = workflow("parallel_tasks") { (ctx: ExecutionContext<String>) in
            try await parallel({ try await hi(ctx.input) }, { try await hello(ctx.input) }, { try await hola(ctx.input) })
        }
        let ctx = try await wf.run("Joe", on: engine)
        #expect(ctx.output == ["Hi, Joe", "Hello, Joe", "Hola, Joe"])
        #expect(ctx.events.of(.taskCompleted).count == 3)
    }

    @Test func identicalCallsInParallelBranchesGetDeterministicIDs() async throws {
        let engine = makeEngine()
        let hi = sayHi
        let wf = workflow("parallel_same") { (ctx: ExecutionContext<String>) in
            try await parallel({ try await hi(ctx.input) }, { try await hi(ctx.input) })
        }
        let a = try await wf.run("x", on: engine)
        let b = try await wf.run("x", on: engine)
        let idsA = Set(a.events.of(.taskCompleted).map(\.sourceID))
        let idsB = Set(b.events.of(.taskCompleted).map(\.sourceID))
        #expect(idsA.count == 2 && idsA == idsB)
    }

    @Test func pipelineFoldsThroughTasks() async throws {
        let engine = makeEngine()
        let double = task("multiply_by_two") { (x: Int) in x * 2 }
        let addThree = task("add_three") { (x: Int) in x + 3 }
        let square = task("square") { (x: Int) in x * x }
        let wf = workflow("simple_pipeline") { (ctx: ExecutionContext<Int>) in
            try await pipeline(double, addThree, square, input: ctx.input)
        }
        #expect(try await wf.run(4, on: engine).output == 121)
    }

    @Test func mapRunsEveryItemWithBoundedConcurrency() async throws {
        let engine = makeEngine(mapConcurrency: 4)
        let gauge = Counter()
        let slowUpper = task("upper") { (s: String) -> String in
            gauge.enter()
            defer { gauge.leave() }
            try await Task.sleep(for: .milliseconds(5))
            return s.uppercased()
        }
        let wf = workflow("task_map") { (ctx: ExecutionContext<[String]>) in try await slowUpper.map(ctx.input) }
        let input = (0..<20).map { "item\($0)" }
        let ctx = try await wf.run(input, on: engine)
        #expect(ctx.output == .array(input.map { .string($0.uppercased()) }))
        #expect(gauge.maxConcurrent <= 4)
        #expect(gauge.maxConcurrent >= 2)
        #expect(ctx.events.of(.taskCompleted).count == 20)
    }

    @Test func mapOfIdenticalItemsKeepsOneTaskPerItem() async throws {
        let engine = makeEngine()
        let calls = Counter()
        let square = task("square") { (x: Int) -> Int in calls.increment(); return x * x }
        let wf = workflow("map_same") { (ctx: ExecutionContext<[Int]>) in try await square.map(ctx.input) }
        let ctx = try await wf.run([3, 3, 3], on: engine)
        #expect(ctx.output == [9, 9, 9])
        #expect(calls.count == 3)
        #expect(Set(ctx.events.of(.taskCompleted).map(\.sourceID)).count == 3)
    }

    @Test func nestedTasksAreRecordedInsideTheirParent() async throws {
        let engine = makeEngine()
        let leaf = task("leaf") { (x: Int) in x + 1 }
        let middle = task("middle") { (x: Int) in try await leaf(x) * 10 }
        let top = task("top") { (x: Int) in try await middle(x) + 5 }
        let wf = workflow("nested_tasks") { (ctx: ExecutionContext<Int>) in try await top(ctx.input) }
        let ctx = try await wf.run(1, on: engine)
        #expect(ctx.output == 25)
        let completed = ctx.events.of(.taskCompleted)
        #expect(completed.map(\.name) == ["leaf", "middle", "top"])
        let topID = completed[2].sourceID
        #expect(completed[1].sourceID.hasSuffix("@" + topID))
    }

    @Test func graphFollowsConditionalEdges() async throws {
        let engine = makeEngine()
        let score = task("score") { (n: Int) in n }
        let approve = task("approve") { (n: Int) in "approved \(n)" }
        let reject = task("reject") { (n: Int) in "rejected \(n)" }
        let graph = try Graph("review")
            .add(node: "score", task: score).add(node: "approve", task: approve).add(node: "reject", task: reject)
            .add(node: "done", task: task("done") { (s: String) in s.uppercased() })
            .edge(from: "score", to: "approve") { ($0.intValue ?? 0) >= 5 }
            .edge(from: "score", to: "reject")
            .edge(from: "approve", to: "done").edge(from: "reject", to: "done")
            .start(at: "score").end(at: "done")
            .validated()
        let wf = workflow("graph") { (ctx: ExecutionContext<Int>) in try await graph.run(.int(ctx.input)) }
        #expect(try await wf.run(7, on: engine).output == "APPROVED 7")
        #expect(try await wf.run(2, on: engine).output == "REJECTED 2")
    }

    @Test func graphValidationFindsCyclesAndUnreachableNodes() throws {
        let t = task("t") { (x: Int) in x }
        let cyclic = Graph("g").add(node: "a", task: t).add(node: "b", task: t)
            .edge(from: "a", to: "b").edge(from: "b", to: "a").start(at: "a").end(at: "b")
        #expect(throws: GraphError.cycle(graph: "g", path: ["a", "b", "a"])) { try cyclic.validate() }
        let island = Graph("g").add(node: "a", task: t).add(node: "b", task: t).add(node: "c", task: t)
            .edge(from: "a", to: "b").start(at: "a").end(at: "b")
        #expect(throws: GraphError.unreachable(graph: "g", nodes: ["c"])) { try island.validate() }
        let noStart = Graph("g").add(node: "a", task: t).end(at: "a")
        #expect(throws: GraphError.noStart(graph: "g")) { try noStart.validate() }
        let unknown = Graph("g").add(node: "a", task: t).edge(from: "a", to: "zz").start(at: "a").end(at: "a")
        #expect(throws: GraphError.unknownNode(graph: "g", node: "zz")) { try unknown.validate() }
    }

    @Test func subworkflowCallRunsAChildExecution() async throws {
        let engine = makeEngine()
        let child = workflow("child") { (ctx: ExecutionContext<Int>) in ctx.input * 3 }
        let parent = workflow("parent") { (ctx: ExecutionContext<Int>) in try await call(child, ctx.input) + 1 }
        await engine.register(child.definition)
        let ctx = try await parent.run(5, on: engine)
        #expect(ctx.output == 16)
        let page = try await engine.store.listExecutions(ExecutionQuery(workflowName: "child"))
        #expect(page.executions.count == 1 && page.executions[0].state == .completed)
    }
}
