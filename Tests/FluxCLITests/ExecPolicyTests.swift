import FluxCore
import Foundation
import Testing

/// `exec` grants commands, not programs (hostile review, point 5): with `git` allowed, any uploader ran
/// `git -c 'alias.x=!id' x`; a step's `env: {LD_PRELOAD: …}` reached the loader.
@Suite("exec policy")
struct ExecPolicyTests {
    static let aliasTrick = """
        flux: 1
        name: git_alias
        steps:
          - id: x
            exec:
              command: git
              args: ["-c", "alias.x=!echo pwned-$((6*7))", "x"]
        output: "${{ steps.x.output.stdout }}"
        """

    static func run(_ allowlist: String, _ document: String, name: String = "doc.yaml") throws -> (FluxBinary.Result, JSONValue?) {
        let flux = try FluxBinary(environment: ["FLUX_SECURITY__EXEC_ALLOWLIST": allowlist])
        defer { try? FileManager.default.removeItem(at: flux.directory) }
        let result = try flux.run(["run", try flux.write(name, document), "--format", "json"])
        return (result, try? JSONValue(parsing: result.stdout))
    }

    @Test func anEntryWithArgumentsRefusesOtherArguments() throws {
        let (result, summary) = try Self.run(#"["git status", "git log"]"#, Self.aliasTrick)
        #expect(result.status == 1, "\(result.stdout) \(result.stderr)")
        #expect(!result.stdout.contains("pwned-42"))
        let message = summary?["output"]?["message"]?.stringValue ?? ""
        #expect(message.contains("grants git only with the arguments its entries begin with (status; log)"), "\(message)")
    }

    @Test func aBareProgramEntryStillAllowsEveryArgumentAsDocumented() throws {
        // The reason docs/security.md warns against listing git (and interpreters, find, tar, env) bare.
        let (result, _) = try Self.run(#"["git"]"#, Self.aliasTrick)
        #expect(result.status == 0 && result.stdout.contains("pwned-42"), "\(result.stdout) \(result.stderr)")
    }

    @Test func anEntryForOneWorkflowIsRefusedToAnother() throws {
        let (result, summary) = try Self.run(#"["nightly: git -c *"]"#, Self.aliasTrick)
        #expect(result.status == 1)
        let message = summary?["output"]?["message"]?.stringValue ?? ""
        #expect(message.contains("does not grant it to workflow git_alias"), "\(message)")
        let (allowed, _) = try Self.run(#"["git_alias: git -c * x"]"#, Self.aliasTrick)
        #expect(allowed.status == 0 && allowed.stdout.contains("pwned-42"), "\(allowed.stderr)")
    }

    @Test(arguments: ["LD_PRELOAD", "ld_library_path", "DYLD_INSERT_LIBRARIES", "PATH", "GIT_CONFIG_COUNT", "BASH_ENV", "PYTHONSTARTUP"])
    func aStepCannotSetVariablesThatSteerTheLoaderOrTheProgram(_ variable: String) throws {
        let document = """
            flux: 1
            name: env_trick
            steps:
              - id: x
                exec:
                  command: git
                  args: ["status"]
                  env: {\(variable): /tmp/evil}
            """
        let (result, _) = try Self.run(#"["git status"]"#, document)
        #expect(result.status == 2, "refused when the document is checked: \(result.stderr)")
        #expect(result.stderr.contains("doc.yaml:8:") && result.stderr.contains("exec env may not set \(variable)"), "\(result.stderr)")
    }

    @Test func variablesBuiltByAnExpressionAreCheckedWhenTheStepRuns() throws {
        let document = """
            flux: 1
            name: env_expression
            steps:
              - id: vars
                set: {LD_PRELOAD: /tmp/evil.so}
              - id: x
                exec:
                  command: git
                  args: ["--version"]
                  env: "${{ steps.vars.output }}"
            """
        let (result, summary) = try Self.run(#"["git --version"]"#, document)
        #expect(result.status == 1, "\(result.stdout) \(result.stderr)")
        let message = summary?["output"]?["message"]?.stringValue ?? ""
        #expect(message.contains("exec env may not set LD_PRELOAD"), "\(message)")
    }
}
