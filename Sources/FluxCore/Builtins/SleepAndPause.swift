import Foundation

/// Sleeps durably: the wake-up time is recorded before sleeping, so an execution recovered after a
/// crash sleeps only for what remains.
///
/// ```swift
/// try await sleep(seconds: 2)
/// ```
public func sleep(seconds: Double) async throws {
    try await sleep(seconds: seconds, name: "sleep")
}

/// ``sleep(seconds:)`` whose events are called `name` (a document's step id); the sleep's identity does not depend on it.
public func sleep(seconds: Double, name: String) async throws {
    guard let runtime = RuntimeContext.runtime else {
        try await Task.sleep(for: .seconds(max(0, seconds)))
        return
    }
    let arguments: JSONValue = [.double(seconds)]
    let contentID = TaskIdentity.contentID(name: "sleep", arguments: arguments)
    let taskID = await runtime.nextTaskID(contentID: contentID, scope: RuntimeContext.scope)
    let history = await runtime.history(of: taskID)
    if history?.completed != nil { return }
    let until: Date
    if let recorded = history?.started?["until"]?.stringValue, let date = Timestamp.parse(recorded) {
        until = date
    } else {
        until = Date().addingTimeInterval(max(0, seconds))
        await runtime.append(.taskStarted, source: taskID, name: name, value: [
            "seconds": .double(seconds), "until": .string(Timestamp.format(until)),
        ])
    }
    try await runtime.flush()
    let remaining = until.timeIntervalSinceNow
    do {
        if remaining > 0 { try await Task.sleep(for: .seconds(remaining)) }
    } catch {
        await runtime.append(.taskCancelled, source: taskID, name: name)
        throw CancellationError()
    }
    await runtime.append(.taskCompleted, source: taskID, name: name, value: .null)
}

/// Stops the workflow in PAUSED until someone resumes it, then returns the input given to the resume.
///
/// `output` is shown to whoever resumes (a question, a summary to approve). Each pause point is
/// recorded, so a workflow with several pauses stops at each in turn.
///
/// `input`, a JSON Schema of the input the resume should give, is recorded with the pause and shown with it
/// (``PendingPause/inputSchema``) so that whoever resumes knows what to send.
///
/// ```swift
/// let approval = try await pause("approve_order", output: ["total": 120])
/// if approval["approved"]?.boolValue == true { ... }
/// ```
@discardableResult
public func pause(_ name: String, output: JSONValue = .null) async throws -> JSONValue {
    try await pause(name, output: output, input: nil)
}

/// ``pause(_:output:)`` that records `input`, the JSON Schema of what the resume should send.
@discardableResult
public func pause(_ name: String, output: JSONValue, input: JSONValue?) async throws -> JSONValue {
    guard let runtime = RuntimeContext.runtime else { throw EngineError.outsideWorkflow("pause") }
    let contentID = TaskIdentity.contentID(name: "pause", arguments: [.string(name)])
    let taskID = await runtime.nextTaskID(contentID: contentID, scope: RuntimeContext.scope)
    switch await runtime.pausePoint(taskID: taskID, name: name, output: output, inputSchema: input) {
    case .resumed(let input): return input
    case .pause: throw PauseRequested(name: name)
    }
}

/// Pauses and decodes the resume input as `T`.
///
/// ```swift
/// let amount: Int = try await pause("amount", as: Int.self)
/// ```
public func pause<T: Decodable>(_ name: String, output: JSONValue = .null, as type: T.Type) async throws -> T {
    try await pause(name, output: output).decode(T.self)
}
