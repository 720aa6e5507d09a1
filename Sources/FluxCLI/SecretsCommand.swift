import ArgumentParser
import FluxService
import Foundation

struct SecretsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "secrets", abstract: "Manage secrets, encrypted at rest under security.encryption_key.",
        subcommands: [List.self, Set.self, Get.self, Remove.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List secret names (never values).")
        @OptionGroup var service: ServiceOptions
        @Option var format: OutputFormat = .text
        func run() async throws {
            let names = try await service.openService().secretNames()
            if format == .json { Output.json(.array(names.map { .string($0) }), format: .json) } else { names.forEach(Output.line) }
        }
    }

    struct Set: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Set a secret. Give VALUE, or - to read it from standard input.")
        @OptionGroup var service: ServiceOptions
        @Argument var name: String
        @Argument var value: String
        func run() async throws {
            var secret = value
            if value == "-" {
                secret = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
                if secret.hasSuffix("\n") { secret.removeLast() }
            }
            try await service.openService().setSecret(name: name, value: secret)
            Output.line("secret \(name) set")
        }
    }

    struct Get: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print a secret's value (asks for confirmation on a terminal).")
        @OptionGroup var service: ServiceOptions
        @Argument var name: String
        @Flag(name: .shortAndLong, help: "Do not ask for confirmation.") var yes = false
        func run() async throws {
            if !yes, isatty(STDIN_FILENO) != 0 {
                FileHandle.standardError.write(Data("Print the value of secret \(name)? [y/N] ".utf8))
                guard let answer = readLine(), answer.lowercased().hasPrefix("y") else { throw ExitCode(1) }
            }
            Output.line(try await service.openService().secret(name: name))
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a secret.")
        @OptionGroup var service: ServiceOptions
        @Argument var name: String
        func run() async throws {
            guard try await service.openService().deleteSecret(name: name) else {
                throw ServiceError(.notFound, "no secret named \(name)")
            }
            Output.line("secret \(name) removed")
        }
    }
}
