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
        }
    }
}

/// Where running tasks get their secrets from. The engine asks only for the names a task requested.
public protocol SecretProvider: Sendable {
    /// The values of `names`; throws ``SecretError/missing(_:)`` naming every absent one.
    func secrets(named names: [String]) async throws -> [String: String]
}

/// Secrets decrypted from a ``SecretStore`` with a ``SecretVault``.
public struct StoredSecretProvider: SecretProvider {
    let store: any SecretStore
    let vault: SecretVault?

    public init(store: any SecretStore, vault: SecretVault?) {
        self.store = store
        self.vault = vault
    }

    public func secrets(named names: [String]) async throws -> [String: String] {
        var values: [String: String] = [:]
        var missing: [String] = []
        for name in names {
            guard let sealed = try await store.secretCiphertext(name: name) else {
                missing.append(name)
                continue
            }
            guard let vault else { throw SecretError.noEncryptionKey }
            values[name] = try vault.open(sealed, name: name)
        }
        if !missing.isEmpty { throw SecretError.missing(missing) }
        return values
    }

    /// Encrypts and stores a secret.
    public func set(_ value: String, name: String) async throws {
        try Self.validate(name: name)
        guard let vault else { throw SecretError.noEncryptionKey }
        try await store.setSecretCiphertext(try vault.seal(value, name: name), name: name)
    }

    public static func validate(name: String) throws(SecretError) {
        let ok = !name.isEmpty && name.utf8.count <= 128
            && name.unicodeScalars.allSatisfy { CharacterSet.alphanumerics.contains($0) && $0.isASCII || "_-.".unicodeScalars.contains($0) }
        if !ok { throw .invalidName(name) }
    }
}
