import FluxCore
import Foundation
import Testing

/// Using a secret is a grant (issue #15, item 1), through the real `flux` binary on its local store: the local
/// operator may register documents that request secrets only when `security.trusted_local_operator` says so, and
/// `flux secrets set NAME --workflows a,b` limits a secret to named workflows.
@Suite("secret grants through the flux binary")
struct SecretGrantCLITests {
    static let key = ["FLUX_SECURITY__ENCRYPTION_KEY": "an-encryption-key-for-the-cli-grant-tests"]
    static let trusted = ["FLUX_SECURITY__TRUSTED_LOCAL_OPERATOR": "true"]

    static func measuring(_ name: String) -> String {
        """
        flux: 1
        name: \(name)
        secrets: [API_KEY]
        steps:
          - id: measure
            set: "${{ length(secrets.API_KEY) }}"
        """
    }

    @Test func runningADocumentThatRequestsSecretsNeedsATrustedLocalOperator() throws {
        let fixture = try HTTPFixture(token: "tok-\(UUID().uuidString)")
        var flux = try FluxBinary(environment: Self.key)
        #expect(try flux.run(["secrets", "set", "API_TOKEN", fixture.token]).status == 0)
        let path = FluxBinary.examples.appendingPathComponent("using_secrets.yaml").path
        let input = #"{"url": "\#(fixture.url("/auth"))"}"#

        // Not trusted: refused before anything is stored or run, saying which secret and how to be trusted.
        let refused = try flux.run(["run", path, input, "--format", "json"])
        #expect(refused.status != 0, "\(refused.stdout)")
        #expect(refused.stderr.contains("API_TOKEN") && refused.stderr.contains("security.trusted_local_operator"), "\(refused.stderr)")
        #expect(try flux.run(["workflow", "register", path]).status != 0)
        #expect(try JSONValue(parsing: try flux.run(["workflow", "list", "--format", "json"]).stdout) == [])
        #expect(try flux.run(["workflow", "show", "using_secrets"]).status != 0, "nothing was registered")
        // An explicit false is the same.
        flux.environment["FLUX_SECURITY__TRUSTED_LOCAL_OPERATOR"] = "false"
        #expect(try flux.run(["run", path, input, "--format", "json"]).status != 0)

        // Trusted: it runs, and the token stays out of the answer.
        flux.environment["FLUX_SECURITY__TRUSTED_LOCAL_OPERATOR"] = "true"
        let ran = try flux.run(["run", path, input, "--format", "json", "--detailed"])
        #expect(ran.status == 0, "\(ran.stderr)")
        let summary = try JSONValue(parsing: ran.stdout)
        #expect(summary["output"] == 200, "\(ran.stdout.prefix(500))")
        #expect(!ran.stdout.contains(fixture.token))
        let shown = try JSONValue(parsing: try flux.run(["workflow", "show", "using_secrets", "--format", "json"]).stdout)
        #expect(shown["secrets"] == ["API_TOKEN"])

        // Shown to an untrusted local caller, the workflow names no secret.
        flux.environment["FLUX_SECURITY__TRUSTED_LOCAL_OPERATOR"] = nil
        let hidden = try flux.run(["workflow", "show", "using_secrets", "--format", "json"])
        #expect(hidden.status == 0, "\(hidden.stderr)")
        #expect(!hidden.stdout.contains("API_TOKEN"), "\(hidden.stdout)")
        // Running what the operator registered needs no trust.
        let again = try flux.run(["workflow", "run", "using_secrets", input, "--format", "json"])
        #expect(try JSONValue(parsing: again.stdout)["output"] == 200, "\(again.stdout) \(again.stderr)")
    }

    @Test func secretsSetWorkflowsLimitsASecretToNamedWorkflows() throws {
        let flux = try FluxBinary(environment: Self.key.merging(Self.trusted) { a, _ in a })
        let set = try flux.run(["secrets", "set", "API_KEY", "twelve-chars", "--workflows", "a, b"])
        #expect(set.status == 0, "\(set.stderr)")
        #expect(set.stdout == "secret API_KEY set for workflows a, b\n")
        #expect(try flux.run(["secrets", "set", "OPEN", "v"]).status == 0)
        #expect(try flux.run(["secrets", "list"]).stdout == "API_KEY  workflows: a, b\nOPEN\n")
        #expect(try JSONValue(parsing: try flux.run(["secrets", "list", "--format", "json"]).stdout)
            == [["name": "API_KEY", "workflows": ["a", "b"]], ["name": "OPEN", "workflows": nil]])

        // At run time: a and b get it, c does not, and is told how to grant it.
        for name in ["a", "b", "c"] { _ = try flux.write("\(name).yaml", Self.measuring(name)) }
        let a = try flux.run(["run", "a.yaml", "--format", "json"])
        #expect(a.status == 0, "\(a.stdout) \(a.stderr)")
        #expect(try JSONValue(parsing: a.stdout)["output"] == 12, "\(a.stdout)")
        let c = try flux.run(["run", "c.yaml", "--format", "json"])
        #expect(c.status == 1, "\(c.stdout) \(c.stderr)")
        let failed = try JSONValue(parsing: c.stdout)
        #expect(failed["state"] == "FAILED")
        #expect(c.stdout.contains("secret API_KEY is not granted to workflow c"), "\(c.stdout)")
        #expect(c.stdout.contains("flux secrets set API_KEY --workflows c"), "\(c.stdout)")
        #expect(!c.stdout.contains("twelve-chars"))

        // Only the grant changes (no VALUE): the value is kept, and c now gets it.
        #expect(try flux.run(["secrets", "set", "API_KEY", "--workflows", "a,b,c"]).status == 0)
        #expect(try flux.run(["secrets", "get", "API_KEY", "--yes"]).stdout == "twelve-chars\n")
        let c2 = try flux.run(["workflow", "run", "c", "--format", "json"])
        #expect(try JSONValue(parsing: c2.stdout)["output"] == 12, "\(c2.stdout) \(c2.stderr)")
        // A new value keeps the grant; '*' grants it to any workflow.
        #expect(try flux.run(["secrets", "set", "API_KEY", "another-value"]).status == 0)
        #expect(try flux.run(["secrets", "list"]).stdout == "API_KEY  workflows: a, b, c\nOPEN\n")
        #expect(try flux.run(["secrets", "set", "API_KEY", "--workflows", "*"]).stdout == "secret API_KEY set for any workflow\n")
        #expect(try flux.run(["secrets", "list"]).stdout == "API_KEY\nOPEN\n")

        // Mistakes are refused with a usage status.
        #expect(try flux.run(["secrets", "set", "API_KEY"]).status != 0, "neither a value nor a grant")
        #expect(try flux.run(["secrets", "set", "API_KEY", "--workflows", ""]).status != 0, "an empty grant")
        #expect(try flux.run(["secrets", "set", "API_KEY", "--workflows", "../etc"]).status != 0, "not a workflow name")
        #expect(try flux.run(["secrets", "set", "MISSING", "--workflows", "a"]).status == 2, "a grant needs a secret")
        #expect(try flux.run(["secrets", "list"]).stdout == "API_KEY\nOPEN\n")
    }
}
