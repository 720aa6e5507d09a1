import Foundation

/// One entry of `security.exec_allowlist`: which program a workflow may run, and with which arguments.
///
/// An entry is whitespace-separated words. An optional first word ending in `:` names the only workflow the entry is
/// for; the next word is the program (a bare name found on PATH, or a path); the words after it are the arguments
/// every run must begin with, `*` standing for any one argument; anything may follow them. An entry with no argument
/// words allows every argument, which for many programs means running anything (docs/security.md).
///
/// ```swift
/// let grant = ExecGrant("report: git status")!
/// grant.names(workflow: "report", program: "git", resolved: "/usr/bin/git")   // true; for workflow "other": false
/// grant.allows(arguments: ["status", "--short"])                              // true
/// grant.allows(arguments: ["-c", "alias.x=!id", "x"])                         // false
/// ```
struct ExecGrant: Sendable, Hashable {
    /// The only workflow the entry is for, or nil for every workflow.
    let workflow: String?
    let program: String
    /// What the arguments must begin with; nil stands for any one argument.
    let argumentPrefix: [String?]

    init?(_ entry: String) {
        var words = entry.split(whereSeparator: \.isWhitespace).map(String.init)
        if let first = words.first, first.hasSuffix(":"), first.count > 1 {
            workflow = String(first.dropLast())
            words.removeFirst()
        } else {
            workflow = nil
        }
        guard let program = words.first else { return nil }
        self.program = program
        argumentPrefix = words.dropFirst().map { $0 == "*" ? nil : $0 }
    }

    /// Whether the entry names `program` (as written in the step, resolved to `resolved`) for `workflow`.
    func names(workflow name: String, program command: String, resolved: String?) -> Bool {
        if let workflow, workflow != name { return false }
        if program.contains("/") {
            // A path allows exactly that file, written as the path or found on PATH.
            guard let resolved else { return false }
            return URL(fileURLWithPath: resolved).standardizedFileURL.path == URL(fileURLWithPath: program).standardizedFileURL.path
        }
        // A bare name allows the program of that name found on PATH, not a path that ends in it.
        return !command.contains("/") && program == command
    }

    func allows(arguments: [String]) -> Bool {
        guard arguments.count >= argumentPrefix.count else { return false }
        return zip(argumentPrefix, arguments).allSatisfy { wanted, given in wanted == nil || wanted == given }
    }
}
