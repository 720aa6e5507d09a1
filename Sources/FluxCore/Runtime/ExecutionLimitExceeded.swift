/// An execution went past one of the limits that bound what one execution may cost (docs/security.md): the items
/// of one map, the bytes it records, or how deep and how many the executions its `call`s start may be. The execution fails with this error; nothing past the limit is stored.
///
/// ```swift
/// // executor.max_map_items = 100000: a map over 1,000,000 items fails its step with
/// // "map over 1000000 items: the most one map may have is 100000 (executor.max_map_items)"
/// ```
public struct ExecutionLimitExceeded: Error, Sendable, Hashable, CustomStringConvertible {
    /// The configuration key of the limit.
    public var setting: String
    public var message: String

    public var description: String { "\(message) (\(setting))" }

    public init(setting: String, message: String) {
        self.setting = setting
        self.message = message
    }

    static func mapItems(_ count: Int, limit: Int) -> ExecutionLimitExceeded {
        ExecutionLimitExceeded(setting: "executor.max_map_items",
                               message: "map over \(count) items: the most one map may have is \(limit)")
    }

    static func callDepth(workflow: String, depth: Int, limit: Int) -> ExecutionLimitExceeded {
        ExecutionLimitExceeded(setting: "executor.max_call_depth",
                               message: "call of \(workflow) would start an execution \(depth) calls deep: the most is \(limit)")
    }

    static func descendants(workflow: String, root: String, limit: Int) -> ExecutionLimitExceeded {
        ExecutionLimitExceeded(setting: "executor.max_descendants",
                               message: "call of \(workflow): execution \(root) has started \(limit) executions through calls, the most one may start")
    }

    static func recordedBytes(limit: Int) -> ExecutionLimitExceeded {
        ExecutionLimitExceeded(setting: "executor.max_recorded_bytes",
                               message: "the execution recorded more than \(limit) bytes, the most one execution may record")
    }
}

/// Fails when a map over `count` items would pass the engine's `maxMapItems`, before any item is started. Outside a
/// running workflow there is no limit.
///
/// ```swift
/// try checkMapItems(items.count)
/// ```
public func checkMapItems(_ count: Int) throws {
    guard let limit = RuntimeContext.runtime?.services.maxMapItems, count > limit else { return }
    throw ExecutionLimitExceeded.mapItems(count, limit: limit)
}
