import ArgumentParser
import Flux
import FluxService
import Foundation

/// Options every command that touches the store shares.
struct ServiceOptions: ParsableArguments {
    @Option(name: .long, help: "Directory holding flux.toml (default: the current directory).")
    var configDirectory: String?

    /// The configuration of `--config-directory` (or the current directory) and the environment.
    func loadConfiguration() throws -> FluxConfiguration {
        let directory = configDirectory.map { URL(fileURLWithPath: $0) } ?? URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
        return try FluxConfiguration.load(directory: directory)
    }

    /// Opens the local service on the configured store.
    func openService() async throws -> FluxService {
        let configuration = try loadConfiguration()
        for warning in configuration.warnings { FileHandle.standardError.write(Data(("warning: " + warning + "\n").utf8)) }
        // A command run in an unexpected directory would otherwise start on an empty store without a word.
        var created: String?
        if case .sqlite(let path) = try? configuration.databaseLocation(), !FileManager.default.fileExists(atPath: path) {
            created = URL(fileURLWithPath: path).standardizedFileURL.path
        }
        do {
            let service = try await FluxService.open(
                configuration: configuration, swiftTasks: FluxCommandLine.swiftTasks, swiftWorkflows: FluxCommandLine.swiftWorkflows)
            if let created {
                FileHandle.standardError.write(Data(("flux: created a new store at \(created) (run from another directory, "
                    + "or set FLUX_HOME or database_url, to use another)\n").utf8))
            }
            return service
        } catch {
            throw ServiceError.wrap(error)
        }
    }
}
