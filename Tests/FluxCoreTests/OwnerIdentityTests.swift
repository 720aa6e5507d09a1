import Foundation
import Testing
@testable import FluxCore

#if canImport(Glibc)
import Glibc
#endif

/// Whether an execution's owner process is gone decides instant takeover after a crash.
struct OwnerIdentityTests {
    /// Spawns `/bin/sleep 30` with posix_spawn, so that no Foundation machinery reaps it behind our back.
    private func spawnSleeper() throws -> pid_t {
        var pid: pid_t = 0
        let argv: [UnsafeMutablePointer<CChar>?] = [strdup("/bin/sleep"), strdup("30"), nil]
        defer { argv.forEach { free($0) } }
        let rc = posix_spawn(&pid, "/bin/sleep", nil, nil, argv, environ)
        try #require(rc == 0, "posix_spawn failed: \(rc)")
        return pid
    }

    private func owner(of pid: pid_t) throws -> String {
        let start = try #require(OwnerIdentity.processStart(pid))
        return "\(OwnerIdentity.hostName()):\(pid):\(start)"
    }

    @Test func aLiveProcessIsNotDead() throws {
        let pid = try spawnSleeper()
        defer { kill(pid, SIGKILL); var status: Int32 = 0; waitpid(pid, &status, 0) }
        #expect(!OwnerIdentity.isDeadLocalProcess(try owner(of: pid)))
    }

    @Test func aKilledButUnreapedProcessIsDead() async throws {
        let pid = try spawnSleeper()
        let owner = try owner(of: pid)
        kill(pid, SIGKILL)
        defer { var status: Int32 = 0; waitpid(pid, &status, 0) }
        // The kernel turns it into a zombie almost at once; give it time on a loaded machine.
        let dead = await eventually { OwnerIdentity.isDeadLocalProcess(owner) }
        #expect(dead, "a zombie never renews its lease: its executions must be taken over at once")
    }

    @Test func aReapedProcessAndAReusedPidAreDead() throws {
        let pid = try spawnSleeper()
        let owner = try owner(of: pid)
        kill(pid, SIGKILL)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        #expect(OwnerIdentity.isDeadLocalProcess(owner))
        let host = OwnerIdentity.hostName()
        #expect(OwnerIdentity.isDeadLocalProcess("\(host):\(getpid()):not-my-start"), "same pid, another start time: another process")
        #expect(!OwnerIdentity.isDeadLocalProcess(OwnerIdentity.current))
        #expect(!OwnerIdentity.isDeadLocalProcess("other-host:1:1"), "a process on another host is judged by its lease")
    }
}
