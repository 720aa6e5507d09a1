import Flux

/// `nested_tasks`: tasks that call tasks, three levels deep. Each inner call is recorded as its
/// own task (its id carries its parent's), so a replay skips inner work that already finished.
public enum NestedTasksExample {
    public static let thirdTask = task("third_task") { "result" }

    public static let firstTask = task("first_task") { () -> String in
        try await thirdTask()
    }

    public static let secondTask = task("second_task") { () -> [String] in
        [try await thirdTask(), "third"]
    }

    public static let threeLevelsTask = task("three_levels_task") { () -> [String] in
        ["three_levels"] + (try await secondTask())
    }

    public static let workflow = FluxCore.workflow(
        "nested_tasks", description: "Tasks calling tasks, three levels deep"
    ) { (_: ExecutionContext<NoInput>) -> JSONValue in
        let first = try await firstTask()
        let second = try await secondTask()
        let three = try await threeLevelsTask()
        return [
            "first": .string(first),
            "second": try JSONValue(encoding: second),
            "three_levels": try JSONValue(encoding: three),
        ]
    }
}
