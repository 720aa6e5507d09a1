import FluxCore

/// One `call:` step of a workflow: the workflow it calls and where the step is.
public struct CallSite: Sendable, Hashable {
    public var workflow: String
    public var location: DocumentLocation
}

extension WorkflowDocument {
    /// The `call:` steps of this workflow, nested ones included (container steps, map bodies, fallbacks and
    /// rollbacks), in document order.
    ///
    /// ```swift
    /// document.calls.map(\.workflow)   // ["review", "notify"]
    /// ```
    public var calls: [CallSite] {
        var out: [CallSite] = []
        for step in steps {
            step.body.forEachBody { body in
                if case .call(let call) = body.kind { out.append(CallSite(workflow: call.workflow, location: body.location)) }
            }
        }
        return out
    }

    /// The first cycle of calls that starts at a `call:` step of this workflow and comes back to it, or nil.
    /// `callsOf` answers the workflows another workflow calls (nil when unknown, as for Swift workflows, which
    /// end the search there). Each workflow is visited once, so the search is linear in the calls reachable.
    ///
    /// ```swift
    /// if let cycle = try await document.callCycle(callsOf: { name in catalog[name] }) {
    ///     cycle.path   // ["a", "b", "a"]
    /// }
    /// ```
    public func callCycle(callsOf: (String) async throws -> [String]?) async rethrows -> (site: CallSite, path: [String])? {
        var explored: Set<String> = []
        for site in calls {
            // Depth-first from the called workflow, with an explicit stack (the chain of calls so far).
            var chain: [(name: String, next: [String], index: Int)] = []
            func enter(_ name: String) async throws -> Bool {
                if name == self.name { return true }
                guard !explored.contains(name) else { return false }
                explored.insert(name)
                chain.append((name, try await callsOf(name) ?? [], 0))
                return false
            }
            if try await enter(site.workflow) { return (site, [self.name, site.workflow]) }
            while let top = chain.last {
                guard top.index < top.next.count else {
                    chain.removeLast()
                    continue
                }
                chain[chain.count - 1].index += 1
                if try await enter(top.next[top.index]) {
                    return (site, [self.name] + chain.map(\.name) + [self.name])
                }
            }
        }
        return nil
    }
}
