import FluxCore

extension FluxService {
    /// Encrypts and stores a secret (needs `security.encryption_key`) with its grant: the workflows that may use it.
    ///
    /// - Parameters:
    ///   - value: the new value; nil keeps the stored one (the secret must exist), to change only the grant.
    ///   - grant: nil keeps the stored grant (a new secret gets ``SecretGrant/anyWorkflow``), so that rotating a
    ///     value never widens who may use it.
    ///
    /// ```swift
    /// try await service.setSecret(name: "API_KEY", value: "s3cr3t", grant: .workflows(["billing"]))
    /// try await service.setSecret(name: "API_KEY", value: nil, grant: .workflows(["billing", "report"]))
    /// ```
    public func setSecret(name: String, value: String?, grant: SecretGrant? = nil) async throws(ServiceError) {
        do {
            try StoredSecretProvider.validate(name: name)
            try grant?.validate()
            guard value != nil || grant != nil else {
                throw ServiceError(.invalidInput, "give secret \(name) a value, a grant (the workflows that may use it), or both")
            }
            let stored = try await store.sealedSecret(name: name)
            let kept = grant ?? stored?.grant ?? .anyWorkflow
            if let value {
                try await environment.secrets.set(value, name: name, grant: kept)
            } else {
                guard var stored else { throw ServiceError(.notFound, "no secret named \(name): give its value to set it") }
                stored.grant = kept
                try await store.setSealedSecret(stored, name: name)
            }
        } catch {
            throw ServiceError.wrap(error)
        }
    }

    /// Encrypts and stores a secret that keeps its grant (any workflow, for a new secret).
    public func setSecret(name: String, value: String) async throws(ServiceError) {
        try await setSecret(name: name, value: value, grant: nil)
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

    /// Every secret's name and grant, never its value: `[{"name", "workflows": [names] or null for any workflow}]`.
    public func secretGrants() async throws(ServiceError) -> [JSONValue] {
        do {
            var out: [JSONValue] = []
            for name in try await store.secretNames() {
                guard let sealed = try await store.sealedSecret(name: name) else { continue }
                out.append(Self.grantJSON(name: name, grant: sealed.grant))
            }
            return out
        } catch {
            throw ServiceError.wrap(error)
        }
    }

    static func grantJSON(name: String, grant: SecretGrant) -> JSONValue {
        ["name": .string(name), "workflows": grant.workflowNames.map { .array($0.map(JSONValue.string)) } ?? .null]
    }
}
