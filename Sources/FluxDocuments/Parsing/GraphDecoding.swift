import FluxCore

extension DocumentDecoder {
    /// Graph checks are quadratic in the node count; this keeps them fast.
    static let maxGraphNodes = 1_000

    mutating func decodeGraph(_ node: SourceNode, _ path: DocumentPath, _ scope: Scope) -> StepKind? {
        guard let entries = node.entries else {
            report(node, path, "expected {nodes: {…}, edges: […], start: <node>, end: <node>}, found \(node.foundDescription)")
            return nil
        }
        checkKeys(entries, allowed: ["nodes", "edges", "start", "end"], path: path, what: "a graph")
        guard let nodesNode = node.value("nodes") else {
            report(node, path / "nodes", "missing required key \"nodes\": an object of node id to step")
            return nil
        }
        guard let nodeEntries = nodesNode.entries, !nodeEntries.isEmpty else {
            report(nodesNode, path / "nodes", "expected a non-empty object of node id to step, found \(nodesNode.foundDescription)")
            return nil
        }
        if nodeEntries.count > Self.maxGraphNodes {
            report(nodesNode, path / "nodes", "a graph may have at most \(Self.maxGraphNodes) nodes, found \(nodeEntries.count)")
            return nil
        }
        let ids = nodeEntries.map(\.key)
        let index = Dictionary(ids.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
        var ok = true

        func nodeName(_ value: SourceNode?, _ p: DocumentPath, role: String, decoder: inout DocumentDecoder) -> String? {
            guard let value else { return nil }
            guard let s = value.scalar?.value.stringValue else {
                decoder.report(value, p, "expected a node id, found \(value.foundDescription)")
                return nil
            }
            guard index[s] != nil else {
                var message = "\(role) \"\(s)\" is not a node of this graph"
                if let suggestion = Suggestion.closest(to: s, in: ids) { message += "; did you mean \"\(suggestion)\"?" }
                else { message += " (nodes: \(ids.joined(separator: ", ")))" }
                decoder.report(value, p, message)
                return nil
            }
            return s
        }

        let start = nodeName(node.value("start"), path / "start", role: "start", decoder: &self)
        let end = nodeName(node.value("end"), path / "end", role: "end", decoder: &self)
        if node.value("start") == nil { report(node, path / "start", "missing required key \"start\": the node to begin with"); ok = false }
        if node.value("end") == nil { report(node, path / "end", "missing required key \"end\": the node whose output is the graph's output"); ok = false }
        if start == nil || end == nil { ok = false }

        // Edges: from, to and the raw `when`, compiled once the nodes are known.
        struct RawEdge {
            var from: Int
            var to: Int
            var when: SourceNode?
            var path: DocumentPath
        }
        var edges: [RawEdge] = []
        if let edgesNode = node.value("edges") {
            if let items = edgesNode.items {
                for (i, item) in items.enumerated() {
                    let p = path / "edges" / i
                    guard let edgeEntries = item.entries else {
                        report(item, p, "expected an edge {from: <node>, to: <node>, when?: <condition>}, found \(item.foundDescription)")
                        ok = false
                        continue
                    }
                    checkKeys(edgeEntries, allowed: ["from", "to", "when"], path: p, what: "a graph edge")
                    if item.value("from") == nil { report(item, p / "from", "missing required key \"from\""); ok = false }
                    if item.value("to") == nil { report(item, p / "to", "missing required key \"to\""); ok = false }
                    let from = nodeName(item.value("from"), p / "from", role: "from", decoder: &self)
                    let to = nodeName(item.value("to"), p / "to", role: "to", decoder: &self)
                    if let when = item.value("when"), when.scalar?.value.boolValue == nil,
                       when.scalar?.value.stringValue?.contains("${{") != true {
                        report(when, p / "when", "expected a condition: an expression such as \"${{ output.ok }}\" or true/false, found \(when.foundDescription)")
                        ok = false
                    }
                    guard let from, let to else { ok = false; continue }
                    if from == to {
                        report(item, p, "edge from \"\(from)\" to itself: a graph may not have cycles")
                        ok = false
                        continue
                    }
                    edges.append(RawEdge(from: index[from]!, to: index[to]!, when: item.value("when"), path: p))
                }
            } else {
                report(edgesNode, path / "edges", "expected a list of edges, found \(edgesNode.foundDescription)")
                ok = false
            }
        }

        // Structure: cycles, reachability, a path to the end. All iterative, so large graphs cannot exhaust the stack.
        let n = ids.count
        var successors = Array(repeating: [Int](), count: n)
        var predecessors = Array(repeating: [Int](), count: n)
        for e in edges {
            successors[e.from].append(e.to)
            predecessors[e.to].append(e.from)
        }
        var indegree = predecessors.map(\.count)
        var topological: [Int] = []
        var ready = (0..<n).filter { indegree[$0] == 0 }
        while !ready.isEmpty {
            let v = ready.removeFirst()
            topological.append(v)
            for w in successors[v] {
                indegree[w] -= 1
                if indegree[w] == 0 { ready.append(w) }
            }
        }
        var inCycle = Set<Int>()
        if topological.count < n {
            ok = false
            let remaining = Set(0..<n).subtracting(topological)
            // Every remaining node has a predecessor among the remaining ones: walk backwards until one repeats.
            var v = remaining.min()!
            var seen: [Int: Int] = [:]
            var walk: [Int] = []
            while seen[v] == nil {
                seen[v] = walk.count
                walk.append(v)
                guard let p = predecessors[v].first(where: { remaining.contains($0) }) else { break }
                v = p
            }
            var cycle = Array(walk[(seen[v] ?? 0)...].reversed())
            // Start the cycle at its first node in document order.
            let first = cycle.firstIndex(of: cycle.min()!)!
            cycle = Array(cycle[first...] + cycle[..<first])
            cycle.append(cycle[0])
            inCycle = Set(cycle)
            let names = cycle.map { ids[$0] }.joined(separator: " → ")
            report(nodeEntries[cycle[0]].keyNode, path / "nodes" / ids[cycle[0]], "the graph has a cycle: \(names); graphs must be acyclic")
        }
        if let start, let startIndex = index[start] {
            if !predecessors[startIndex].isEmpty {
                let from = ids[predecessors[startIndex][0]]
                report(node.value("start"), path / "start", "start node \"\(start)\" has an incoming edge from \"\(from)\"; the start node must have none")
                ok = false
            }
            var reachable = Set([startIndex])
            var queue = [startIndex]
            while let v = queue.popLast() {
                for w in successors[v] where !reachable.contains(w) {
                    reachable.insert(w)
                    queue.append(w)
                }
            }
            for v in 0..<n where !reachable.contains(v) && !inCycle.contains(v) {
                report(nodeEntries[v].keyNode, path / "nodes" / ids[v], "graph node \"\(ids[v])\" cannot be reached from start \"\(start)\"")
                ok = false
            }
            if let end, let endIndex = index[end], !reachable.contains(endIndex) {
                report(node.value("end"), path / "end", "no path of edges leads from start \"\(start)\" to end \"\(end)\"")
                ok = false
            }
        }

        // Nodes: decoded in topological order so each sees the outputs of the nodes upstream of it.
        var ancestorSets: [Int: Set<Int>] = [:]
        func ancestors(of v: Int) -> Set<Int> {
            var out = Set<Int>()
            var queue = [v]
            while let x = queue.popLast() {
                for p in predecessors[x] where !out.contains(p) {
                    out.insert(p)
                    queue.append(p)
                }
            }
            return out
        }
        var decoded: [Int: Step] = [:]
        let decodeOrder = topological + (0..<n).filter { !topological.contains($0) }
        for v in decodeOrder {
            let upstream = ancestors(of: v)
            ancestorSets[v] = upstream
            let visibleIDs = upstream.sorted().compactMap { decoded[$0] }.flatMap(Self.exported)
            show(visibleIDs)
            let entry = nodeEntries[v]
            if let step = decodeStep(entry.value, path: path / "nodes" / entry.key, scope: scope, graphID: (entry.key, entry.keyNode)) {
                decoded[v] = step
            } else {
                ok = false
            }
            hide(visibleIDs)
        }

        var graphEdges: [GraphEdge] = []
        for e in edges {
            var edge = GraphEdge(from: ids[e.from], to: ids[e.to])
            if let when = e.when {
                let upstream = (ancestorSets[e.from] ?? []).union([e.from])
                let visibleIDs = upstream.sorted().compactMap { decoded[$0] }.flatMap(Self.exported)
                show(visibleIDs)
                var inner = scope
                inner.output = true
                if let b = when.scalar?.value.boolValue {
                    edge.when = .literal(.bool(b))
                } else {
                    edge.when = template(when, e.path / "when", inner)
                }
                hide(visibleIDs)
            }
            graphEdges.append(edge)
        }
        guard ok, let start, let end, decoded.count == n else { return nil }
        return .graph(GraphStep(nodes: (0..<n).map { decoded[$0]! }, edges: graphEdges, start: start, end: end))
    }
}
