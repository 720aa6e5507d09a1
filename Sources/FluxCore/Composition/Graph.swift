/// A workflow shaped as a directed acyclic graph of tasks with conditional edges.
///
/// The start node receives the graph's input; every other node receives the output of the node it was
/// reached from. After a node runs, its outgoing edges are tried in the order they were added and the
/// first whose condition holds (or that has none) is followed. The end node's output is the result.
///
/// ```swift
/// let graph = try Graph("review")
///     .add(node: "score", task: score)
///     .add(node: "approve", task: approve)
///     .add(node: "reject", task: reject)
///     .edge(from: "score", to: "approve") { $0.intValue ?? 0 >= 5 }
///     .edge(from: "score", to: "reject")
///     .edge(from: "approve", to: "done").edge(from: "reject", to: "done")
///     .add(node: "done", task: summarize)
///     .start(at: "score").end(at: "done")
///     .validated()
/// let result = try await graph.run(input)
/// ```
public struct Graph: Sendable {
    public struct Edge: Sendable {
        public let from: String
        public let to: String
        public let condition: (@Sendable (JSONValue) -> Bool)?
    }

    public let name: String
    public private(set) var nodes: [String: TaskDefinition] = [:]
    public private(set) var nodeOrder: [String] = []
    public private(set) var edges: [Edge] = []
    public private(set) var startNode: String?
    public private(set) var endNode: String?

    public init(_ name: String) {
        self.name = name
    }

    public func add(node: String, task: TaskDefinition) -> Graph {
        var g = self
        if g.nodes[node] == nil { g.nodeOrder.append(node) }
        g.nodes[node] = task
        return g
    }

    public func add<I, O>(node: String, task: FluxTask<I, O>) -> Graph {
        add(node: node, task: task.definition)
    }

    public func edge(from: String, to: String, when condition: (@Sendable (JSONValue) -> Bool)? = nil) -> Graph {
        var g = self
        g.edges.append(Edge(from: from, to: to, condition: condition))
        return g
    }

    public func start(at node: String) -> Graph {
        var g = self
        g.startNode = node
        return g
    }

    public func end(at node: String) -> Graph {
        var g = self
        g.endNode = node
        return g
    }

    /// Checks the graph: start and end set and defined, edges between defined nodes, no cycle, every node
    /// reachable from the start, the end reachable.
    public func validate() throws(GraphError) {
        guard let start = startNode else { throw .noStart(graph: name) }
        guard let end = endNode else { throw .noEnd(graph: name) }
        for node in [start, end] where nodes[node] == nil { throw .unknownNode(graph: name, node: node) }
        for edge in edges {
            for node in [edge.from, edge.to] where nodes[node] == nil { throw .unknownNode(graph: name, node: node) }
        }
        var adjacency: [String: [String]] = [:]
        for edge in edges { adjacency[edge.from, default: []].append(edge.to) }
        // Cycle detection by depth-first search with colours.
        var colour: [String: Int] = [:]  // 1 visiting, 2 done
        func visit(_ node: String, _ path: [String]) throws(GraphError) {
            colour[node] = 1
            for next in adjacency[node] ?? [] {
                if colour[next] == 1 { throw .cycle(graph: name, path: path + [node, next]) }
                if colour[next] == nil { try visit(next, path + [node]) }
            }
            colour[node] = 2
        }
        for node in nodeOrder where colour[node] == nil { try visit(node, []) }
        var reachable: Set<String> = [start]
        var frontier = [start]
        while let node = frontier.popLast() {
            for next in adjacency[node] ?? [] where reachable.insert(next).inserted { frontier.append(next) }
        }
        let unreachable = nodeOrder.filter { !reachable.contains($0) }
        if !unreachable.isEmpty { throw .unreachable(graph: name, nodes: unreachable) }
        if !reachable.contains(end) { throw .endUnreachable(graph: name) }
    }

    /// Returns the graph after ``validate()`` passed.
    public func validated() throws(GraphError) -> Graph {
        try validate()
        return self
    }

    /// Runs the graph from the start node to the end node.
    public func run(_ input: JSONValue) async throws -> JSONValue {
        try validate()
        guard let start = startNode, let end = endNode else { throw GraphError.noStart(graph: name) }
        var current = start
        var value = input
        while true {
            guard let task = nodes[current] else { throw GraphError.unknownNode(graph: name, node: current) }
            value = try await task.invoke(arguments: value)
            if current == end { return value }
            let output = value
            guard let next = edges.first(where: { $0.from == current && ($0.condition?(output) ?? true) }) else {
                throw GraphError.noMatchingEdge(graph: name, node: current)
            }
            current = next.to
        }
    }
}

/// What is wrong with a graph.
public enum GraphError: Error, Sendable, Hashable, CustomStringConvertible {
    case noStart(graph: String)
    case noEnd(graph: String)
    case unknownNode(graph: String, node: String)
    case cycle(graph: String, path: [String])
    case unreachable(graph: String, nodes: [String])
    case endUnreachable(graph: String)
    case noMatchingEdge(graph: String, node: String)

    public var description: String {
        switch self {
        case .noStart(let g): return "graph \(g) has no start node: call start(at:)"
        case .noEnd(let g): return "graph \(g) has no end node: call end(at:)"
        case .unknownNode(let g, let n): return "graph \(g) refers to node \(n), which is not defined"
        case .cycle(let g, let path): return "graph \(g) has a cycle: \(path.joined(separator: " -> "))"
        case .unreachable(let g, let nodes): return "graph \(g) has nodes no path from the start reaches: \(nodes.joined(separator: ", "))"
        case .endUnreachable(let g): return "graph \(g): no path leads from the start node to the end node"
        case .noMatchingEdge(let g, let n): return "graph \(g) stopped at node \(n): no outgoing edge's condition held"
        }
    }
}
