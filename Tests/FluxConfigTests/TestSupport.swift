import Foundation
import Logging
import Synchronization
import Testing
@testable import FluxConfig

/// A fresh directory under the system temporary directory, removed after `body` runs.
func withTemporaryDirectory<T>(
    files: [String: String] = [:],
    _ body: (URL) throws -> T
) throws -> T {
    let directory = FileManager.default.temporaryDirectory
        .appendingPathComponent("flux-config-tests-\(UUID().uuidString)", isDirectory: true)
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    for (name, contents) in files {
        try Data(contents.utf8).write(to: directory.appendingPathComponent(name))
    }
    return try body(directory)
}

/// Runs `body` expecting a ``ConfigurationError`` and returns it; `nil` (and a recorded issue)
/// if nothing or something else was thrown.
func configurationError(
    sourceLocation: SourceLocation = #_sourceLocation,
    _ body: () throws -> Void
) -> ConfigurationError? {
    do {
        try body()
        Issue.record("expected a ConfigurationError, but nothing was thrown", sourceLocation: sourceLocation)
        return nil
    } catch let error as ConfigurationError {
        return error
    } catch {
        Issue.record("expected a ConfigurationError, got \(error)", sourceLocation: sourceLocation)
        return nil
    }
}

/// A log handler that keeps what it is given, for checking that warnings are logged.
final class CapturingLogHandler: LogHandler, Sendable {
    struct Entry: Sendable, Equatable {
        let level: Logger.Level
        let message: String
    }

    private let storage = Mutex<[Entry]>([])

    var entries: [Entry] { storage.withLock { $0 } }

    var logLevel: Logger.Level {
        get { .trace }
        set {}
    }

    var metadata: Logger.Metadata {
        get { [:] }
        set {}
    }

    subscript(metadataKey _: String) -> Logger.Metadata.Value? {
        get { nil }
        set {}
    }

    func log(event: LogEvent) {
        storage.withLock { $0.append(Entry(level: event.level, message: event.message.description)) }
    }

    /// A logger that writes to this handler only (no global bootstrap, so tests stay independent).
    func logger() -> Logger {
        Logger(label: "flux.config.tests") { _ in self }
    }
}
