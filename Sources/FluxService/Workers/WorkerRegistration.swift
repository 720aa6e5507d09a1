import FluxCore
import Foundation

/// What a worker says about itself when it registers (`POST /workers/register`), checked field by field.
///
/// ```json
/// {"name": "w1", "incarnation": "5f1c…", "concurrency": 8, "labels": ["gpu"],
///  "runtime": {"os": "Linux", "swift_version": "6.3"}, "resources": {"cpu_cores": 2, "memory_total": 8589934592},
///  "workflows": [{"name": "nightly_report", "version": 1, "description": "…", "requests": {"memory": 4294967296}}],
///  "tasks": ["send_email"]}
/// ```
public struct WorkerRegistration: Sendable, Hashable {
    public var name: String
    /// Sent again when the same process re-registers (after a 401), so it keeps the executions it holds.
    public var incarnation: String?
    public var concurrency: Int
    public var labels: [String]
    /// Compiled Swift workflows the worker can run.
    public var workflows: [SwiftWorkflowInfo]
    /// Compiled Swift tasks that documents may call with `task:` on this worker.
    public var tasks: [String]
    public var runtime: JSONValue
    public var resources: JSONValue

    public struct SwiftWorkflowInfo: Sendable, Hashable {
        public var name: String
        public var version: Int
        public var description: String
        public var inputSchema: JSONValue?
        /// What the workflow asks of a worker (``ResourceRequest``); nil when nothing.
        public var requests: ResourceRequest?
    }

    static let maxListLength = 10_000

    /// Reads and checks a registration body.
    public static func parse(_ json: JSONValue) throws(ServiceError) -> WorkerRegistration {
        guard json.objectValue != nil else { throw ServiceError(.invalidInput, "send the registration as a JSON object with at least a name") }
        guard let name = json["name"]?.stringValue else { throw ServiceError(.invalidInput, "the registration needs a name (a string)") }
        try checkName(name)
        var incarnation: String?
        if let raw = json["incarnation"], raw != .null {
            guard let text = raw.stringValue, (1...64).contains(text.utf8.count), text.utf8.allSatisfy(isAlphanumeric) else {
                throw ServiceError(.invalidInput, "incarnation must be 1 to 64 letters and digits")
            }
            incarnation = text
        }
        var concurrency = 8
        if let raw = json["concurrency"], raw != .null {
            guard let value = raw.intValue, (1...10_000).contains(value) else {
                throw ServiceError(.invalidInput, "concurrency must be an integer from 1 to 10000")
            }
            concurrency = value
        }
        let labels = try strings(json["labels"], field: "labels")
        let tasks = try strings(json["tasks"], field: "tasks")
        var workflows: [SwiftWorkflowInfo] = []
        if let raw = json["workflows"], raw != .null {
            guard let items = raw.arrayValue, items.count <= maxListLength else {
                throw ServiceError(.invalidInput, "workflows must be an array of {name, version, description, input_schema}")
            }
            for item in items {
                guard let workflowName = item["name"]?.stringValue else {
                    throw ServiceError(.invalidInput, "each of workflows needs a name (a string)")
                }
                try checkWorkflowName(workflowName)
                let version = item["version"]?.intValue ?? 1
                guard version >= 1 else { throw ServiceError(.invalidInput, "workflow \(workflowName): version must be 1 or more") }
                var input: JSONValue?
                if let raw = item["input_schema"], raw != .null {
                    guard raw.objectValue != nil else { throw ServiceError(.invalidInput, "workflow \(workflowName): input_schema must be an object") }
                    input = raw
                }
                var requests: ResourceRequest?
                if let raw = item["requests"], raw != .null {
                    do { requests = try ResourceRequest(json: raw) } catch {
                        throw ServiceError(.invalidInput, "workflow \(workflowName): \(error)")
                    }
                }
                workflows.append(SwiftWorkflowInfo(name: workflowName, version: version,
                                                   description: item["description"]?.stringValue ?? "", inputSchema: input,
                                                   requests: requests.flatMap { $0.isEmpty ? nil : $0 }))
            }
        }
        for (field, value) in [("runtime", json["runtime"]), ("resources", json["resources"])] {
            if let value, value != .null, value.objectValue == nil { throw ServiceError(.invalidInput, "\(field) must be an object") }
        }
        return WorkerRegistration(
            name: name, incarnation: incarnation, concurrency: concurrency, labels: labels, workflows: workflows, tasks: tasks,
            runtime: json["runtime"] ?? .object([:]), resources: json["resources"] ?? .object([:]))
    }

    /// The registration as stored in ``WorkerRecord/info``.
    public var info: JSONValue {
        [
            "concurrency": .int(concurrency), "labels": .array(labels.map(JSONValue.string)),
            "workflows": .array(workflows.map { workflow in
                var object: [String: JSONValue] = ["name": .string(workflow.name), "version": .int(workflow.version)]
                if let requests = workflow.requests { object["requests"] = requests.json }
                return .object(object)
            }),
            "tasks": .array(tasks.map(JSONValue.string)), "runtime": runtime, "resources": resources,
        ]
    }

    /// Worker names: `[A-Za-z0-9_.-]{1,64}` (they appear in paths and owner ids).
    public static func checkName(_ name: String) throws(ServiceError) {
        guard (1...64).contains(name.utf8.count), name.utf8.allSatisfy({ isAlphanumeric($0) || $0 == 0x5F || $0 == 0x2E || $0 == 0x2D }) else {
            throw ServiceError(.invalidInput, "a worker name must be 1 to 64 letters, digits, _, . or -, got \(name.prefix(80))")
        }
    }

    static func checkWorkflowName(_ name: String) throws(ServiceError) {
        guard (1...128).contains(name.utf8.count), name.utf8.allSatisfy({ isAlphanumeric($0) || $0 == 0x5F || $0 == 0x2E || $0 == 0x2D }) else {
            throw ServiceError(.invalidInput, "a workflow or task name must be 1 to 128 letters, digits, _, . or -, got \(name.prefix(80))")
        }
    }

    static func strings(_ value: JSONValue?, field: String) throws(ServiceError) -> [String] {
        guard let value, value != .null else { return [] }
        guard let items = value.arrayValue, items.count <= maxListLength else { throw ServiceError(.invalidInput, "\(field) must be an array of strings") }
        var result: [String] = []
        for item in items {
            guard let text = item.stringValue else { throw ServiceError(.invalidInput, "\(field) must be an array of strings") }
            try checkWorkflowName(text)
            result.append(text)
        }
        return result
    }

    static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
    }
}

/// What running one execution asks of a worker.
public struct WorkRequirement: Sendable, Hashable {
    /// A compiled Swift workflow the worker must have, or nil for a document.
    public var swiftWorkflow: String?
    /// Swift tasks a document calls with `task:`.
    public var tasks: Set<String>
    /// A document's `requests:`. A Swift workflow's requests come with the workflow from each worker that has it.
    public var resources: ResourceRequest?

    public init(swiftWorkflow: String? = nil, tasks: Set<String> = [], resources: ResourceRequest? = nil) {
        self.swiftWorkflow = swiftWorkflow
        self.tasks = tasks
        self.resources = resources
    }

    /// True when an executor with these workflows (each with its requests), tasks and capacity can run it.
    public func isMet(workflows: [String: ResourceRequest?], tasks available: Set<String>, capacity: WorkerCapacity) -> Bool {
        checkParts(workflows: workflows, tasks: available, capacity: capacity) { _ in }
    }

    /// What of the requirement an executor with these workflows (each with its requests), tasks and capacity
    /// lacks, readable; empty when it can run the execution.
    public func unmet(workflows: [String: ResourceRequest?], tasks available: Set<String>, capacity: WorkerCapacity) -> [String] {
        var missing: [String] = []
        _ = checkParts(workflows: workflows, tasks: available, capacity: capacity) { missing.append($0()) }
        return missing
    }

    /// Hands each missing part to `shortfall` (described only when asked for); true when nothing is missing.
    func checkParts(workflows: [String: ResourceRequest?], tasks available: Set<String>, capacity: WorkerCapacity,
                    _ shortfall: (() -> String) -> Void) -> Bool {
        var met = true
        if let swiftWorkflow {
            switch workflows[swiftWorkflow] {
            case .none:
                met = false
                shortfall { "Swift workflow \(swiftWorkflow)" }
            case .some(let requests):
                if let requests, !requests.checkParts(against: capacity, shortfall) { met = false }
            }
        }
        if !tasks.isEmpty, !tasks.isSubset(of: available) {
            met = false
            for task in tasks.subtracting(available).sorted() { shortfall { "Swift task \(task)" } }
        }
        if let resources, !resources.checkParts(against: capacity, shortfall) { met = false }
        return met
    }
}
