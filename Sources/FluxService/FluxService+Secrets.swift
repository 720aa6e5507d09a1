import FluxCore

extension FluxService {
    /// Encrypts and stores a secret (needs `security.encryption_key`).
    public func setSecret(name: String, value: String) async throws(ServiceError) {
        do { try await environment.secrets.set(value, name: name) } catch { throw ServiceError.wrap(error) }
    }

    /// The plain value of a secret.
    public func secret(name: String) async throws(ServiceError) -> String {
        do {
            let values = try await environment.secrets.secrets(named: [name])
            guard let value = values[name] else { throw ServiceError(.notFound, "no secret named \(name)") }
            return value
        } catch {
            throw ServiceError.wrap(error)
        }
    }

    /// Returns false when there was no such secret.
    public func deleteSecret(name: String) async throws(ServiceError) -> Bool {
        do { return try await store.deleteSecret(name: name) } catch { throw ServiceError.wrap(error) }
    }

    /// The names of the stored secrets; never their values.
    public func secretNames() async throws(ServiceError) -> [String] {
        do { return try await store.secretNames() } catch { throw ServiceError.wrap(error) }
    }
}
