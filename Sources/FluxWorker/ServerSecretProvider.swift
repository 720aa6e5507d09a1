import FluxCore

/// Secrets for tasks running on a worker, asked of the server (which decrypts them) over the session. The server
/// hands out a secret only for an execution this worker holds, and only when the secret is granted to its workflow.
struct ServerSecretProvider: SecretProvider {
    let connection: ServerConnection

    /// Without an execution the server hands out nothing: the engine always asks through ``secrets(named:for:)``.
    func secrets(named names: [String]) async throws -> [String: String] {
        guard !names.isEmpty else { return [:] }
        throw SecretError.missing(names)
    }

    func secrets(named names: [String], for requester: SecretRequester) async throws -> [String: String] {
        guard !names.isEmpty else { return [:] }
        do {
            let body: JSONValue = ["names": .array(names.map(JSONValue.string)), "execution_id": .string(requester.executionID)]
            let json = try await connection.call("POST", connection.workerPath("secrets"), body: body)
            var values: [String: String] = [:]
            for (name, value) in json["secrets"]?.objectValue ?? [:] { values[name] = value.stringValue }
            let missing = names.filter { values[$0] == nil }
            if !missing.isEmpty { throw SecretError.missing(missing) }
            return values
        } catch WorkerError.notFound {
            throw SecretError.missing(names)
        } catch WorkerError.rejected(let status, let message) where status == 403 {
            // Not granted to this execution's workflow: the server's message says which secret and how to grant it.
            throw SecretRefused(message: message)
        }
    }
}

/// The server refused a secret to an execution (its grant does not name the workflow).
struct SecretRefused: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}
