import Foundation
import Synchronization

/// The SSE frames of one open stream on their way to the HTTP response writer, bounded in bytes.
///
/// The writer waits whenever the client's socket is full, so frames for a client that does not read pile up in
/// memory. Every frame yielded counts as unsent until the writer reports it taken (``taken(_:)``, once
/// `ResponseBodyWriter.write` returned). A frame is always accepted while nothing is unsent, however large; when
/// one would bring the unsent bytes past `limit`, the stream ends with ``Overflow`` instead, and the caller drops
/// the client (``MCPHTTPHandler/sseBody(_:heartbeat:onEnd:)`` then closes the connection at once, even while a
/// write is waiting).
///
/// ```swift
/// let frames = BoundedFrameStream(limit: 8 << 20)
/// if let overflow = frames.yield(frame) { logger.notice("dropped: \(overflow)") }
/// for try await frame in frames { try await writer.write(ByteBuffer(bytes: frame)); frames.taken(frame.count) }
/// ```
final class BoundedFrameStream: AsyncSequence, Sendable {
    typealias Element = Data
    typealias AsyncIterator = AsyncThrowingStream<Data, any Error>.AsyncIterator

    /// How a stream whose client does not read ends.
    struct Overflow: Error, CustomStringConvertible {
        /// The bytes not taken yet, the refused frame included.
        let unsent: Int
        let limit: Int
        var description: String {
            "the client has not read \(unsent) bytes of its stream, more than mcp.max_unsent_bytes (\(limit)): it does not read"
        }
    }

    let limit: Int
    private let stream: AsyncThrowingStream<Data, any Error>
    private let continuation: AsyncThrowingStream<Data, any Error>.Continuation
    /// Bytes yielded and not yet taken; set to nil once the stream overflowed (nothing more is counted).
    private let unsent = Mutex<Int?>(0)

    /// A stream that ends with ``Overflow`` past `limit` unsent bytes; `onTermination` runs once it ends, however.
    init(limit: Int, onTermination: (@Sendable () -> Void)? = nil) {
        self.limit = Swift.max(1, limit)
        (stream, continuation) = AsyncThrowingStream.makeStream()
        if let onTermination { continuation.onTermination = { _ in onTermination() } }
    }

    /// Queues `frame` for the writer. Returns the overflow when this frame is the one that passed the limit (the
    /// stream has then ended with it, and the frame was not queued); nil otherwise.
    @discardableResult
    func yield(_ frame: Data) -> Overflow? {
        let overflow: Overflow? = unsent.withLock { unsent in
            guard let pending = unsent else { return nil }
            if pending > 0, pending + frame.count > limit {
                unsent = nil
                return Overflow(unsent: pending + frame.count, limit: limit)
            }
            if case .enqueued = continuation.yield(frame) { unsent = pending + frame.count }
            return nil
        }
        if let overflow { continuation.finish(throwing: overflow) }
        return overflow
    }

    /// The writer has taken `count` bytes of the frames yielded.
    func taken(_ count: Int) {
        unsent.withLock { unsent in
            if let pending = unsent { unsent = Swift.max(0, pending - count) }
        }
    }

    /// Bytes yielded and not taken yet (nil once overflowed).
    var unsentBytes: Int? { unsent.withLock { $0 } }

    /// Ends the stream normally (after the frames already queued).
    func finish() { continuation.finish() }

    /// Ends the stream with `error`, as an overflow does: its writer stops at once, even in the middle of a write.
    func abort(_ error: any Error) {
        unsent.withLock { $0 = nil }
        continuation.finish(throwing: error)
    }

    func makeAsyncIterator() -> AsyncIterator { stream.makeAsyncIterator() }
}
