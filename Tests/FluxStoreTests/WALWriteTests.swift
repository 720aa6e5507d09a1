#if os(Linux)
import FluxCore
import FluxStore
import Foundation
import Testing

/// The writer's WAL writes: a commit of hundreds of kilobytes lands whole and other connections and processes read
/// what it wrote; a write that fails (a file-size limit) fails its commit, with nothing acknowledged lost and the file
/// sound.
@Suite("WAL writes")
struct WALWriteTests {
    static let environment = ProcessInfo.processInfo.environment
    static let isChild = environment["FLUX_WAL_CHILD_DB"] != nil

    @Test(.enabled(if: !isChild))
    func aCommitSpanningSeveralBatchesLandsWholeAndOtherConnectionsReadIt() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let store = try SQLiteStore(path: dir.databasePath)
        let record = makeRecord(state: .running)
        try await store.createExecution(record, events: [])
        // 1,500 events of about 400 bytes in one commit: some 600 KB of WAL.
        let filler = String(repeating: "x", count: 400)
        let events = (1...1_500).map { makeEvent($0, value: ["n": .int($0), "filler": .string(filler)]) }
        _ = try await store.commit(ExecutionCommit(executionID: record.id, events: events))

        // A second store object on the file: its own connections, reading what the first one's writer wrote.
        let other = try SQLiteStore(path: dir.databasePath)
        let read = try await other.events(executionID: record.id, after: 0)
        #expect(read.map(\.sequence) == Array(1...1_500))
        #expect(read.last?.value == ["n": .int(1_500), "filler": .string(filler)])
        #expect(try other.integrityCheck() == "ok")
        // ...and a commit from the second store is read back by the first.
        _ = try await other.commit(ExecutionCommit(executionID: record.id, events: [makeEvent(1_501)]))
        #expect(try await store.execution(id: record.id)?.lastSequence == 1_501)
    }

    /// The child side: with the size of any file it writes limited to `FLUX_WAL_CHILD_LIMIT` bytes, commits
    /// 50-event rounds, printing `acked N` after each, until a commit fails; prints `failed <error>` then.
    @Test(.enabled(if: isChild))
    func childWriterUnderAFileSizeLimit() async throws {
        let path = try #require(Self.environment["FLUX_WAL_CHILD_DB"])
        let id = try #require(Self.environment["FLUX_WAL_CHILD_ID"])
        let limit = try #require(Int(Self.environment["FLUX_WAL_CHILD_LIMIT"] ?? ""))
        // Past the limit write(2) fails with EFBIG instead of the process being killed by SIGXFSZ.
        signal(SIGXFSZ, SIG_IGN)
        var size = rlimit(rlim_cur: rlim_t(limit), rlim_max: rlim_t(limit))
        guard setrlimit(Int32(RLIMIT_FSIZE.rawValue), &size) == 0 else { throw StoreError.unavailable("setrlimit failed") }
        let store = try SQLiteStore(path: path)
        let filler = String(repeating: "y", count: 300)
        var round = 0
        while true {
            let events = (1...50).map { makeEvent(round * 50 + $0, value: ["filler": .string(filler)]) }
            do {
                _ = try await store.commit(ExecutionCommit(executionID: id, events: events))
            } catch {
                FileHandle.standardOutput.write(Data("failed \(error)\n".utf8))
                return
            }
            round += 1
            FileHandle.standardOutput.write(Data("acked \(round)\n".utf8))
        }
    }

    @Test(.enabled(if: !isChild))
    func aWriteThatFailsInTheBatchFailsItsCommitAndLosesNothingAcknowledged() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let record = try await createRunningExecution(at: dir.databasePath)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        process.arguments = ["--testing-library", "swift-testing", "--filter", "WALWriteTests/childWriterUnderAFileSizeLimit"]
        var environment = Self.environment
        environment["FLUX_WAL_CHILD_DB"] = dir.databasePath
        environment["FLUX_WAL_CHILD_ID"] = record.id
        environment["FLUX_WAL_CHILD_LIMIT"] = String(3 << 20)
        process.environment = environment
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let reading = output.fileHandleForReading
        let text = String(decoding: try await onThread { reading.readDataToEndOfFile() }, as: UTF8.self)
        while process.isRunning { try await Task.sleep(for: .milliseconds(10)) }

        let lines = text.split(separator: "\n")
        let acked = lines.compactMap { $0.hasPrefix("acked ") ? Int($0.dropFirst(6)) : nil }.max() ?? 0
        let failure = lines.first { $0.hasPrefix("failed ") }.map(String.init)
        // The child wrote until the limit stopped it, and was told so by an error, not a crash.
        #expect(acked >= 20, "acknowledged rounds: \(acked)")
        #expect(failure != nil, "the child's output: \(text.suffix(500))")

        let reopened = try SQLiteStore(path: dir.databasePath)
        #expect(try reopened.integrityCheck() == "ok")
        let row = try #require(try await reopened.execution(id: record.id))
        #expect(row.lastSequence == acked * 50)
        let sequences = try await reopened.events(executionID: record.id, after: 0).map(\.sequence)
        #expect(sequences == Array(1...(acked * 50)))
        // The file takes writes again once the limit is gone.
        _ = try await reopened.commit(ExecutionCommit(executionID: record.id, events: [makeEvent(acked * 50 + 1)]))
        #expect(try await reopened.execution(id: record.id)?.lastSequence == acked * 50 + 1)
    }
}
#endif
