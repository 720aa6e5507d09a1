import Flux

/// `determinism`: the built-in tasks `now`, `uuid4`, `randint`, `randrange` and `choice` are
/// recorded the first time they run, so a replayed execution (after a crash, or on resume) sees
/// exactly the same time, id and random numbers.
public enum DeterminismExample {
    /// What the workflow drew.
    public struct Draw: Codable, Sendable, Hashable {
        public var start: String
        public var uuid: String
        /// `randint(1, 5)`: 1 to 5, both included.
        public var randint: Int
        /// `randrange(1, 10)`: 1 to 9.
        public var randrange: Int
        /// `choice(["red", "green", "blue"])`.
        public var choice: String
        public var end: String
        /// `end - start`, in seconds.
        public var elapsed: Double
    }

    public static let colours = ["red", "green", "blue"]

    public static let workflow = FluxCore.workflow(
        "determinism", description: "Draws a time, a uuid and random numbers through replayable built-ins"
    ) { (_: ExecutionContext<NoInput>) -> Draw in
        let start = try await now()
        let id = try await uuid4()
        let dice = try await randint(1, 5)
        let pick = try await randrange(1, 10)
        let colour = try await choice(colours)
        let end = try await now()
        return Draw(
            start: Timestamp.format(start), uuid: id, randint: dice, randrange: pick, choice: colour,
            end: Timestamp.format(end), elapsed: end.timeIntervalSince(start))
    }
}
