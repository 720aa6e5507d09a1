import Foundation

/// The JSON forms in which a server and its remote workers exchange execution rows, events and commits
/// (the worker protocol). Times are Unix seconds (numbers), so they travel without loss or date parsing.
///
/// ```swift
/// let body = WireFormat.commit(commit)                        // worker side
/// let commit = try WireFormat.commit(from: body, executionID: id)   // server side
/// ```
public enum WireFormat {
    /// Why a wire value was refused; the message names the field.
    public struct Malformed: Error, Sendable, Hashable, CustomStringConvertible {
        public let message: String
        public init(_ message: String) { self.message = message }
        public var description: String { message }
    }

    // MARK: - Execution rows

    public static func record(_ r: ExecutionRecord) -> JSONValue {
        [
            "execution_id": .string(r.id), "workflow_name": .string(r.workflowName), "workflow_version": .int(r.workflowVersion),
            "state": .string(r.state.rawValue), "input": r.input, "output": r.output,
            "owner": r.owner.map(JSONValue.string) ?? .null, "claim_generation": .int(r.claimGeneration),
            "lease_expires_at": r.leaseExpiresAt.map { .double($0.timeIntervalSince1970) } ?? .null,
            "last_sequence": .int(r.lastSequence),
            "created_at": .double(r.createdAt.timeIntervalSince1970), "updated_at": .double(r.updatedAt.timeIntervalSince1970),
        ]
    }

    public static func record(from json: JSONValue) throws(Malformed) -> ExecutionRecord {
        ExecutionRecord(
            id: try string(json, "execution_id"), workflowName: try string(json, "workflow_name"),
            workflowVersion: try int(json, "workflow_version"), state: try state(json, "state"),
            input: json["input"] ?? .null, output: json["output"] ?? .null, owner: json["owner"]?.stringValue,
            claimGeneration: try int(json, "claim_generation"),
            leaseExpiresAt: json["lease_expires_at"]?.doubleValue.map(Date.init(timeIntervalSince1970:)),
            lastSequence: try int(json, "last_sequence"),
            createdAt: Date(timeIntervalSince1970: json["created_at"]?.doubleValue ?? 0),
            updatedAt: Date(timeIntervalSince1970: json["updated_at"]?.doubleValue ?? 0))
    }

    // MARK: - Events

    public static func event(_ e: ExecutionEvent) -> JSONValue {
        [
            "id": .string(e.id), "type": .string(e.type.rawValue), "source_id": .string(e.sourceID), "name": .string(e.name),
            "value": e.value, "time": .double(e.time.timeIntervalSince1970), "sequence": .int(e.sequence),
        ]
    }

    /// Largest sequence number accepted from the wire.
    public static let maxSequence = 1 << 40

    public static func event(from json: JSONValue) throws(Malformed) -> ExecutionEvent {
        guard json.objectValue != nil else { throw Malformed("an event must be an object") }
        let typeName = try string(json, "type")
        guard let type = EventType(rawValue: typeName) else { throw Malformed("unknown event type \(typeName)") }
        let sequence = try int(json, "sequence")
        guard (1...maxSequence).contains(sequence) else { throw Malformed("event sequence must be from 1 to \(maxSequence), got \(sequence)") }
        guard let time = json["time"]?.doubleValue, time.isFinite else { throw Malformed("event \(sequence) needs a numeric time") }
        let id = try string(json, "id")
        let sourceID = try string(json, "source_id")
        let name = try string(json, "name")
        for (field, text) in [("id", id), ("source_id", sourceID), ("name", name)] where text.utf8.count > 1024 {
            throw Malformed("event \(sequence): \(field) is longer than 1024 bytes")
        }
        return ExecutionEvent(id: id, type: type, sourceID: sourceID, name: name, value: json["value"] ?? .null,
                              time: Date(timeIntervalSince1970: time), sequence: sequence)
    }

    /// ``events(from:)`` for a write: the sequence numbers must increase.
    public static func orderedEvents(from json: JSONValue?) throws(Malformed) -> [ExecutionEvent] {
        let events = try events(from: json)
        var previous = 0
        for e in events {
            guard e.sequence > previous else { throw Malformed("event sequences must increase (\(e.sequence) after \(previous))") }
            previous = e.sequence
        }
        return events
    }

    public static func events(from json: JSONValue?) throws(Malformed) -> [ExecutionEvent] {
        guard let json else { return [] }
        guard let array = json.arrayValue else { throw Malformed("events must be an array") }
        var result: [ExecutionEvent] = []
        result.reserveCapacity(array.count)
        for item in array { result.append(try event(from: item)) }
        return result
    }

    // MARK: - Commits (checkpoints)

    /// The body of a checkpoint: `{claim_generation, events, [state], [output], [expected_states], release}`.
    public static func commit(_ c: ExecutionCommit) -> JSONValue {
        var object: [String: JSONValue] = [
            "events": .array(c.events.map(event)), "release": .bool(c.releaseOwnership),
        ]
        if let generation = c.claimGeneration { object["claim_generation"] = .int(generation) }
        if let state = c.state { object["state"] = .string(state.rawValue) }
        if let output = c.output { object["output"] = output }
        if let expected = c.expectedStates { object["expected_states"] = .array(expected.map(\.rawValue).sorted().map(JSONValue.string)) }
        return .object(object)
    }

    /// Reads a checkpoint body. The claim generation is required; events must have increasing sequence numbers.
    public static func commit(from json: JSONValue, executionID: String) throws(Malformed) -> ExecutionCommit {
        guard json.objectValue != nil else { throw Malformed("the checkpoint must be a JSON object with claim_generation and events") }
        guard let generation = json["claim_generation"]?.intValue else {
            throw Malformed("the checkpoint needs claim_generation, the integer the claim answered")
        }
        let events = try orderedEvents(from: json["events"])
        var state: ExecutionState?
        if let raw = json["state"], raw != .null { state = try Self.state(json, "state") }
        var expected: Set<ExecutionState>?
        if let raw = json["expected_states"], raw != .null {
            guard let names = raw.arrayValue else { throw Malformed("expected_states must be an array of states") }
            var set = Set<ExecutionState>()
            for name in names {
                guard let text = name.stringValue, let s = ExecutionState(name: text) else { throw Malformed("expected_states holds an unknown state") }
                set.insert(s)
            }
            expected = set
        }
        var release = false
        if let raw = json["release"], raw != .null {
            guard let flag = raw.boolValue else { throw Malformed("release must be true or false") }
            release = flag
        }
        return ExecutionCommit(executionID: executionID, events: events, state: state, output: json["output"],
                               expectedStates: expected, claimGeneration: generation, releaseOwnership: release)
    }

    // MARK: - Fields

    static func string(_ json: JSONValue, _ key: String) throws(Malformed) -> String {
        guard let value = json[key]?.stringValue else { throw Malformed("\(key) must be a string") }
        return value
    }

    static func int(_ json: JSONValue, _ key: String) throws(Malformed) -> Int {
        guard let value = json[key]?.intValue else { throw Malformed("\(key) must be an integer") }
        return value
    }

    static func state(_ json: JSONValue, _ key: String) throws(Malformed) -> ExecutionState {
        let name = try string(json, key)
        guard let state = ExecutionState(name: name) else { throw Malformed("\(key) is not a state: \(name)") }
        return state
    }
}
