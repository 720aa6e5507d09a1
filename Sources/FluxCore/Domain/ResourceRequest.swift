import Foundation

/// What a workflow asks of the worker that runs it: CPU cores, memory, free disk, GPUs and labels. Workers
/// report their machine when they register; the server hands an execution only to a worker that meets every
/// part of its workflow's request (see ``WorkerCapacity``).
///
/// In a workflow document (`requests:`) and on the wire it is a JSON object; sizes are bytes or strings with a
/// unit (`512Mi`, `4Gi`, `10G`, `1.5GiB`):
///
/// ```swift
/// let request = try ResourceRequest(json: ["cpu": 2, "memory": "4Gi", "gpu": 1, "labels": ["cuda"]])
/// request.isMet(by: WorkerCapacity(resources: ["cpu_cores": 8, "memory_total": 17_179_869_184], labels: ["cuda"]))
/// // false: no GPU reported
/// ```
public struct ResourceRequest: Sendable, Hashable {
    /// CPU cores (may be fractional; compared with the cores the worker's machine has).
    public var cpu: Double?
    /// Bytes of memory the machine must have in total.
    public var memory: Int?
    /// Bytes free on the worker's working-directory file system when it registered.
    public var disk: Int?
    /// Number of GPUs (as `nvidia-smi` reports them).
    public var gpu: Int?
    /// Labels the worker must all carry (`workers.labels`, `flux start worker --label`).
    public var labels: [String]

    public init(cpu: Double? = nil, memory: Int? = nil, disk: Int? = nil, gpu: Int? = nil, labels: [String] = []) {
        self.cpu = cpu
        self.memory = memory
        self.disk = disk
        self.gpu = gpu
        self.labels = labels
    }

    /// True when nothing is asked for.
    public var isEmpty: Bool { cpu == nil && memory == nil && disk == nil && gpu == nil && labels.isEmpty }

    /// The keys a request object may have.
    public static let keys = ["cpu", "memory", "disk", "gpu", "labels"]

    /// Reads a request object; the error names the key and what was wrong with it.
    public init(json: JSONValue) throws(ResourceRequestError) {
        guard let object = json.objectValue else {
            throw ResourceRequestError(key: nil, message: "expected an object with any of cpu, memory, disk, gpu and labels")
        }
        for key in object.keys.sorted() where !Self.keys.contains(key) {
            throw ResourceRequestError(key: key, message: "unknown key; a request has cpu, memory, disk, gpu and labels")
        }
        self.init()
        if let value = object["cpu"], value != .null {
            guard let cores = value.doubleValue, cores.isFinite, cores > 0, cores <= 1_000_000 else {
                throw ResourceRequestError(key: "cpu", message: "expected a number of cores greater than 0, found \(value.canonicalJSON.prefix(60))")
            }
            cpu = cores
        }
        memory = try Self.size(object["memory"], key: "memory")
        disk = try Self.size(object["disk"], key: "disk")
        if let value = object["gpu"], value != .null {
            guard let count = value.intValue, (0...100_000).contains(count) else {
                throw ResourceRequestError(key: "gpu", message: "expected a whole number of GPUs (0 or more), found \(value.canonicalJSON.prefix(60))")
            }
            gpu = count
        }
        if let value = object["labels"], value != .null {
            guard let items = value.arrayValue, items.count <= 1_000 else {
                throw ResourceRequestError(key: "labels", message: "expected a list of labels, found \(value.canonicalJSON.prefix(60))")
            }
            for item in items {
                guard let label = item.stringValue, Self.isLabel(label) else {
                    throw ResourceRequestError(key: "labels", message: "a label is 1 to 128 letters, digits, _, . or -, found \(item.canonicalJSON.prefix(60))")
                }
                if !labels.contains(label) { labels.append(label) }
            }
        }
    }

    /// The request as a JSON object (sizes in bytes), as workers send it and `GET /workers` shows it.
    public var json: JSONValue {
        var object: [String: JSONValue] = [:]
        if let cpu { object["cpu"] = cpu.rounded() == cpu && abs(cpu) < 1e15 ? .int(Int(cpu)) : .double(cpu) }
        if let memory { object["memory"] = .int(memory) }
        if let disk { object["disk"] = .int(disk) }
        if let gpu { object["gpu"] = .int(gpu) }
        if !labels.isEmpty { object["labels"] = .array(labels.map(JSONValue.string)) }
        return .object(object)
    }

    /// True when a worker with `capacity` can run what asks for this (builds no text).
    public func isMet(by capacity: WorkerCapacity) -> Bool {
        checkParts(against: capacity) { _ in }
    }

    /// The parts of the request `capacity` does not meet, readable (`["gpu 1 (has 0)", "label cuda"]`).
    public func unmet(by capacity: WorkerCapacity) -> [String] {
        var missing: [String] = []
        _ = checkParts(against: capacity) { missing.append($0()) }
        return missing
    }

    /// Hands each part `capacity` does not meet to `shortfall` (its description is built only when asked for);
    /// true when every part is met.
    public func checkParts(against capacity: WorkerCapacity, _ shortfall: (() -> String) -> Void) -> Bool {
        var short: [() -> String] = []
        if let cpu, Double(capacity.cpuCores ?? 0) < cpu {
            short.append { "cpu \(Self.number(cpu)) (has \(capacity.cpuCores.map(String.init) ?? "unknown"))" }
        }
        if let memory, (capacity.memoryTotal ?? 0) < memory {
            short.append { "memory \(Self.bytes(memory)) (has \(capacity.memoryTotal.map(Self.bytes) ?? "unknown"))" }
        }
        if let disk, (capacity.diskFree ?? 0) < disk {
            short.append { "disk \(Self.bytes(disk)) (has \(capacity.diskFree.map(Self.bytes) ?? "unknown"))" }
        }
        if let gpu, capacity.gpus < gpu { short.append { "gpu \(gpu) (has \(capacity.gpus))" } }
        for label in labels where !capacity.labels.contains(label) { short.append { "label \(label)" } }
        for part in short { shortfall(part) }
        return short.isEmpty
    }

    /// `cpu 2, memory 4 GiB, label cuda`: for logs and errors.
    public var summary: String {
        var parts: [String] = []
        if let cpu { parts.append("cpu \(Self.number(cpu))") }
        if let memory { parts.append("memory \(Self.bytes(memory))") }
        if let disk { parts.append("disk \(Self.bytes(disk))") }
        if let gpu { parts.append("gpu \(gpu)") }
        parts += labels.map { "label \($0)" }
        return parts.isEmpty ? "nothing" : parts.joined(separator: ", ")
    }

    // MARK: - Sizes

    /// Bytes from a number or a string such as `512Mi`, `4Gi`, `10G`, `1.5GiB`, `2048`; nil for absent or null.
    static func size(_ value: JSONValue?, key: String) throws(ResourceRequestError) -> Int? {
        guard let value, value != .null else { return nil }
        if let bytes = value.intValue, bytes >= 0 { return bytes }
        if let text = value.stringValue, let bytes = parseSize(text) { return bytes }
        throw ResourceRequestError(key: key, message: "expected a size in bytes or with a unit (512Mi, 4Gi, 10G), found \(value.canonicalJSON.prefix(60))")
    }

    /// Parses `<number>[unit]` where unit is K, M, G, T (powers of 1000) or Ki, Mi, Gi, Ti (powers of 1024),
    /// optionally followed by B, in any case.
    public static func parseSize(_ text: String) -> Int? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let split = trimmed.firstIndex { !($0.isASCII && ($0.isNumber || $0 == ".")) } ?? trimmed.endIndex
        guard let number = Double(trimmed[..<split]), number.isFinite, number >= 0 else { return nil }
        var unit = trimmed[split...].lowercased()
        if unit.hasSuffix("b") { unit.removeLast() }
        let scale: Double
        switch unit.trimmingCharacters(in: .whitespaces) {
        case "": scale = 1
        case "k": scale = 1e3
        case "m": scale = 1e6
        case "g": scale = 1e9
        case "t": scale = 1e12
        case "ki": scale = 1_024
        case "mi": scale = 1_048_576
        case "gi": scale = 1_073_741_824
        case "ti": scale = 1_099_511_627_776
        default: return nil
        }
        let bytes = (number * scale).rounded(.up)
        guard bytes < 9.0e18 else { return nil }
        return Int(bytes)
    }

    static func bytes(_ value: Int) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var amount = Double(value), unit = 0
        while amount >= 1024, unit < units.count - 1 { amount /= 1024; unit += 1 }
        return "\(number((amount * 10).rounded() / 10)) \(units[unit])"
    }

    static func number(_ value: Double) -> String {
        value.rounded() == value && abs(value) < 1e15 ? String(Int(value)) : String(value)
    }

    /// Labels and worker names share one alphabet: `[A-Za-z0-9_.-]{1,128}`.
    public static func isLabel(_ text: String) -> Bool {
        (1...128).contains(text.utf8.count) && text.utf8.allSatisfy { byte in
            (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
                || byte == 0x5F || byte == 0x2E || byte == 0x2D
        }
    }
}

/// A ``ResourceRequest`` that cannot be read; `key` is the offending key (nil when the whole value is wrong).
public struct ResourceRequestError: Error, Sendable, Hashable, CustomStringConvertible {
    public var key: String?
    public var message: String

    public init(key: String?, message: String) {
        self.key = key
        self.message = message
    }

    public var description: String { key.map { "requests.\($0): \(message)" } ?? "requests: \(message)" }
}

/// What a worker has, from what it reported when it registered: the side a ``ResourceRequest`` is checked against.
///
/// ```swift
/// let capacity = WorkerCapacity(resources: ["cpu_cores": 4, "memory_total": 8_589_934_592, "gpus": []], labels: ["eu"])
/// ```
public struct WorkerCapacity: Sendable, Hashable {
    public var cpuCores: Int?
    public var memoryTotal: Int?
    public var diskFree: Int?
    public var gpus: Int
    public var labels: Set<String>

    public init(cpuCores: Int?, memoryTotal: Int?, diskFree: Int?, gpus: Int, labels: Set<String>) {
        self.cpuCores = cpuCores
        self.memoryTotal = memoryTotal
        self.diskFree = diskFree
        self.gpus = gpus
        self.labels = labels
    }

    /// From a worker's `resources` object (`cpu_cores`, `memory_total`, `disk_free`, `gpus`) and its labels.
    public init(resources: JSONValue, labels: [String]) {
        self.init(cpuCores: resources["cpu_cores"]?.intValue, memoryTotal: resources["memory_total"]?.intValue,
                  diskFree: resources["disk_free"]?.intValue, gpus: resources["gpus"]?.arrayValue?.count ?? 0,
                  labels: Set(labels))
    }
}
