import Foundation

/// How a `flux` process lays out its threads, read from `FLUX_EVENT_LOOPS` when the process starts.
///
/// Threads start before any command reads `flux.toml`, so this one setting comes from the environment only.
/// Unset, a process that serves requests runs one event loop that also runs all of Swift concurrency: a request
/// is read, run and answered on one thread, with no hand-offs between threads. A worker, whose job is to run task
/// bodies, keeps the runtime's pool of one thread per core instead. A number N gives N event loops, with
/// Swift concurrency on the runtime's pool when N is more than 1. See docs/configuration.md.
///
/// ```swift
/// let layout = try EventLoopSetting(environment: ["FLUX_EVENT_LOOPS": "4"], runsTaskBodies: false)
/// // layout.eventLoops == 4, layout.concurrencyOnEventLoop == false
/// ```
public struct EventLoopSetting: Sendable, Equatable {
    /// The environment variable.
    public static let variable = "FLUX_EVENT_LOOPS"
    /// The values it accepts.
    public static let accepted = 1...256

    /// How many event loops SwiftNIO runs; `nil` leaves SwiftNIO's default, one per core.
    public let eventLoops: Int?
    /// Whether Swift concurrency runs on the event loop rather than on the runtime's pool: exactly when there is one.
    public var concurrencyOnEventLoop: Bool { eventLoops == 1 }

    /// Reads ``variable`` from `environment`. `runsTaskBodies` is true for a process whose job is running tasks
    /// (`flux start worker`): unset, it keeps the runtime's pool, so that a task that computes for a while does
    /// not hold up the thread its heartbeats go out on.
    public init(environment: [String: String], runsTaskBodies: Bool) throws(ConfigurationError) {
        guard let raw = environment[Self.variable] else {
            self.eventLoops = runsTaskBodies ? nil : 1
            return
        }
        guard let count = Int(raw.trimmingCharacters(in: .whitespaces)), Self.accepted.contains(count) else {
            throw ConfigurationError(
                kind: .invalidValue, source: .environment(variable: Self.variable), key: nil,
                message: "expected a whole number of event loops from \(Self.accepted.lowerBound) to \(Self.accepted.upperBound), found \"\(raw)\"")
        }
        self.eventLoops = count
    }
}
