import Foundation
import Testing
@testable import FluxConfig

@Suite("Rendering")
struct RenderingTests {
    static let secrets: [String: String] = [
        "FLUX_SECURITY__ENCRYPTION_KEY": "enc-SECRET-1",
        "FLUX_SECURITY__ADMIN_TOKEN": "adm-SECRET-2",
        "FLUX_SECURITY__AUTH_TOKEN": "auth-SECRET-3",
        "FLUX_WORKERS__BOOTSTRAP_TOKEN": "boot-SECRET-4",
        "FLUX_MCP__AUTH_TOKEN": "mcp-SECRET-5",
        "FLUX_DATABASE_URL": "postgresql://flux:db-SECRET-6@db:5432/flux",
    ]

    @Test("secrets are masked in the description, JSON, debug output and nested settings")
    func secretsAreMasked() throws {
        let c = try FluxConfiguration(toml: "", environment: Self.secrets)
        let outputs = [
            c.description, "\(c)", String(reflecting: c), c.rendered(as: .json),
            c.security.description, c.workers.description, c.mcp.description,
            String(describing: c.security), dumped(c), dumped(c.security),
        ]
        for output in outputs {
            #expect(!output.contains("SECRET"), "\(output)")
        }
        #expect(c.description.contains("encryption_key = \"********\""))
        #expect(c.description.contains("bootstrap_token = \"********\""))
        #expect(c.description.contains("database_url = \"postgresql://flux:********@db:5432/flux\""))
        #expect(c.rendered(as: .json).contains("\"admin_token\": \"********\""))
        #expect(c.security.encryptionKey == "enc-SECRET-1", "masking never changes the values")
    }

    @Test("revealing secrets shows them")
    func revealing() throws {
        let c = try FluxConfiguration(toml: "", environment: Self.secrets)
        let shown = c.rendered(as: .toml, revealingSecrets: true)
        #expect(shown.contains("auth_token = \"auth-SECRET-3\""))
        #expect(shown.contains("db-SECRET-6"))
    }

    @Test("unset secrets are shown as not set")
    func unsetSecrets() {
        let text = FluxConfiguration.defaults.description
        #expect(text.contains("# encryption_key is not set"))
        #expect(FluxConfiguration.defaults.rendered(as: .json).contains("\"encryption_key\": null"))
    }

    @Test("the TOML rendering lists every key, in its table")
    func everyKeyRendered() {
        let text = FluxConfiguration.defaults.description
        for header in ["[flux]", "[flux.store]", "[flux.workers]", "[flux.security]", "[flux.mcp]", "[flux.executor]"] {
            #expect(text.contains("\n\(header)\n") || text.hasPrefix("\(header)\n"), "\(header)")
        }
        for key in ConfigurationKeys.all {
            #expect(text.contains("\n\(key.leaf) = ") || text.contains("# \(key.leaf) is not set"), "\(key.name)")
        }
        #expect(text.contains("database_url = \"sqlite:///.flux/flux.db\""))
        #expect(text.contains("labels = []"))
        #expect(text.contains("retry_delay = 1.0"))
    }

    @Test("rendered TOML reads back to the same configuration")
    func tomlRoundTrip() throws {
        let original = try FluxConfiguration(toml: TOMLLoadingTests.sample, environment: [
            "FLUX_SECURITY__ADMIN_TOKEN": "quote \" backslash \\ newline \n tab \t",
            "FLUX_MCP__AUTH_TOKEN": "m",
            "FLUX_SECURITY__AUTH_TOKEN": "a",
        ])
        let text = original.rendered(as: .toml, revealingSecrets: true)
        let reread = try FluxConfiguration(toml: text, environment: [:])
        #expect(reread == original)
        #expect(reread.security.adminToken == original.security.adminToken)
    }

    @Test("rendered JSON is valid JSON with one object per table")
    func jsonIsValid() throws {
        let c = try FluxConfiguration(toml: TOMLLoadingTests.sample, environment: Self.secrets)
        let data = Data(c.rendered(as: .json).utf8)
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(object["server_port"] as? Int == 9090)
        let workers = try #require(object["workers"] as? [String: Any])
        #expect(workers["labels"] as? [String] == ["gpu", "eu"])
        #expect(workers["bootstrap_token"] as? String == "********")
        let mcp = try #require(object["mcp"] as? [String: Any])
        #expect(mcp["transport"] as? String == "streamable-http")
    }

    private func dumped(_ value: Any) -> String {
        var text = ""
        dump(value, to: &text)
        return text
    }
}
