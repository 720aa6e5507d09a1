import Foundation

/// Which workflows may use a secret. Registering a document that requests secrets is the operator's act (see
/// FluxService's `Caller`); a grant narrows further which of those workflows get a given secret at run time.
///
/// ```swift
/// SecretGrant.workflows(["billing", "report"]).allows("billing")   // true
/// SecretGrant.anyWorkflow.allows("anything")                       // true
/// ```
public enum SecretGrant: Sendable, Hashable {
    /// Every workflow that requests it (the default, and what a secret stored before grants existed has).
    case anyWorkflow
    /// Only these workflows, by name.
    case workflows([String])

    public func allows(_ workflow: String) -> Bool {
        switch self {
        case .anyWorkflow: return true
        case .workflows(let names): return names.contains(workflow)
        }
    }

    /// The names of a limited grant; nil for ``anyWorkflow``.
    public var workflowNames: [String]? {
        if case .workflows(let names) = self { return names }
        return nil
    }

    /// The grant of a stored `workflows` column: NULL for any workflow, else a JSON array of names.
    public init(storedColumn text: String?) throws {
        guard let text else { self = .anyWorkflow; return }
        guard let names = try? JSONValue(parsing: text).arrayValue?.map({ $0.stringValue }), !names.contains(nil) else {
            throw StoreError.corrupt("a secret's workflows column is not a JSON array of names")
        }
        self = .workflows(names.compactMap { $0 })
    }

    /// What the store keeps in the `workflows` column.
    public var storedColumn: String? {
        workflowNames.map { JSONValue.array($0.map(JSONValue.string)).canonicalJSON }
    }

    /// At least one workflow, each a name of 1 to 128 letters, digits, `_`, `-` or `.`, at most 1,000.
    public func validate() throws(SecretError) {
        guard case .workflows(let names) = self else { return }
        guard !names.isEmpty else { throw .invalidGrant("name at least one workflow, or grant the secret to any workflow") }
        guard names.count <= 1000 else { throw .invalidGrant("at most 1000 workflows") }
        for name in names {
            let ok = !name.isEmpty && name.utf8.count <= 128
                && name.unicodeScalars.allSatisfy { CharacterSet.alphanumerics.contains($0) && $0.isASCII || "_-.".unicodeScalars.contains($0) }
            if !ok { throw .invalidGrant("\(name.prefix(130).debugDescription) is not a workflow name") }
        }
    }
}

/// A secret as a ``SecretStore`` keeps it: the ciphertext (see ``SecretVault``) and its grant.
public struct SealedSecret: Sendable, Hashable {
    public var ciphertext: Data
    public var grant: SecretGrant

    public init(ciphertext: Data, grant: SecretGrant = .anyWorkflow) {
        self.ciphertext = ciphertext
        self.grant = grant
    }
}
