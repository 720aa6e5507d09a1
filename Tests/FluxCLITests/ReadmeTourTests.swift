import FluxCore
import Foundation
import Testing

/// The README's quick tour, run line by line as printed (issue #16, point 6), in a directory of its own: each `flux`
/// line must exit with the code it promises (0, or the one its comment names), `<execution_id>` standing for the id
/// the previous paused run printed. The two servers are started, must say where they listen (or, over stdio, end
/// with their input), and are stopped; the REST server's port 8000 becomes a free one, as the machine may use 8000.
@Suite("README quick tour", .timeLimit(.minutes(30)))
struct ReadmeTourTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The `flux` lines of the README's quick tour, without their comments, and the exit code each comment promises.
    static func tour() throws -> [(command: String, expected: Int32)] {
        let readme = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
        let section = try #require(readme.components(separatedBy: "## Quick tour").dropFirst().first)
        let block = try #require(section.components(separatedBy: "```bash\n").dropFirst().first?.components(separatedBy: "```").first)
        return block.split(separator: "\n").compactMap { line in
            let parts = line.components(separatedBy: " # ")
            let command = parts[0].trimmingCharacters(in: .whitespaces)
            guard command.hasPrefix(".build/debug/flux ") else { return nil }
            let comment = parts.dropFirst().joined(separator: " # ")
            let expected = comment.range(of: "exit code ").flatMap { Int32(comment[$0.upperBound...].prefix { $0.isNumber }) } ?? 0
            return (command, expected)
        }
    }

    @Test func everyLineRunsAsPrinted() async throws {
        let flux = try FluxBinary()
        defer { try? FileManager.default.removeItem(at: flux.directory) }
        let lines = try Self.tour()
        #expect(lines.count >= 7, "\(lines)")
        var executionID: String?
        for (command, expected) in lines {
            var arguments = try Self.words(String(command.dropFirst(".build/debug/flux ".count)))
            arguments = arguments.map { $0.hasPrefix("examples/") ? Self.root.appendingPathComponent($0).path : $0 }
            if let index = arguments.firstIndex(of: "<execution_id>") {
                arguments[index] = try #require(executionID, "\(command) needs the id of an earlier run")
            }
            if arguments.starts(with: ["start"]) {
                try await Self.start(flux, arguments.map { $0 == "8000" ? "0" : $0 })
                continue
            }
            let result = try flux.run(arguments)
            #expect(result.status == expected, "\(command): exit \(result.status), expected \(expected): \(result.stdout) \(result.stderr)")
            if let started = result.stderr.range(of: "flux: execution ") {
                executionID = String(result.stderr[started.upperBound...].prefix(32))
            }
        }
    }

    /// Splits a shell line into words, with single and double quotes (what the tour uses).
    static func words(_ line: String) throws -> [String] {
        var words: [String] = [], current = "", quote: Character?, inWord = false
        for c in line {
            if let q = quote {
                if c == q { quote = nil } else { current.append(c) }
            } else if c == "'" || c == "\"" {
                quote = c
                inWord = true
            } else if c == " " {
                if inWord { words.append(current) }
                current = ""
                inWord = false
            } else {
                current.append(c)
                inWord = true
            }
        }
        if inWord { words.append(current) }
        return words
    }

    /// Starts a long-running `flux start …`; an HTTP server must say where it listens, then gets SIGTERM; stdio MCP
    /// gets an empty input and must end by itself. Either must exit 0.
    static func start(_ flux: FluxBinary, _ arguments: [String]) async throws {
        let process = Process()
        process.executableURL = try FluxBinary.executable
        process.arguments = arguments
        process.currentDirectoryURL = flux.directory
        process.environment = flux.environment
        let err = flux.directory.appendingPathComponent("start-\(UUID().uuidString).log")
        FileManager.default.createFile(atPath: err.path, contents: nil)
        process.standardError = try FileHandle(forWritingTo: err)
        process.standardOutput = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let stdio = arguments.contains("stdio")
        let deadline = ContinuousClock.now + .seconds(300)
        while ContinuousClock.now < deadline, process.isRunning {
            if !stdio, ((try? String(contentsOf: err, encoding: .utf8)) ?? "").contains("listening on http://") { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        if process.isRunning, !stdio { kill(process.processIdentifier, SIGTERM) }
        while ContinuousClock.now < deadline, process.isRunning { try await Task.sleep(for: .milliseconds(20)) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        let log = (try? String(contentsOf: err, encoding: .utf8)) ?? ""
        #expect(process.terminationStatus == 0, "flux \(arguments.joined(separator: " ")): exit \(process.terminationStatus): \(log.suffix(2000))")
    }
}
