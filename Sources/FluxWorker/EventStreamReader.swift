import AsyncHTTPClient
import NIOCore
import Synchronization

/// One Server-Sent Events frame: its event name and data (comments such as `: ping` come as `ping` frames, so
/// a reader can tell the stream is alive).
package struct EventFrame: Sendable, Hashable {
    package var event: String
    package var data: String
}

/// Reads a Server-Sent Events response as it arrives, over http or https, through AsyncHTTPClient: the body comes
/// as a sequence of buffers on NIO's event loop, each fed to an ``SSEParser``.
///
/// ```swift
/// var request = HTTPClientRequest(url: "http://127.0.0.1:8000/workers/w1/connect")
/// request.headers.add(name: "Accept", value: "text/event-stream")
/// for try await frame in EventStreamReader.frames(request, client: client, idleTimeout: .seconds(20)) { print(frame.event) }
/// ```
package enum EventStreamReader {
    /// The frames of `request`'s response. The stream fails on a non-2xx status (``Refused``), on a broken
    /// connection, and when nothing (not even a ping) arrives for `idleTimeout` (``Idle``); it ends when the server
    /// ends the response. Cancelling the consumer closes the connection.
    package static func frames(_ request: HTTPClientRequest, client: HTTPClient,
                               idleTimeout: Duration?) -> AsyncThrowingStream<EventFrame, any Error> {
        let (stream, continuation) = AsyncThrowingStream<EventFrame, any Error>.makeStream()
        let task = Task {
            do {
                try await read(request, client: client, idleTimeout: idleTimeout) { continuation.yield($0) }
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }

    /// The HTTP status of a refused stream, with the start of its body.
    package struct Refused: Error, Sendable {
        package let status: Int
        package let body: String
    }

    /// Nothing arrived for the idle timeout.
    package struct Idle: Error, Sendable, CustomStringConvertible {
        package let timeout: Duration
        package var description: String { "no event or ping from the server for \(timeout)" }
    }

    /// Reads the response, handing each frame to `yield`, while a watchdog fails the read once it goes idle.
    static func read(_ request: HTTPClientRequest, client: HTTPClient, idleTimeout: Duration?,
                     yield: @escaping @Sendable (EventFrame) -> Void) async throws {
        let lastActivity = Activity()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                let response = try await client.execute(request, deadline: .distantFuture)
                lastActivity.touch()
                let status = Int(response.status.code)
                guard (200..<300).contains(status) else {
                    throw Refused(status: status, body: try await errorBody(response.body))
                }
                var parser = SSEParser()
                for try await buffer in response.body {
                    lastActivity.touch()
                    for frame in parser.feed(buffer.readableBytesView) { yield(frame) }
                }
            }
            if let idleTimeout {
                group.addTask {
                    while true {
                        let deadline = lastActivity.last + idleTimeout
                        if ContinuousClock.now >= deadline { throw Idle(timeout: idleTimeout) }
                        try await Task.sleep(until: deadline)
                    }
                }
            }
            // The first child to end decides: the response ended (or failed), or the watchdog fired.
            try await group.next()
            group.cancelAll()
        }
    }

    /// When the stream last showed life.
    final class Activity: Sendable {
        private let instant = Mutex(ContinuousClock.now)
        var last: ContinuousClock.Instant { instant.withLock { $0 } }
        func touch() { instant.withLock { $0 = .now } }
    }

    /// The first 64 KiB of an error answer, as text.
    static func errorBody(_ body: HTTPClientResponse.Body) async throws -> String {
        var text = ByteBuffer()
        for try await var buffer in body {
            text.writeBuffer(&buffer)
            if text.readableBytes >= 65_536 { break }
        }
        return String(buffer: text)
    }
}
