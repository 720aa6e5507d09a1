import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Synchronization

/// One Server-Sent Events frame: its event name and data (comments such as `: ping` come as `ping` frames, so
/// a reader can tell the stream is alive).
struct EventFrame: Sendable, Hashable {
    var event: String
    var data: String
}

/// Reads a Server-Sent Events response as it arrives, through a URLSession data delegate (swift-corelibs-foundation
/// hands a delegate each chunk as curl receives it; `bytes(for:)` is not available there).
enum EventStreamReader {
    /// The frames of `request`'s response. The stream fails on a non-2xx status (with the status), on a broken
    /// connection, and when nothing (not even a ping) arrives for `idleTimeout`; cancelling the consumer closes it.
    static func frames(_ request: URLRequest, idleTimeout: TimeInterval) -> AsyncThrowingStream<EventFrame, any Error> {
        let (stream, continuation) = AsyncThrowingStream<EventFrame, any Error>.makeStream()
        let delegate = Delegate(continuation: continuation)
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = idleTimeout
        configuration.timeoutIntervalForResource = 365 * 24 * 3600
        // A session of its own: swift-corelibs-foundation ignores per-task delegates.
        let session = URLSession(configuration: configuration, delegate: delegate, delegateQueue: nil)
        let task = session.dataTask(with: request)
        continuation.onTermination = { _ in
            task.cancel()
            session.invalidateAndCancel()
        }
        task.resume()
        return stream
    }

    /// The HTTP status of a refused stream.
    struct Refused: Error, Sendable {
        let status: Int
        let body: String
    }

    final class Delegate: NSObject, URLSessionDataDelegate, @unchecked Sendable {
        private struct State {
            var parser = SSEParser()
            var status: Int?
            var errorBody = Data()
        }

        let continuation: AsyncThrowingStream<EventFrame, any Error>.Continuation
        private let state = Mutex(State())

        init(continuation: AsyncThrowingStream<EventFrame, any Error>.Continuation) {
            self.continuation = continuation
        }

        func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
                        completionHandler: @escaping (URLSession.ResponseDisposition) -> Void) {
            let status = (response as? HTTPURLResponse)?.statusCode ?? 0
            state.withLock { $0.status = status }
            completionHandler(.allow)
        }

        func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
            let frames: [EventFrame] = state.withLock { s in
                if let status = s.status, !(200..<300).contains(status) {
                    if s.errorBody.count < 65_536 { s.errorBody.append(data) }
                    return []
                }
                return s.parser.feed(data)
            }
            for frame in frames { continuation.yield(frame) }
        }

        func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: (any Error)?) {
            let (status, body) = state.withLock { ($0.status, $0.errorBody) }
            if let status, !(200..<300).contains(status) {
                continuation.finish(throwing: Refused(status: status, body: String(decoding: body, as: UTF8.self)))
            } else if let error {
                continuation.finish(throwing: error)
            } else {
                continuation.finish()
            }
            session.finishTasksAndInvalidate()
        }
    }
}
