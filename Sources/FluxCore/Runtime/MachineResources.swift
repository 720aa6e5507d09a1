import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What a worker reports about its machine: CPU cores and load, memory, disk, GPUs (when `nvidia-smi` is on the
/// PATH), and its runtime. Linux values come from /proc; elsewhere what Foundation knows. A server's embedded
/// executor is measured the same way when it checks a workflow's ``ResourceRequest``.
///
/// ```swift
/// let resources = MachineResources.current(gpus: MachineResources.gpus())
/// // {"cpu_cores": 2, "load_average": [0.4, 0.3, 0.2], "memory_total": 8338579456, ...}
/// ```
public enum MachineResources {
    public static func current(gpus: [JSONValue], directory: String = FileManager.default.currentDirectoryPath) -> JSONValue {
        var object: [String: JSONValue] = ["cpu_cores": .int(ProcessInfo.processInfo.activeProcessorCount)]
        if let load = try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8) {
            object["load_average"] = .array(load.split(separator: " ").prefix(3).compactMap { Double($0) }.map(JSONValue.double))
        }
        let memory = meminfo()
        object["memory_total"] = .int(memory["MemTotal"] ?? Int(ProcessInfo.processInfo.physicalMemory))
        if let available = memory["MemAvailable"] { object["memory_available"] = .int(available) }
        var stats = statvfs()
        if statvfs(directory, &stats) == 0 {
            object["disk_total"] = .int(Int(stats.f_blocks) * Int(stats.f_frsize))
            object["disk_free"] = .int(Int(stats.f_bavail) * Int(stats.f_frsize))
        }
        object["gpus"] = .array(gpus)
        return .object(object)
    }

    /// `/proc/meminfo` in bytes, by field.
    static func meminfo() -> [String: Int] {
        guard let text = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8) else { return [:] }
        var result: [String: Int] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 1)
            guard parts.count == 2 else { continue }
            let fields = parts[1].split(separator: " ")
            if let value = fields.first.flatMap({ Int($0) }) { result[String(parts[0])] = value * (fields.count > 1 ? 1024 : 1) }
        }
        return result
    }

    /// GPUs as `nvidia-smi` reports them (name, memory total and free in MiB); empty when it is absent or fails.
    public static func gpus() -> [JSONValue] {
        let path = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
            .map { "\($0)/nvidia-smi" }.first { FileManager.default.isExecutableFile(atPath: $0) }
        guard let path else { return [] }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = ["--query-gpu=name,memory.total,memory.free", "--format=csv,noheader,nounits"]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch { return [] }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { return [] }
        return String(decoding: data, as: UTF8.self).split(separator: "\n").compactMap { line in
            let fields = line.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            guard fields.count >= 3 else { return nil }
            return ["name": .string(fields[0]), "memory_total_mib": .int(Int(fields[1]) ?? 0), "memory_free_mib": .int(Int(fields[2]) ?? 0)]
        }
    }

    public static var runtime: JSONValue {
        #if swift(>=6.3)
        let swift = "6.3+"
        #elseif swift(>=6.2)
        let swift = "6.2"
        #else
        let swift = "6"
        #endif
        #if os(Linux)
        let os = "Linux"
        #elseif os(macOS)
        let os = "macOS"
        #else
        let os = "unknown"
        #endif
        return [
            "os": .string(os), "os_version": .string(ProcessInfo.processInfo.operatingSystemVersionString),
            "swift_version": .string(swift), "host": .string(ProcessInfo.processInfo.hostName),
            "pid": .int(Int(ProcessInfo.processInfo.processIdentifier)),
        ]
    }
}
