extension WorkflowDocument {
    /// The Swift tasks the document calls with `task:` anywhere (nested steps, map bodies, fallbacks and
    /// rollbacks included): only a process that has them compiled in can run it.
    ///
    /// ```swift
    /// let needed = document.swiftTaskNames          // ["send_email"]
    /// let runsHere = needed.isSubset(of: Set(environment.tasks.keys))
    /// ```
    public var swiftTaskNames: Set<String> {
        var names = Set<String>()
        for step in steps {
            step.body.forEachBody { body in
                if case .task(let call) = body.kind { names.insert(call.name) }
            }
        }
        return names
    }
}
