import FluxCore
import Foundation
import Testing

@Suite("flux command line")
struct CLITests {
    @Test func runADocumentInOneStep() throws {
        let flux = try FluxBinary()
        let result = try flux.run(["run", FluxBinary.examples.appendingPathComponent("hello_world.yaml").path, "World", "--format", "json"])
        #expect(result.status == 0, "\(result.stderr)")
        let summary = try JSONValue(parsing: result.stdout)
        #expect(summary["state"] == "COMPLETED")
        #expect(summary["output"] == "Hello, World")
        #expect(FileManager.default.fileExists(atPath: flux.directory.appendingPathComponent(".flux/flux.db").path))
    }

    @Test func registerListShowAndVersions() throws {
        let flux = try FluxBinary()
        let path = try flux.write("greet.yaml", """
            flux: 1
            name: greet
            description: Says hi
            steps:
              - id: hi
                set: "hi ${{ input }}"
            """)
        #expect(try flux.run(["workflow", "register", path]).stdout.contains("registered greet version 1"))
        #expect(try flux.run(["workflow", "register", path]).stdout.contains("version 1"), "same content is not a new version")
        _ = try flux.write("greet.yaml", """
            flux: 1
            name: greet
            description: Says hello
            steps:
              - id: hi
                set: "hello ${{ input }}"
            """)
        #expect(try flux.run(["workflow", "register", path]).stdout.contains("version 2"))
        let list = try flux.run(["workflow", "list", "--format", "json"])
        let workflows = try JSONValue(parsing: list.stdout)
        #expect(workflows[0]?["name"] == "greet" && workflows[0]?["version"] == 2 && workflows[0]?["description"] == "Says hello")
        let show = try JSONValue(parsing: try flux.run(["workflow", "show", "greet", "--format", "json"]).stdout)
        #expect(show["versions"] == [1, 2])
        let old = try JSONValue(parsing: try flux.run(["workflow", "run", "greet", "you", "--version", "1", "--format", "json"]).stdout)
        #expect(old["output"] == "hi you")
        let new = try JSONValue(parsing: try flux.run(["workflow", "run", "greet", "you", "--format", "json"]).stdout)
        #expect(new["output"] == "hello you")
    }

    @Test func pauseResumeAndExitCodes() throws {
        let flux = try FluxBinary()
        let path = try flux.write("approve.yaml", """
            flux: 1
            name: approve
            steps:
              - id: ask
                pause: approval
              - id: answer
                set: "approved=${{ steps.ask.output.ok }}"
            output: "${{ steps.answer.output }}"
            """)
        _ = try flux.run(["workflow", "register", path])
        let paused = try flux.run(["workflow", "run", "approve", "--format", "json"])
        #expect(paused.status == 3)
        let summary = try JSONValue(parsing: paused.stdout)
        #expect(summary["state"] == "PAUSED" && summary["pause"]?["name"] == "approval")
        let id = try #require(summary["execution_id"]?.stringValue)
        let resumed = try flux.run(["workflow", "resume", "approve", id, #"{"ok": true}"#, "--format", "json"])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(try JSONValue(parsing: resumed.stdout)["output"] == "approved=true")
        let again = try flux.run(["workflow", "resume", "approve", id, "{}"])
        #expect(again.status == 2)
        #expect(again.stderr.contains("not PAUSED"))
    }

    @Test func failedRunExitsWithOneAndInvalidDocumentWithTwo() throws {
        let flux = try FluxBinary()
        let bad = try flux.write("bad.yaml", "flux: 1\nname: Bad Name\nsteps: []\n")
        let result = try flux.run(["workflow", "register", bad])
        #expect(result.status == 2)
        #expect(result.stderr.contains("bad.yaml:2"))
        let failing = try flux.write("fail.yaml", """
            flux: 1
            name: fail
            steps:
              - id: boom
                set: "${{ input.missing.deeper }}"
            """)
        let run = try flux.run(["run", failing, "{}", "--format", "json"])
        #expect(run.status == 1)
        #expect(try JSONValue(parsing: run.stdout)["state"] == "FAILED")
        let unknown = try flux.run(["workflow", "status", "nope", "0123"])
        #expect(unknown.status == 2)
    }

    @Test func streamModePrintsEventsAsTheyHappen() throws {
        let flux = try FluxBinary()
        let result = try flux.run(["run", FluxBinary.examples.appendingPathComponent("hello_world.yaml").path, "World", "--mode", "stream", "--format", "json"])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        let types = lines.dropLast().compactMap { try? JSONValue(parsing: $0)["type"]?.stringValue }
        #expect(types.first == "WORKFLOW_STARTED" && types.last == "WORKFLOW_COMPLETED")
        #expect(try JSONValue(parsing: lines.last ?? "")["state"] == "COMPLETED")
    }

    @Test func asyncModeReturnsAtOnceAndTheRunFinishesInTheBackground() async throws {
        let flux = try FluxBinary()
        let path = try flux.write("nap.yaml", """
            flux: 1
            name: nap
            steps:
              - id: rest
                builtin: sleep
                with: { seconds: 0.3 }
              - id: done
                set: rested
            output: "${{ steps.done.output }}"
            """)
        _ = try flux.run(["workflow", "register", path])
        let started = try flux.run(["workflow", "run", "nap", "--mode", "async", "--format", "json"])
        #expect(started.status == 0)
        let id = try #require(try JSONValue(parsing: started.stdout)["execution_id"]?.stringValue)
        var state = ""
        // A bound on a wait, generous enough for a busy machine; not a claim about speed.
        let deadline = ContinuousClock.now + .seconds(300)
        while ContinuousClock.now < deadline {
            let status = try JSONValue(parsing: try flux.run(["workflow", "status", "nap", id, "--format", "json"]).stdout)
            state = status["state"]?.stringValue ?? ""
            if state == "COMPLETED" { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(state == "COMPLETED")
    }

    @Test func secretsAreStoredEncryptedAndNeverPrintedByList() throws {
        let flux = try FluxBinary(environment: ["FLUX_SECURITY__ENCRYPTION_KEY": "cli-test-key-0123456789"])
        #expect(try flux.run(["secrets", "set", "API_KEY", "-"], stdin: "s3cr3t-value-xyz\n").status == 0)
        let list = try flux.run(["secrets", "list"])
        #expect(list.stdout.contains("API_KEY") && !list.stdout.contains("s3cr3t"))
        #expect(try flux.run(["secrets", "get", "API_KEY", "--yes"]).stdout == "s3cr3t-value-xyz\n")
        let db = try Data(contentsOf: flux.directory.appendingPathComponent(".flux/flux.db"))
        let wal = (try? Data(contentsOf: flux.directory.appendingPathComponent(".flux/flux.db-wal"))) ?? Data()
        #expect(db.range(of: Data("s3cr3t-value-xyz".utf8)) == nil && wal.range(of: Data("s3cr3t-value-xyz".utf8)) == nil)
        #expect(try flux.run(["secrets", "remove", "API_KEY"]).status == 0)
        #expect(try flux.run(["secrets", "remove", "API_KEY"]).status == 2)
        let noKey = try FluxBinary()
        let refused = try noKey.run(["secrets", "set", "X", "y"])
        #expect(refused.status != 0 && refused.stderr.contains("encryption_key"))
    }
}
