import Foundation
import Testing

/// The store holds every input, output and event, and secrets' ciphertexts: its directory is 0700 and its files
/// 0600, whatever the umask (hostile review, point 11).
@Suite("Store permissions")
struct StorePermissionsTests {
    static func mode(_ path: String) throws -> Int {
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        return try #require(attributes[.posixPermissions] as? Int)
    }

    @Test func aNewStoreIsReadableByItsOwnerOnly() throws {
        let flux = try FluxBinary()
        defer { try? FileManager.default.removeItem(at: flux.directory) }
        let document = FluxBinary.examples.appendingPathComponent("hello_world.yaml").path
        let result = try flux.run(["run", document, "World"])
        #expect(result.status == 0, "\(result.stderr)")
        let store = flux.directory.appendingPathComponent(".flux").path
        #expect(try Self.mode(store) == 0o700)
        for file in ["flux.db", "flux.db-wal", "flux.db-shm"] where FileManager.default.fileExists(atPath: store + "/" + file) {
            #expect(try Self.mode(store + "/" + file) == 0o600, "\(file)")
        }
        #expect(FileManager.default.fileExists(atPath: store + "/flux.db"))
    }

    @Test func anExistingStoreReadableByOthersIsNarrowed() throws {
        let flux = try FluxBinary()
        defer { try? FileManager.default.removeItem(at: flux.directory) }
        let store = flux.directory.appendingPathComponent(".flux").path
        try FileManager.default.createDirectory(atPath: store, withIntermediateDirectories: true)
        #expect(FileManager.default.createFile(atPath: store + "/flux.db", contents: nil, attributes: [.posixPermissions: 0o644]))
        let result = try flux.run(["workflow", "list"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try Self.mode(store + "/flux.db") == 0o600)
    }
}
