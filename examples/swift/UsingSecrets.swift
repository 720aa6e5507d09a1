import Flux

/// `using_secrets`: a task that requests a secret gets its value in `TaskContext.secrets`. The
/// value never reaches the store: the engine replaces it with `[REDACTED]` in every event and in
/// the output, even when a task returns it.
///
/// Set the secret first, with the engine's secret provider:
///
/// ```swift
/// let secrets = StoredSecretProvider(store: store, vault: try SecretVault(encryptionKey: key))
/// try await secrets.set("super secret", name: UsingSecretsExample.secretName)
/// let engine = FluxEngine(store: store, secrets: secrets)
/// ```
public enum UsingSecretsExample {
    public static let secretName = "example"

    public static let taskWithSecrets = task(
        "task_with_secrets", options: TaskOptions(secretRequests: [secretName])
    ) { (_: NoInput, context: TaskContext) -> JSONValue in
        let value = context.secrets[secretName] ?? ""
        // A real task would call an API with it; returning it shows that it comes back redacted.
        return ["authorization": .string("Bearer \(value)"), "secret_length": .int(value.count)]
    }

    public static let workflow = FluxCore.workflow(
        "using_secrets", description: "Uses the secret named \"example\"; its value is never stored"
    ) { (_: ExecutionContext<NoInput>) -> JSONValue in
        try await taskWithSecrets()
    }
}
