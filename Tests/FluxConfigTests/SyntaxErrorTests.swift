import Foundation
import Testing
@testable import FluxConfig

@Suite("TOML syntax errors")
struct SyntaxErrorTests {
    @Test("invalid TOML reports the file, line and column")
    func invalidSyntaxInFile() throws {
        let toml = "[flux]\ndebug = true\nserver_port = = 3\n"
        try withTemporaryDirectory(files: ["flux.toml": toml]) { directory in
            let error = configurationError { _ = try FluxConfiguration.load(directory: directory, environment: [:]) }
            let path = directory.appendingPathComponent("flux.toml").path
            #expect(error?.kind == .invalidSyntax)
            #expect(error?.source == .file(path))
            #expect(error?.line == 3)
            #expect(error?.column != nil)
            #expect(error?.description.hasPrefix("\(path):3:") == true)
            #expect(error?.message.hasPrefix("invalid TOML: ") == true)
        }
    }

    @Test("an unterminated table header is a syntax error")
    func unterminatedHeader() {
        let error = configurationError { _ = try FluxConfiguration(toml: "[flux\ndebug = true", environment: [:]) }
        #expect(error?.kind == .invalidSyntax)
        #expect(error?.line == 1)
        #expect(error?.description.hasPrefix("flux.toml:1:") == true)
    }

    @Test("a duplicate key is a syntax error")
    func duplicateKey() {
        let error = configurationError {
            _ = try FluxConfiguration(toml: "[flux]\ndebug = true\ndebug = false\n", environment: [:])
        }
        #expect(error?.kind == .invalidSyntax)
        #expect(error?.line == 3)
    }

    @Test("invalid pyproject.toml is an error when it is the file in use")
    func invalidPyproject() throws {
        try withTemporaryDirectory(files: ["pyproject.toml": "[tool.flux\n"]) { directory in
            let error = configurationError { _ = try FluxConfiguration.load(directory: directory, environment: [:]) }
            #expect(error?.kind == .invalidSyntax)
            #expect(error?.description.contains("pyproject.toml:1") == true)
        }
    }

    @Test("invalid pyproject.toml is ignored when flux.toml is used")
    func invalidPyprojectIgnored() throws {
        let files = ["flux.toml": "[flux]\ndebug = true\n", "pyproject.toml": "[tool.flux\n"]
        try withTemporaryDirectory(files: files) { directory in
            let c = try FluxConfiguration.load(directory: directory, environment: [:])
            #expect(c.debug)
            #expect(c.warnings.isEmpty)
        }
    }
}
