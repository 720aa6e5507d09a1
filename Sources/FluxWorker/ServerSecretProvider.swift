import FluxCore

/// Secrets for tasks running on a worker, asked of the server (which decrypts them) over the session.
struct ServerSecretProvider: SecretProvider {
    let connection: ServerConnection

    func secrets(named names: [String]) async throws -> [String: String] {
        guard !names.isEmpty else { return [:] }
        do {
            let json = try await connection.call("POST", connection.workerPath("secrets"), body: ["names": .array(names.map(JSONValue.string))])
            var values: [String: String] = [:]
            for (name, value) in json["secrets"]?.objectValue ?? [:] { values[name] = value.stringValue }
            let missing = names.filter { values[$0] == nil }
            if !missing.isEmpty { throw SecretError.missing(missing) }
            return values
        } catch WorkerError.notFound {
            throw SecretError.missing(names)
        }
    }
}
