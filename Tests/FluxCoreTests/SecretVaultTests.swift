import Foundation
import Testing
import FluxCore

/// The vault's sealed format: `version | salt(16) | nonce(12) | ciphertext | tag(16)`.
@Suite("SecretVault")
struct SecretVaultTests {
    let vault: SecretVault

    init() throws { vault = try SecretVault(encryptionKey: "a passphrase of enough length") }

    @Test("an empty secret seals to 45 bytes and opens again (regression: `>` where `>=` was meant)")
    func emptySecretRoundTrips() throws {
        let sealed = try vault.seal("", name: "EMPTY")
        #expect(sealed.count == 17 + 28)
        #expect(try vault.open(sealed, name: "EMPTY") == "")
    }

    @Test("values of every small length round-trip")
    func smallValuesRoundTrip() throws {
        for length in 0...40 {
            let value = String(repeating: "é", count: length)
            #expect(try vault.open(try vault.seal(value, name: "K"), name: "K") == value)
        }
    }

    @Test("anything shorter than the header, nonce and tag, or damaged, is refused with cannotDecrypt")
    func damagedCiphertextIsRefused() throws {
        let sealed = try vault.seal("s3cr3t", name: "K")
        for cut in [0, 1, 17, 44] {
            #expect(throws: SecretError.cannotDecrypt("K")) { try vault.open(sealed.prefix(cut), name: "K") }
        }
        var flipped = sealed
        flipped[flipped.count - 1] ^= 0x01
        #expect(throws: SecretError.cannotDecrypt("K")) { try vault.open(flipped, name: "K") }
        #expect(throws: SecretError.cannotDecrypt("OTHER")) { try vault.open(sealed, name: "OTHER") }
        var versioned = sealed
        versioned[0] = 2
        #expect(throws: SecretError.cannotDecrypt("K")) { try vault.open(versioned, name: "K") }
    }

    @Test("the sealed bytes never contain the value")
    func sealedBytesHideTheValue() throws {
        let value = "plain-text-marker-0123456789"
        let sealed = try vault.seal(value, name: "K")
        #expect(sealed.range(of: Data(value.utf8)) == nil)
        #expect(try vault.seal(value, name: "K") != sealed, "a fresh salt and nonce each time")
    }
}
