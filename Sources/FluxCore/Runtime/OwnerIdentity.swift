import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Who owns an execution: `<host>:<pid>:<process start>`. On the same host a dead owner is seen at once
/// (its pid is gone or now belongs to a younger process); elsewhere its lease has to lapse.
public enum OwnerIdentity {
    /// This process's owner id.
    public static let current: String = "\(hostName()):\(getpid()):\(processStart(getpid()) ?? "0")"

    /// True when `owner` names a process on this host that no longer runs.
    public static func isDeadLocalProcess(_ owner: String) -> Bool {
        let parts = owner.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 3, String(parts[0]) == hostName(), let pid = Int32(parts[1]) else { return false }
        if pid == getpid() { return owner != current }
        if kill(pid, 0) != 0 && errno == ESRCH { return true }
        guard let stat = processStat(pid) else { return false }
        // A killed child that its parent has not reaped yet is a zombie: kill(2) still finds it, but it will
        // never renew its lease again.
        if stat.state == "Z" || stat.state == "X" { return true }
        return stat.start != String(parts[2])
    }

    static func hostName() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count) == 0 else { return "localhost" }
        let name = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return name.replacingOccurrences(of: ":", with: "_")
    }

    /// The process's start time in clock ticks since boot (field 22 of /proc/PID/stat), where available.
    static func processStart(_ pid: Int32) -> String? {
        processStat(pid)?.start
    }

    /// The process's state letter (field 3) and start time (field 22) from /proc/PID/stat, where available.
    static func processStat(_ pid: Int32) -> (state: String, start: String)? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        return fields.count > 19 ? (String(fields[0]), String(fields[19])) : nil
    }
}
