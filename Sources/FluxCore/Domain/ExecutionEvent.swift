import Foundation

/// One fact in an execution's history. Events are only ever appended.
///
/// `sourceID` is the workflow's source id (`<workflow>_<execution id>`) for WORKFLOW_* events and
/// the task id for TASK_* events; `sequence` orders the events of one execution from 1.
public struct ExecutionEvent: Sendable, Hashable, Codable {
    public var id: String
    public var type: EventType
    public var sourceID: String
    public var name: String
    public var value: JSONValue
    public var time: Date
    public var sequence: Int

    public init(id: String, type: EventType, sourceID: String, name: String, value: JSONValue = .null, time: Date = Date(), sequence: Int) {
        self.id = id
        self.type = type
        self.sourceID = sourceID
        self.name = name
        self.value = value
        self.time = time
        self.sequence = sequence
    }

    enum CodingKeys: String, CodingKey {
        case id, type, sourceID = "source_id", name, value, time, sequence
    }

    /// The event as the APIs show it: `{id, type, source_id, name, value, time}` with an ISO-8601 UTC time.
    public var json: JSONValue {
        [
            "id": .string(id), "type": .string(type.rawValue), "source_id": .string(sourceID), "name": .string(name),
            "value": value, "time": .string(Timestamp.format(time)), "sequence": .int(sequence),
        ]
    }
}

/// UTC timestamps in ISO 8601 with milliseconds, formatted without Foundation's slow formatters.
public enum Timestamp {
    public static func format(_ date: Date) -> String {
        let ms = Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
        let seconds = ms >= 0 ? ms / 1000 : (ms - 999) / 1000
        let millis = Int(ms - seconds * 1000)
        var days = Int(seconds >= 0 ? seconds / 86400 : (seconds - 86399) / 86400)
        let secOfDay = Int(seconds - Int64(days) * 86400)
        // Civil from days (Howard Hinnant's algorithm).
        days += 719468
        let era = (days >= 0 ? days : days - 146096) / 146097
        let doe = days - era * 146097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
        var y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        if m <= 2 { y += 1 }
        func pad(_ v: Int, _ n: Int) -> String {
            let s = String(v)
            return s.count >= n ? s : String(repeating: "0", count: n - s.count) + s
        }
        return "\(pad(y, 4))-\(pad(m, 2))-\(pad(d, 2))T\(pad(secOfDay / 3600, 2)):\(pad(secOfDay / 60 % 60, 2)):\(pad(secOfDay % 60, 2)).\(pad(millis, 3))Z"
    }

    /// Parses what `format` writes (and plain ISO 8601 without fractions).
    public static func parse(_ text: String) -> Date? {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let d = f.date(from: text) { return d }
        f.formatOptions = [.withInternetDateTime]
        return f.date(from: text)
    }
}
