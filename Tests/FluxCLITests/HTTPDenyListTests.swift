import FluxCore
import Foundation
import Testing

/// The `http` deny list holds for every way of writing an address that reaches this machine (hostile review,
/// point 4): `0.0.0.0` and `0` reached a listener on 127.0.0.1 with `127.0.0.0/8`, `::1` and `localhost` denied.
@Suite("http deny list")
struct HTTPDenyListTests {
    static func document(_ url: String) -> String {
        """
        flux: 1
        name: reach
        steps:
          - id: get
            http: { method: GET, url: "\(url)" }
        output: "${{ steps.get.output.body }}"
        """
    }

    @Test(arguments: ["0.0.0.0", "0", "[::]", "0.0.0.1", "127.1", "2130706433", "0x7f000001", "[::ffff:127.0.0.1]", "localhost.", "LOCALHOST"])
    func everyFormOfThisMachineIsDenied(_ host: String) throws {
        let fixture = try HTTPFixture(token: "t")
        let flux = try FluxBinary(environment: ["FLUX_SECURITY__HTTP_DENY_HOSTS": #"["127.0.0.0/8", "::1", "localhost"]"#])
        defer { try? FileManager.default.removeItem(at: flux.directory) }
        let result = try flux.run(["run", try flux.write("reach.yaml", Self.document("http://\(host):\(fixture.port)/ok")), "--format", "json"])
        #expect(result.status == 1, "\(host): \(result.stdout) \(result.stderr)")
        let message = (try? JSONValue(parsing: result.stdout))?["output"]?["message"]?.stringValue ?? ""
        #expect(message.contains("is refused by security.http_deny_hosts"), "\(host): \(message)")

        // Nothing reached the listener: ask it, through a flux that denies nothing.
        let open = try FluxBinary()
        defer { try? FileManager.default.removeItem(at: open.directory) }
        let hits = try open.run(["run", try open.write("hits.yaml", Self.document(fixture.url("/hits"))), "--format", "json"])
        #expect(hits.status == 0, "\(hits.stderr)")
        let counted = (try? JSONValue(parsing: hits.stdout))?["output"]?["hits"]?["/ok"]
        #expect(counted == nil, "\(host) reached the listener: \(hits.stdout)")
    }

    @Test func aNameIsReachedAtTheAddressThatWasChecked() throws {
        // localhost resolves here; the client connects to the checked address (pinned), which the listener serves.
        let fixture = try HTTPFixture(token: "t")
        let flux = try FluxBinary()
        defer { try? FileManager.default.removeItem(at: flux.directory) }
        let result = try flux.run(["run", try flux.write("reach.yaml", Self.document("http://localhost:\(fixture.port)/ok")), "--format", "json"])
        #expect(result.status == 0, "\(result.stdout) \(result.stderr)")
        #expect((try? JSONValue(parsing: result.stdout))?["output"]?["ok"] == true, "\(result.stdout)")
    }
}
