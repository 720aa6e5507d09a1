import Flux
import Foundation

/// The Swift workflows and tasks of the example worker binary.
///
/// `ledger_append` appends one line per run of its body to the file named by `EXAMPLE_WORKER_LEDGER` (when set):
/// `<pid>\t<run>\t<step>\t<task id>`, so a test can see which process ran which task, and how often.
enum ExampleWorker {
    struct LedgerEntry: Codable, Sendable {
        /// Tells executions apart (their input carries it).
        var run: String
        var step: String
        /// How long the body takes, in milliseconds.
        var delayMs: Int?

        enum CodingKeys: String, CodingKey {
            case run, step
            case delayMs = "delay_ms"
        }
    }

    static let ledgerAppend = TaskDefinition(name: "ledger_append") { arguments, context in
        let entry: LedgerEntry = try arguments.decode()
        if let delay = entry.delayMs, delay > 0 { try await Task.sleep(for: .milliseconds(delay)) }
        if let path = ProcessInfo.processInfo.environment["EXAMPLE_WORKER_LEDGER"] {
            let line = "\(ProcessInfo.processInfo.processIdentifier)\t\(entry.run)\t\(entry.step)\t\(context.metadata?.taskID ?? "-")\n"
            try Ledger.append(line, to: path)
        }
        return .string("\(entry.step) done")
    }

    struct ReportInput: Codable, Sendable {
        var run: String
        var items: Int
        var delayMs: Int

        enum CodingKeys: String, CodingKey {
            case run, items
            case delayMs = "delay_ms"
        }
    }

    /// `swift_report`: one task, a map of `items` tasks, one more task.
    static let report = workflow("swift_report", description: "Fetches, processes items in a map, summarizes (Swift)") {
        (ctx: ExecutionContext<ReportInput>) -> Int in
        let input = ctx.input
        let append = FluxTask<LedgerEntry, String>(definition: ledgerAppend)
        _ = try await append(LedgerEntry(run: input.run, step: "fetch", delayMs: input.delayMs))
        let items = (0..<max(0, input.items)).map { LedgerEntry(run: input.run, step: "item\($0)", delayMs: input.delayMs) }
        let done = try await append.map(items)
        _ = try await append(LedgerEntry(run: input.run, step: "summarize", delayMs: input.delayMs))
        return done.count
    }

    /// `swift_approval`: a task, a pause for approval, a task with the approval.
    static let approval = workflow("swift_approval", description: "Prepares, waits for approval, finishes (Swift)") {
        (ctx: ExecutionContext<ReportInput>) -> String in
        let input = ctx.input
        let append = FluxTask<LedgerEntry, String>(definition: ledgerAppend)
        _ = try await append(LedgerEntry(run: input.run, step: "prepare", delayMs: input.delayMs))
        let approver = try await pause("approval", output: ["run": .string(input.run)])
        _ = try await append(LedgerEntry(run: input.run, step: "finish", delayMs: input.delayMs))
        return "approved by \(approver.stringValue ?? approver.canonicalJSON)"
    }

    /// `swift_labelled`: one task, and only on workers labelled `reports` (`--label reports`): its requests.
    static let labelled = workflow("swift_labelled", description: "One task, only on workers labelled reports (Swift)",
                                   requests: ResourceRequest(labels: ["reports"])) { (ctx: ExecutionContext<ReportInput>) -> String in
        let append = FluxTask<LedgerEntry, String>(definition: ledgerAppend)
        return try await append(LedgerEntry(run: ctx.input.run, step: "labelled", delayMs: ctx.input.delayMs))
    }

    static let tasks: [TaskDefinition] = [ledgerAppend]
    static let workflows: [WorkflowDefinition] = [report.definition, approval.definition, labelled.definition]
}

/// Appends whole lines to a file shared by several processes (O_APPEND keeps each write whole).
enum Ledger {
    static func append(_ line: String, to path: String) throws {
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT, 0o644)
        guard fd >= 0 else { throw CocoaError(.fileWriteUnknown) }
        defer { close(fd) }
        let bytes = Array(line.utf8)
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard written == bytes.count else { throw CocoaError(.fileWriteUnknown) }
    }
}
