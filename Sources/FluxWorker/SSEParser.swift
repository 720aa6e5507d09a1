import Foundation

/// Splits a Server-Sent Events byte stream into frames as the bytes arrive, in any chunking. A comment line
/// (`: ping`) comes out as a `ping` frame, so a reader knows the stream is alive.
///
/// ```swift
/// var parser = SSEParser()
/// for frame in parser.feed(Array("event: x\ndata: {}\n\n".utf8)) { print(frame.event) }   // x
/// ```
struct SSEParser: Sendable {
    private var pending: [UInt8] = []
    private var event = "message"
    private var data: [String] = []

    mutating func feed(_ bytes: some Sequence<UInt8>) -> [EventFrame] {
        pending.append(contentsOf: bytes)
        var out: [EventFrame] = []
        var start = 0
        while let newline = pending[start...].firstIndex(of: UInt8(ascii: "\n")) {
            var line = String(decoding: pending[start..<newline], as: UTF8.self)
            start = newline + 1
            if line.hasSuffix("\r") { line.removeLast() }
            if line.isEmpty {
                if !data.isEmpty { out.append(EventFrame(event: event, data: data.joined(separator: "\n"))) }
                event = "message"
                data = []
            } else if line.hasPrefix(":") {
                out.append(EventFrame(event: "ping", data: ""))
            } else if line.hasPrefix("event:") {
                event = line.dropFirst("event:".count).trimmingCharacters(in: .whitespaces)
            } else if line.hasPrefix("data:") {
                var value = String(line.dropFirst("data:".count))
                if value.hasPrefix(" ") { value.removeFirst() }
                data.append(value)
            }
        }
        pending.removeFirst(start)
        return out
    }
}
