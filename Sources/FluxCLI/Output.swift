import FluxCore
import Foundation

/// Writes command output to stdout and diagnostics to stderr.
enum Output {
    static func line(_ text: String) {
        FileHandle.standardOutput.write(Data((text + "\n").utf8))
    }

    static func error(_ text: String) {
        // Argument parser messages begin with their own "Error: ": one prefix is enough.
        var text = Substring(text)
        while let range = text.range(of: "error: ", options: [.caseInsensitive, .anchored]) { text = text[range.upperBound...] }
        FileHandle.standardError.write(Data(("error: " + text + "\n").utf8))
    }

    static func json(_ value: JSONValue, format: OutputFormat) {
        line(format == .json ? value.canonicalJSON : value.prettyJSON)
    }
}

/// How results are printed.
enum OutputFormat: String, CaseIterable, Sendable {
    /// Readable: tables for lists, indented JSON for results.
    case text
    /// One line of compact JSON.
    case json
}

import ArgumentParser
extension OutputFormat: ExpressibleByArgument {}
extension RunModeArgument: ExpressibleByArgument {}

/// `--mode` of cancel.
enum CancelModeArgument: String, CaseIterable, Sendable, ExpressibleByArgument {
    case sync, async
}

/// `--mode` of run and resume.
enum RunModeArgument: String, CaseIterable, Sendable {
    case sync, async, stream
}
