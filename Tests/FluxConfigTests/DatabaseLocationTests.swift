import Foundation
import Testing
@testable import FluxConfig

@Suite("database_url")
struct DatabaseLocationTests {
    @Test(
        "accepted URLs",
        arguments: [
            ("sqlite:///relative/path/flux.db", DatabaseLocation.sqlite(path: "relative/path/flux.db")),
            ("sqlite:////absolute/path/flux.db", .sqlite(path: "/absolute/path/flux.db")),
            ("sqlite:///.flux/flux.db", .sqlite(path: ".flux/flux.db")),
            ("SQLite:///x.db", .sqlite(path: "x.db")),
            ("postgresql://flux:pw@db:5432/flux", .postgres(url: "postgresql://flux:pw@db:5432/flux")),
            ("postgres://db/flux", .postgres(url: "postgres://db/flux")),
        ]
    )
    func accepted(url: String, expected: DatabaseLocation) throws {
        #expect(try DatabaseLocation(url: url) == expected)
    }

    @Test(
        "rejected URLs name the key",
        arguments: ["mysql://db/flux", "flux.db", "sqlite://", "sqlite:///", "sqlite://host/x.db", "postgres://", ""]
    )
    func rejected(url: String) {
        let error = configurationError { _ = try DatabaseLocation(url: url, key: "database_url", source: .override) }
        #expect(error?.key == "database_url")
        #expect(error?.description.hasPrefix("override: database_url: ") == true)
    }

    @Test("the configuration resolves its database URL, derived or explicit")
    func configurationResolves() throws {
        #expect(try FluxConfiguration.defaults.databaseLocation() == .sqlite(path: ".flux/flux.db"))
        let postgres = try FluxConfiguration(toml: "", environment: ["FLUX_DATABASE_URL": "postgres://db/flux"])
        #expect(try postgres.databaseLocation() == .postgres(url: "postgres://db/flux"))
    }

    @Test("an invalid URL set in code fails when resolved")
    func invalidProgrammatic() {
        var c = FluxConfiguration.defaults
        c.databaseURL = "redis://cache"
        let error = configurationError { _ = try c.databaseLocation() }
        #expect(error?.description.hasPrefix("configuration: database_url: unsupported database scheme \"redis\"") == true)
    }

    @Test("a PostgreSQL password is masked in errors")
    func passwordMaskedInErrors() {
        #expect(DatabaseLocation.maskingPassword(in: "postgresql://flux:s3cret@db:5432/flux") == "postgresql://flux:********@db:5432/flux")
        #expect(DatabaseLocation.maskingPassword(in: "postgresql://flux@db/flux") == "postgresql://flux@db/flux")
        #expect(DatabaseLocation.maskingPassword(in: "postgresql://db:5432/flux?x=a@b") == "postgresql://db:5432/flux?x=a@b")
    }
}
