import Flux

/// `pause_with_input`: pause points that return the input given to the resume. Three workflows:
///
/// - `pause_with_input`: computes something, pauses at `waiting_for_user_input`, then uses the
///   input (`{"multiplier": 5}` gives a result of 1 + 2 + 3 + 5 = 11).
/// - `pause_with_multiple_inputs`: collects three inputs at `collect_config`, `collect_parameters`
///   and `final_approval`.
/// - `conditional_pause`: pauses at `approval_required` only when its input says
///   `{"requires_approval": true}`.
public enum PauseWithInputExample {
    public struct InitialData: Codable, Sendable, Hashable {
        public var stage: String
        public var data: [Int]
    }

    public static let initialTask = task("initial_task") { InitialData(stage: "initial", data: [1, 2, 3]) }

    /// Two arguments: the initial data and the input the resume delivered.
    public static let processWithInput = task("process_with_input") { (initial: InitialData, userInput: JSONValue) -> JSONValue in
        let multiplier = userInput["multiplier"]?.intValue ?? 1
        return [
            "stage": "processed",
            "initial_data": try JSONValue(encoding: initial),
            "user_input": userInput,
            "result": .int(initial.data.reduce(0, &+) &+ multiplier),
        ]
    }

    public static let workflow = FluxCore.workflow(
        "pause_with_input", description: "Pauses for user input and processes data with it"
    ) { (_: ExecutionContext<NoInput>) -> JSONValue in
        let initial = try await initialTask()
        let userInput = try await pause("waiting_for_user_input", output: try JSONValue(encoding: initial))
        return try await processWithInput(initial, userInput)
    }

    public static let multipleInputs = FluxCore.workflow(
        "pause_with_multiple_inputs", description: "Collects configuration, parameters and an approval at three pauses"
    ) { (_: ExecutionContext<NoInput>) -> JSONValue in
        var inputs: [JSONValue] = []
        let config = try await pause("collect_config")
        inputs.append(["step": 1, "type": "config", "value": config])
        let parameters = try await pause("collect_parameters")
        inputs.append(["step": 2, "type": "parameters", "value": parameters])
        let approval = try await pause("final_approval")
        inputs.append(["step": 3, "type": "approval", "value": approval])
        return ["stage": "completed", "inputs": .array(inputs)]
    }

    public static let conditional = FluxCore.workflow(
        "conditional_pause", description: "Pauses for approval only when the input requires it"
    ) { (ctx: ExecutionContext<JSONValue>) -> JSONValue in
        guard ctx.input["requires_approval"]?.boolValue == true else {
            return ["approved": true, "message": "No approval required"]
        }
        let approval = try await pause("approval_required")
        return ["approved": .bool(approval["approved"]?.boolValue ?? false), "message": "Approval processed"]
    }
}
