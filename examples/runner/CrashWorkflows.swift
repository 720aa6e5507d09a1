import Flux
import FluxExamples
import Foundation

/// Workflows for the crash tests: they leave traces outside the store, so that a test can tell
/// which work ran how many times across a SIGKILL and a recovery.
enum CrashWorkflows {
    struct LedgerInput: Codable, Sendable {
        var steps: Int
        /// The file each step appends its line to.
        var ledger: String
        /// Seconds each step sleeps after writing its line (default 0.05).
        var delay: Double?
    }

    struct LedgerStep: Codable, Sendable, Hashable {
        var executionID: String
        var step: Int
        var ledger: String
        var delay: Double

        enum CodingKeys: String, CodingKey {
            case executionID = "execution_id", step, ledger, delay
        }
    }

    /// Appends `execution_id step attempt` to the ledger, then sleeps; returns the step number.
    static let ledgerStep = task("ledger_step") { (input: LedgerStep, context: TaskContext) -> Int in
        try appendLine("\(input.executionID) \(input.step) \(context.attempt)", to: input.ledger)
        if input.delay > 0 { try await Task.sleep(for: .seconds(input.delay)) }
        return input.step
    }

    /// `ledger`: steps 1…N, one task each; input `{"steps": N, "ledger": "/path/file", "delay": 0.05}`.
    static let ledger = workflow(
        "ledger", description: "N steps, each appending `execution_id step attempt` to a ledger file"
    ) { (ctx: ExecutionContext<LedgerInput>) -> [Int] in
        let delay = ctx.input.delay ?? 0.05
        guard (0...10_000).contains(ctx.input.steps), (0...60).contains(delay), !ctx.input.ledger.isEmpty else {
            throw ExampleError.invalidInput("ledger needs 0 <= steps <= 10000, 0 <= delay <= 60 and a ledger path")
        }
        var done: [Int] = []
        for step in stride(from: 1, through: ctx.input.steps, by: 1) {
            done.append(try await ledgerStep(LedgerStep(executionID: ctx.executionID, step: step, ledger: ctx.input.ledger, delay: delay)))
        }
        return done
    }

    /// `sleeper`: a durable sleep of the input's seconds, then "awake".
    static let sleeper = workflow(
        "sleeper", description: "Sleeps durably for the input's seconds, then answers \"awake\""
    ) { (ctx: ExecutionContext<Double>) -> String in
        guard (0...86_400).contains(ctx.input) else { throw ExampleError.invalidInput("sleeper needs 0 to 86400 seconds") }
        try await sleep(seconds: ctx.input)
        return "awake"
    }

    static let all: [WorkflowDefinition] = [ledger.definition, sleeper.definition]

    /// Appends one line with a single `write` on an `O_APPEND` descriptor, so concurrent writers never interleave.
    static func appendLine(_ line: String, to path: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        guard fd >= 0 else { throw RunnerError.io("cannot open the ledger \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        let bytes = Array((line + "\n").utf8)
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard written == bytes.count else { throw RunnerError.io("cannot append to the ledger \(path)") }
    }
}
