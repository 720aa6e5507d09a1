import Crypto
import Foundation

/// Encrypts and decrypts secret values with AES-256-GCM under a key derived from `security.encryption_key`.
///
/// Each value gets a fresh random salt and nonce; the secret's name is bound in as authenticated data,
/// so a ciphertext copied to another name does not decrypt.
///
/// ```swift
/// let vault = try SecretVault(encryptionKey: "a long random passphrase")
/// let sealed = try vault.seal("s3cr3t", name: "API_KEY")
/// let plain = try vault.open(sealed, name: "API_KEY")   // "s3cr3t"
/// ```
public struct SecretVault: Sendable {
    private let masterKey: SymmetricKey
    private static let formatVersion: UInt8 = 1

    public init(encryptionKey: String) throws(SecretError) {
        guard encryptionKey.utf8.count >= 16 else { throw .weakEncryptionKey }
        masterKey = SymmetricKey(data: Data(encryptionKey.utf8))
    }

    private func key(salt: Data) -> SymmetricKey {
        HKDF<SHA256>.deriveKey(inputKeyMaterial: masterKey, salt: salt, info: Data("flux-secret-v1".utf8), outputByteCount: 32)
    }

    /// Returns `version | salt(16) | nonce | ciphertext | tag`.
    public func seal(_ value: String, name: String) throws(SecretError) -> Data {
        var salt = Data(count: 16)
        for i in 0..<16 { salt[i] = UInt8.random(in: 0...255) }
        do {
            let box = try AES.GCM.seal(Data(value.utf8), using: key(salt: salt), authenticating: Data(name.utf8))
            guard let combined = box.combined else { throw SecretError.cannotDecrypt(name) }
            return Data([Self.formatVersion]) + salt + combined
        } catch {
            throw .cannotDecrypt(name)
        }
    }

    public func open(_ sealed: Data, name: String) throws(SecretError) -> String {
        let bytes = [UInt8](sealed)
        // version + salt (17 bytes), then nonce (12) + ciphertext (as long as the value, so 0 for "") + tag (16).
        guard bytes.count >= 17 + 28, bytes[0] == Self.formatVersion else { throw .cannotDecrypt(name) }
        let salt = Data(bytes[1..<17])
        do {
            let box = try AES.GCM.SealedBox(combined: Data(bytes[17...]))
            let plain = try AES.GCM.open(box, using: key(salt: salt), authenticating: Data(name.utf8))
            guard let s = String(data: plain, encoding: .utf8) else { throw SecretError.cannotDecrypt(name) }
            return s
        } catch {
            throw .cannotDecrypt(name)
        }
    }
}

/// Why a secret could not be had.
public enum SecretError: Error, Sendable, Hashable, CustomStringConvertible {
    case missing([String])
    case noEncryptionKey
    case weakEncryptionKey
    case cannotDecrypt(String)
    case invalidName(String)
    /// The secret exists but its grant does not name the workflow of the execution that asked for it.
    case notGranted(secret: String, workflow: String)
    /// A workflow name in a grant is not a usable name.
    case invalidGrant(String)

    public var description: String {
        switch self {
        case .missing(let names):
            return "secret\(names.count == 1 ? "" : "s") not found: \(names.joined(separator: ", ")); set \(names.count == 1 ? "it" : "them") with `flux secrets set NAME VALUE`"
        case .noEncryptionKey:
            return "no encryption key configured: set security.encryption_key in flux.toml or FLUX_SECURITY__ENCRYPTION_KEY (at least 16 characters)"
        case .weakEncryptionKey:
            return "security.encryption_key is too short: use at least 16 characters"
        case .cannotDecrypt(let name):
            return "secret \(name) cannot be decrypted: the encryption key differs from the one it was stored with, or the stored value is damaged"
        case .invalidName(let name):
            return "invalid secret name \(name.debugDescription): use letters, digits, '_', '-' and '.' (1 to 128 characters)"
        case .notGranted(let secret, let workflow):
            return "secret \(secret) is not granted to workflow \(workflow); grant it with `flux secrets set \(secret) --workflows \(workflow)` "
                + "(list every workflow that may use it) or POST /admin/secrets {\"name\": \"\(secret)\", \"workflows\": [...]}"
        case .invalidGrant(let why):
            return "invalid secret grant: \(why)"
        }
    }
}

/// The execution a task asking for secrets belongs to: a provider that keeps grants (``StoredSecretProvider``)
/// hands out only the secrets granted to its workflow.
public struct SecretRequester: Sendable, Hashable {
    public var executionID: String
    public var workflowName: String
    public var workflowVersion: Int

    public init(executionID: String, workflowName: String, workflowVersion: Int) {
        self.executionID = executionID
        self.workflowName = workflowName
        self.workflowVersion = workflowVersion
    }
}

/// Where running tasks get their secrets from. The engine asks only for the names a task requested.
public protocol SecretProvider: Sendable {
    /// The values of `names`; throws ``SecretError/missing(_:)`` naming every absent one.
    func secrets(named names: [String]) async throws -> [String: String]
    /// The values of `names` for a task of `requester`'s execution; a provider that keeps grants throws
    /// ``SecretError/notGranted(secret:workflow:)`` for a secret not granted to its workflow.
    func secrets(named names: [String], for requester: SecretRequester) async throws -> [String: String]
}

extension SecretProvider {
    /// A provider without grants hands every execution the same secrets.
    public func secrets(named names: [String], for requester: SecretRequester) async throws -> [String: String] {
        try await secrets(named: names)
    }
}

/// Secrets decrypted from a ``SecretStore`` with a ``SecretVault``, each only for the workflows its
/// ``SecretGrant`` names.
///
/// ```swift
/// let secrets = StoredSecretProvider(store: store, vault: try SecretVault(encryptionKey: key))
/// try await secrets.set("s3cr3t", name: "API_KEY", grant: .workflows(["billing"]))
/// ```
public struct StoredSecretProvider: SecretProvider {
    let store: any SecretStore
    let vault: SecretVault?

    public init(store: any SecretStore, vault: SecretVault?) {
        self.store = store
        self.vault = vault
    }

    /// The values of `names`, whatever their grants (for the operator: `flux secrets get`, the admin API).
    public func secrets(named names: [String]) async throws -> [String: String] {
        try await values(names, requester: nil)
    }

    /// The values of `names` for an execution: a secret whose grant does not name its workflow is refused, so
    /// the in-process engine and the server answering a remote worker apply the same grant.
    public func secrets(named names: [String], for requester: SecretRequester) async throws -> [String: String] {
        try await values(names, requester: requester)
    }

    private func values(_ names: [String], requester: SecretRequester?) async throws -> [String: String] {
        var values: [String: String] = [:]
        var missing: [String] = []
        for name in names {
            guard let sealed = try await store.sealedSecret(name: name) else {
                missing.append(name)
                continue
            }
            if let requester, !sealed.grant.allows(requester.workflowName) {
                throw SecretError.notGranted(secret: name, workflow: requester.workflowName)
            }
            guard let vault else { throw SecretError.noEncryptionKey }
            values[name] = try vault.open(sealed.ciphertext, name: name)
        }
        if !missing.isEmpty { throw SecretError.missing(missing) }
        return values
    }

    /// Encrypts and stores a secret that any workflow may use (replacing the value and grant that were there).
    public func set(_ value: String, name: String) async throws {
        try await set(value, name: name, grant: .anyWorkflow)
    }

    /// Encrypts and stores a secret with its grant (replacing both).
    public func set(_ value: String, name: String, grant: SecretGrant) async throws {
        try Self.validate(name: name)
        try grant.validate()
        guard let vault else { throw SecretError.noEncryptionKey }
        try await store.setSealedSecret(SealedSecret(ciphertext: try vault.seal(value, name: name), grant: grant), name: name)
    }

    public static func validate(name: String) throws(SecretError) {
        let ok = !name.isEmpty && name.utf8.count <= 128
            && name.unicodeScalars.allSatisfy { CharacterSet.alphanumerics.contains($0) && $0.isASCII || "_-.".unicodeScalars.contains($0) }
        if !ok { throw .invalidName(name) }
    }
}
