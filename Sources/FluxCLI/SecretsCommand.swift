import ArgumentParser
import FluxCore
import FluxService
import Foundation

struct SecretsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "secrets", abstract: "Manage secrets, encrypted at rest under security.encryption_key.",
        discussion: "With --server-url (or workers.server_url) they go through the server's admin API, with --admin-token or security.admin_token.",
        subcommands: [List.self, Set.self, Get.self, Remove.self])

    /// The client options plus the admin token the server's admin API wants.
    struct Options: ParsableArguments {
        @OptionGroup var client: ClientOptions
        @Option(name: .long, help: ArgumentHelp("Bearer token for the server's admin API (default: security.admin_token).", valueName: "token"))
        var adminToken: String?

        func open() async throws -> any FluxClient { try await client.client(adminToken: adminToken) }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List secret names (never values), each with the workflows it is granted to when it is limited.",
            discussion: "--format json prints [{\"name\", \"workflows\": [...] or null for any workflow}].")
        @OptionGroup var options: Options
        @Option var format: OutputFormat = .text
        func run() async throws {
            let grants = try await options.open().secretGrants()
            if format == .json { Output.json(.array(grants), format: .json); return }
            for grant in grants {
                let name = grant["name"]?.stringValue ?? ""
                if let workflows = grant["workflows"]?.arrayValue {
                    Output.line("\(name)  workflows: \(workflows.compactMap(\.stringValue).joined(separator: ", "))")
                } else {
                    Output.line(name)
                }
            }
        }
    }

    struct Set: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Set a secret. Give VALUE, or - to read it from standard input; --workflows limits which workflows may use it.",
            discussion: """
                Only the workflows a secret is granted to get it when they run; a workflow granted a secret can reveal it \
                (docs/security.md). Without --workflows a new secret is granted to any workflow and an existing one keeps its \
                grant; --workflows a,b grants it to exactly those workflows, --workflows '*' to any. Without VALUE only the \
                grant changes.
                """)
        @OptionGroup var options: Options
        @Argument var name: String
        @Argument var value: String?
        @Option(help: ArgumentHelp("Comma-separated names of the workflows that may use the secret, or * for any workflow.", valueName: "names"))
        var workflows: String?

        func run() async throws {
            var secret = value
            if value == "-" {
                var read = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
                if read.hasSuffix("\n") { read.removeLast() }
                secret = read
            }
            let grant = workflows.map(Self.grant)
            guard secret != nil || grant != nil else { throw ValidationError("give a VALUE, --workflows, or both") }
            try await options.open().setSecret(name: name, value: secret, grant: grant)
            switch grant {
            case nil: Output.line("secret \(name) set")
            case .anyWorkflow?: Output.line("secret \(name) set for any workflow")
            case .workflows(let names)?: Output.line("secret \(name) set for workflows \(names.joined(separator: ", "))")
            }
        }

        static func grant(_ text: String) -> SecretGrant {
            if text.trimmingCharacters(in: .whitespaces) == "*" { return .anyWorkflow }
            return .workflows(text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty })
        }
    }

    struct Get: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print a secret's value (asks for confirmation on a terminal).")
        @OptionGroup var options: Options
        @Argument var name: String
        @Flag(name: .shortAndLong, help: "Do not ask for confirmation.") var yes = false
        func run() async throws {
            if !yes, isatty(STDIN_FILENO) != 0 {
                FileHandle.standardError.write(Data("Print the value of secret \(name)? [y/N] ".utf8))
                guard let answer = readLine(), answer.lowercased().hasPrefix("y") else { throw ExitCode(1) }
            }
            Output.line(try await options.open().secret(name: name))
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a secret.")
        @OptionGroup var options: Options
        @Argument var name: String
        func run() async throws {
            guard try await options.open().deleteSecret(name: name) else {
                throw ServiceError(.notFound, "no secret named \(name)")
            }
            Output.line("secret \(name) removed")
        }
    }
}
