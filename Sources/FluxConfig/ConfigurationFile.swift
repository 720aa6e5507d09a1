import Foundation

/// Finds and reads the TOML file that configures Flux.
///
/// `<directory>/flux.toml` (table `[flux]`) is used when it exists; otherwise
/// `<directory>/pyproject.toml` (table `[tool.flux]`); otherwise no file.
enum ConfigurationFile {
    static let fluxFileName = "flux.toml"
    static let pyprojectFileName = "pyproject.toml"

    /// Reads the configuration file of `directory`, if there is one.
    static func read(directory: URL) throws(ConfigurationError) -> SourceReading {
        let fluxFile = directory.appendingPathComponent(fluxFileName)
        let pyproject = directory.appendingPathComponent(pyprojectFileName)
        if exists(fluxFile) {
            var reading = try read(file: fluxFile)
            if exists(pyproject), pyprojectHasFluxTable(pyproject) {
                reading.warnings.append(
                    "\(pyproject.path): [tool.flux] is ignored because \(fluxFile.path) exists"
                )
            }
            return reading
        }
        if exists(pyproject) {
            return try read(file: pyproject)
        }
        return SourceReading()
    }

    /// Reads one file; a file named `pyproject.toml` is read for `[tool.flux]`, any other for `[flux]`.
    static func read(file: URL) throws(ConfigurationError) -> SourceReading {
        let source = ConfigurationSource.file(file.path)
        let text: String
        do {
            text = try String(contentsOf: file, encoding: .utf8)
        } catch {
            throw ConfigurationError(
                kind: .unreadableFile, source: source, key: nil,
                message: "cannot read the file: \(error.localizedDescription)"
            )
        }
        let layout: TableReader.Layout = file.lastPathComponent == pyprojectFileName ? .pyproject : .fluxFile
        return try read(text: text, layout: layout, source: source)
    }

    /// Parses TOML text and reads its Flux table.
    static func read(
        text: String,
        layout: TableReader.Layout,
        source: ConfigurationSource
    ) throws(ConfigurationError) -> SourceReading {
        let root = try TOMLDocument.parse(text, source: source)
        return try TableReader.read(root: root, layout: layout, source: source)
    }

    private static func exists(_ file: URL) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: file.path, isDirectory: &isDirectory) && !isDirectory.boolValue
    }

    private static func pyprojectHasFluxTable(_ file: URL) -> Bool {
        guard let text = try? String(contentsOf: file, encoding: .utf8),
              let reading = try? read(text: text, layout: .pyproject, source: .file(file.path)) else { return false }
        return !reading.assignments.isEmpty || !reading.warnings.isEmpty
    }
}
