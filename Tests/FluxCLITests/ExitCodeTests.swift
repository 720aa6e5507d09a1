import FluxCore
import Foundation
import Testing

/// Exit codes and messages a script can rely on (issue #16, points 3, 4 and 9): `flux --version`; a cancel that did
/// what was asked exits 0 and answers with the execution's own creation time; `status` of an execution still on its
/// way exits 5; `cancel --mode` offers only its modes; an error is prefixed once.
@Suite("Exit codes")
struct ExitCodeTests {
    static let sleeper = """
        flux: 1
        name: sleeper
        steps:
          - id: wait
            builtin: sleep
            with: { seconds: 3600 }
        """

    @Test func versionIsPrinted() throws {
        let flux = try FluxBinary()
        defer { try? FileManager.default.removeItem(at: flux.directory) }
        let result = try flux.run(["--version"])
        #expect(result.status == 0)
        #expect(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "0.1.0", "\(result.stdout)")
    }

    @Test func cancelStatusAndModes() async throws {
        let flux = try FluxBinary()
        defer { try? FileManager.default.removeItem(at: flux.directory) }
        _ = try flux.run(["workflow", "register", try flux.write("sleeper.yaml", Self.sleeper)])
        let started = try JSONValue(parsing: try flux.run(["workflow", "run", "sleeper", "--mode", "async", "--format", "json"]).stdout)
        let id = try #require(started["execution_id"]?.stringValue)

        // Still on its way: 5, whatever its state (CREATED until the background process claims it, then RUNNING).
        let status = try flux.run(["workflow", "status", "sleeper", id, "--format", "json"])
        #expect(status.status == 5, "\(status.stdout) \(status.stderr)")
        let createdAt = try #require(try JSONValue(parsing: status.stdout)["created_at"]?.stringValue)

        let wrongMode = try flux.run(["workflow", "cancel", "sleeper", id, "--mode", "stream"])
        #expect(wrongMode.status == 2)
        #expect(wrongMode.stderr.contains("sync") && wrongMode.stderr.contains("async"), "\(wrongMode.stderr)")
        #expect(!wrongMode.stderr.lowercased().contains("error: error:"), "\(wrongMode.stderr)")

        let cancelled = try flux.run(["workflow", "cancel", "sleeper", id, "--format", "json"])
        #expect(cancelled.status == 0, "\(cancelled.stdout) \(cancelled.stderr)")
        let summary = try JSONValue(parsing: cancelled.stdout)
        #expect(summary["state"] == "CANCELLED")
        #expect(summary["created_at"]?.stringValue == createdAt, "the execution's creation time, not the cancel's: \(summary)")
        let after = try flux.run(["workflow", "status", "sleeper", id])
        #expect(after.status == 4, "a settled CANCELLED execution: \(after.stderr)")
    }
}

/// A command run against an empty store in an unexpected directory says which store it created (issue #16, point 15).
@Suite("Store notice")
struct StoreNoticeTests {
    @Test func aNewStoreIsAnnouncedOnceOnStandardError() throws {
        let flux = try FluxBinary()
        defer { try? FileManager.default.removeItem(at: flux.directory) }
        let first = try flux.run(["workflow", "list", "--format", "json"])
        #expect(first.status == 0)
        #expect(first.stderr.contains("flux: created a new store at ") && first.stderr.contains(".flux/flux.db"), "\(first.stderr)")
        #expect(first.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "[]", "stdout stays the command's output: \(first.stdout)")
        let second = try flux.run(["workflow", "list"])
        #expect(!second.stderr.contains("created a new store"), "only when it is created: \(second.stderr)")
    }
}
