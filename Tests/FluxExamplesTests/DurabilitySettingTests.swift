import Flux
import FluxStore
import Foundation
import Testing

/// `store.synchronous` reaches the SQLite writer connection: `full` makes every commit fsync the WAL (survives
/// power loss), `normal` fsyncs at checkpoints only (survives a crash of the process). docs/reliability.md.
@Suite("store.synchronous")
struct DurabilitySettingTests {
    @Test("FLUX_STORE__SYNCHRONOUS and flux.toml set the writer's PRAGMA synchronous", arguments: [
        ("full", SQLiteSynchronous.full), ("normal", .normal), ("FULL", .full),
    ])
    func settingReachesTheWriter(value: String, expected: SQLiteSynchronous) throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("flux-sync-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let fromEnvironment = try FluxConfiguration.load(directory: directory, environment: [
            "FLUX_STORE__SYNCHRONOUS": value, "FLUX_DATABASE_URL": "sqlite:///\(directory.path)/env.db",
        ])
        let store = try #require(try FluxEnvironment.openStore(configuration: fromEnvironment) as? SQLiteStore)
        #expect(try store.writerSynchronous() == expected)

        try "[flux]\ndatabase_url = \"sqlite:///\(directory.path)/toml.db\"\n[flux.store]\nsynchronous = \"\(value.lowercased())\"\n"
            .write(to: directory.appendingPathComponent("flux.toml"), atomically: true, encoding: .utf8)
        let fromFile = try FluxConfiguration.load(directory: directory, environment: [:])
        let other = try #require(try FluxEnvironment.openStore(configuration: fromFile) as? SQLiteStore)
        #expect(try other.writerSynchronous() == expected)
    }

    @Test("the default is normal")
    func defaultIsNormal() throws {
        let store = try SQLiteStore.temporary()
        #expect(try store.writerSynchronous() == .normal)
        #expect(try SQLiteStore.temporary(synchronous: .full).writerSynchronous() == .full)
    }
}
