import ArgumentParser

/// `flux start …`: long-running servers.
struct StartCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "start", abstract: "Start a server.",
        subcommands: [StartServerCommand.self])
}
