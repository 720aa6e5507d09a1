#if os(Linux)
import FluxCore
import FluxStore
import Foundation
import Testing

/// Real processes on one database file: this test binary runs itself again as the other process,
/// with `childWriter` as the only test, so the child is the same store code as the parent.
@Suite("Several processes on one file")
struct CrossProcessTests {
    static let environment = ProcessInfo.processInfo.environment
    static let isChild = environment["FLUX_STORE_CHILD_DB"] != nil

    /// The child side, enabled only in a child process: commits one event per execution per round and
    /// prints `acked N` once round N has committed. `FLUX_STORE_CHILD_ROUNDS=0` runs until killed.
    @Test(.enabled(if: isChild))
    func childWriter() async throws {
        let path = try #require(Self.environment["FLUX_STORE_CHILD_DB"])
        let ids = (Self.environment["FLUX_STORE_CHILD_IDS"] ?? "").split(separator: ",").map(String.init)
        let rounds = Int(Self.environment["FLUX_STORE_CHILD_ROUNDS"] ?? "") ?? 0
        let store = try SQLiteStore(path: path)
        var round = 0
        while rounds == 0 || round < rounds {
            round += 1
            for id in ids {
                _ = try await store.commit(ExecutionCommit(executionID: id, events: [makeEvent(round)]))
            }
            FileHandle.standardOutput.write(Data("acked \(round)\n".utf8))
        }
    }

    /// A running child process and the highest round it has acknowledged.
    final class Child: @unchecked Sendable {
        let process = Process()
        private let output = Pipe()
        private let lock = NSLock()
        private var buffer = ""
        private var acked = 0
        private var ended = false

        init(path: String, ids: [String], rounds: Int) throws {
            process.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
            process.arguments = ["--testing-library", "swift-testing", "--filter", "CrossProcessTests/childWriter"]
            var environment = CrossProcessTests.environment
            environment["FLUX_STORE_CHILD_DB"] = path
            environment["FLUX_STORE_CHILD_IDS"] = ids.joined(separator: ",")
            environment["FLUX_STORE_CHILD_ROUNDS"] = String(rounds)
            process.environment = environment
            process.standardOutput = output
            process.standardError = FileHandle.nullDevice
            output.fileHandleForReading.readabilityHandler = { [weak self] handle in
                self?.consume(handle.availableData)
            }
            try process.run()
        }

        private func consume(_ data: Data) {
            lock.lock()
            defer { lock.unlock() }
            if data.isEmpty {
                ended = true
                output.fileHandleForReading.readabilityHandler = nil
                return
            }
            buffer += String(decoding: data, as: UTF8.self)
            while let newline = buffer.firstIndex(of: "\n") {
                let line = buffer[..<newline]
                if line.hasPrefix("acked "), let round = Int(line.dropFirst(6)) { acked = max(acked, round) }
                buffer.removeSubrange(...newline)
            }
        }

        var ackedRounds: Int {
            lock.lock()
            defer { lock.unlock() }
            return acked
        }

        private var outputEnded: Bool {
            lock.lock()
            defer { lock.unlock() }
            return ended
        }

        /// Waits until the child has exited and every line it printed has been read: until its output reaches its end
        /// (the pipe's end of file can come late, or not be reported at all on a busy machine; the lines themselves
        /// are read as they arrive, so after 10 s without it the test goes on).
        func waitForExit(timeout: Duration = Deadline.child) async throws {
            let deadline = ContinuousClock.now + timeout
            while process.isRunning {
                guard ContinuousClock.now < deadline else {
                    process.terminate()
                    throw StoreError.unavailable("the child process did not finish within \(timeout)")
                }
                try await Task.sleep(for: .milliseconds(10))
            }
            let drained = ContinuousClock.now + .seconds(10)
            while !outputEnded, ContinuousClock.now < drained { try await Task.sleep(for: .milliseconds(10)) }
        }
    }

    @Test(.enabled(if: !isChild))
    func twoOtherProcessesAndThisOneCommitConcurrently() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let store = try SQLiteStore(path: dir.databasePath)
        let ids = (0..<6).map { _ in ExecutionRecord.newID() }
        for id in ids { try await store.createExecution(makeRecord(id: id, state: .running), events: []) }

        let rounds = 150
        let children = try [Child(path: dir.databasePath, ids: Array(ids[0..<2]), rounds: rounds),
                            Child(path: dir.databasePath, ids: Array(ids[2..<4]), rounds: rounds)]
        for round in 1...rounds {
            for id in ids[4...] {
                _ = try await store.commit(ExecutionCommit(executionID: id, events: [makeEvent(round)]))
            }
        }
        for child in children {
            try await child.waitForExit()
            #expect(child.process.terminationReason == .exit && child.process.terminationStatus == 0)
            #expect(child.ackedRounds == rounds)
        }
        for id in ids {
            #expect(try await store.execution(id: id)?.lastSequence == rounds)
        }
        #expect(try store.counts() == (executions: 6, events: 6 * rounds))
        #expect(try store.integrityCheck() == "ok")
    }

    @Test(.enabled(if: !isChild))
    func acknowledgedCommitsSurviveSIGKILL() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let record = try await createRunningExecution(at: dir.databasePath)
        let child = try Child(path: dir.databasePath, ids: [record.id], rounds: 0)
        let deadline = ContinuousClock.now + Deadline.event
        while child.ackedRounds < 300, child.process.isRunning, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(5))
        }
        kill(child.process.processIdentifier, SIGKILL)
        try await child.waitForExit()
        #expect(child.process.terminationReason == .uncaughtSignal)
        let acked = child.ackedRounds
        #expect(acked >= 300)

        let reopened = try SQLiteStore(path: dir.databasePath)
        #expect(try reopened.integrityCheck() == "ok")
        let row = try #require(try await reopened.execution(id: record.id))
        // Every acknowledged commit is there; one more may have committed before its ack was printed.
        #expect(row.lastSequence >= acked && row.lastSequence <= acked + 1)
        let sequences = try await reopened.events(executionID: record.id, after: 0).map(\.sequence)
        #expect(sequences == Array(1...row.lastSequence))
    }
}
#endif
