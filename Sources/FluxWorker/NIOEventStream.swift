import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// Reads an `http://` Server-Sent Events stream on SwiftNIO (already linked for the server).
///
/// swift-corelibs URLSession streams SSE through a data delegate, but while such a response stays open its libcurl
/// socket source keeps dispatch busy (an idle worker burned 50-75% of a core), so the long-lived connect stream
/// uses one plain NIO connection instead. `https://` servers still go through URLSession (``EventStreamReader``).
enum NIOEventStream {
    /// The frames of `GET url` with `headers`; fails on a non-2xx status (``EventStreamReader/Refused``), a broken
    /// connection, or `idleTimeout` without a byte; cancelling the consumer closes the connection.
    static func frames(url: URL, headers: [(String, String)], idleTimeout: TimeInterval) -> AsyncThrowingStream<EventFrame, any Error> {
        let (stream, continuation) = AsyncThrowingStream<EventFrame, any Error>.makeStream()
        guard let host = url.host else {
            continuation.finish(throwing: URLError(.badURL))
            return stream
        }
        let port = url.port ?? 80
        var target = url.path.isEmpty ? "/" : url.path
        if let query = url.query { target += "?" + query }
        let channelBox = Mutex<(channel: (any Channel)?, cancelled: Bool)>((nil, false))
        continuation.onTermination = { _ in
            let channel = channelBox.withLock { box -> (any Channel)? in
                box.cancelled = true
                return box.channel
            }
            channel?.close(promise: nil)
        }
        let timeout = TimeAmount.milliseconds(Int64(idleTimeout * 1000))
        let bootstrap = ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(.seconds(10))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(IdleStateHandler(readTimeout: timeout))
                    try channel.pipeline.syncOperations.addHandler(SSEHandler(continuation: continuation))
                }
            }
        bootstrap.connect(host: host, port: port).whenComplete { result in
            switch result {
            case .failure(let error):
                continuation.finish(throwing: error)
            case .success(let channel):
                let cancelled = channelBox.withLock { box -> Bool in
                    box.channel = channel
                    return box.cancelled
                }
                if cancelled {
                    channel.close(promise: nil)
                    return
                }
                var head = HTTPRequestHead(version: .http1_1, method: .GET, uri: target)
                head.headers.add(name: "Host", value: url.port.map { "\(host):\($0)" } ?? host)
                head.headers.add(name: "Accept", value: "text/event-stream")
                for (name, value) in headers { head.headers.add(name: name, value: value) }
                channel.write(HTTPClientRequestPart.head(head), promise: nil)
                channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
            }
        }
        return stream
    }

    /// Turns the response into frames on the event loop.
    final class SSEHandler: ChannelInboundHandler {
        typealias InboundIn = HTTPClientResponsePart

        let continuation: AsyncThrowingStream<EventFrame, any Error>.Continuation
        private var parser = SSEParser()
        private var status = 0
        private var errorBody = ""

        init(continuation: AsyncThrowingStream<EventFrame, any Error>.Continuation) {
            self.continuation = continuation
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let head):
                status = Int(head.status.code)
            case .body(let buffer):
                if (200..<300).contains(status) {
                    for frame in parser.feed(buffer.readableBytesView) { continuation.yield(frame) }
                } else if errorBody.utf8.count < 65_536 {
                    errorBody += String(buffer: buffer)
                }
            case .end:
                if (200..<300).contains(status) {
                    continuation.finish()
                } else {
                    continuation.finish(throwing: EventStreamReader.Refused(status: status, body: errorBody))
                }
                context.close(promise: nil)
            }
        }

        func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
            if event is IdleStateHandler.IdleStateEvent {
                continuation.finish(throwing: URLError(.timedOut))
                context.close(promise: nil)
                return
            }
            context.fireUserInboundEventTriggered(event)
        }

        func channelInactive(context: ChannelHandlerContext) {
            continuation.finish(throwing: URLError(.networkConnectionLost))
            context.fireChannelInactive()
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            continuation.finish(throwing: error)
            context.close(promise: nil)
        }
    }
}
