import FluxCore
import Foundation
import Logging
import MCP

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// MCP over standard input and output: one JSON-RPC message per line. Unlike the SDK's `StdioTransport` it
/// reads with a blocking thread in large chunks (a multi-megabyte line costs linear time), caps the line
/// length, answers malformed messages itself through ``MessageGuard``, and writes without blocking the
/// concurrency pool.
public actor StdioLineTransport: Transport {
    public nonisolated let logger: Logger
    private let input: Int32
    private let output: Int32
    private let messageGuard: MessageGuard
    private let incoming: AsyncThrowingStream<Data, any Error>
    private let incomingContinuation: AsyncThrowingStream<Data, any Error>.Continuation
    private let writer = DispatchQueue(label: "flux.mcp.stdio.writer")
    private var connected = false
    private var initialized = false
    private var pump: Task<Void, Never>?

    public init(input: Int32 = 0, output: Int32 = 1, maxMessageBytes: Int = 4 << 20, logger: Logger = Logger(label: "flux.mcp.stdio")) {
        self.input = input
        self.output = output
        self.logger = logger
        messageGuard = MessageGuard(maxBytes: maxMessageBytes)
        (incoming, incomingContinuation) = AsyncThrowingStream.makeStream()
    }

    enum Line: Sendable {
        case message(Data)
        case oversized(Int)
    }

    public func connect() async throws {
        guard !connected else { return }
        connected = true
        signal(SIGPIPE, SIG_IGN)
        let (lines, continuation) = AsyncStream<Line>.makeStream()
        // Backpressure: the reader stops reading stdin while 256 lines wait to be checked, so a client that
        // writes faster than the server reads fills its pipe instead of this process's memory.
        let permits = DispatchSemaphore(value: 256)
        let fd = input
        let limit = messageGuard.maxBytes
        let thread = Thread {
            Self.readLines(fd: fd, limit: limit) { line in
                permits.wait()
                continuation.yield(line)
            }
            continuation.finish()
        }
        thread.name = "flux.mcp.stdin"
        thread.start()
        pump = Task { [weak self] in
            for await line in lines {
                permits.signal()
                guard let self else { return }
                await self.accept(line)
            }
            await self?.finishIncoming()
        }
    }

    private func finishIncoming() {
        logger.debug("standard input closed")
        incomingContinuation.finish()
    }

    private func accept(_ line: Line) async {
        switch line {
        case .oversized(let size):
            try? await send(MessageGuard.error(id: .null, code: -32600,
                                               "Invalid Request: the message has \(size) bytes, more than the limit of \(messageGuard.maxBytes)"))
        case .message(let data):
            switch messageGuard.check(data, initialized: initialized) {
            case .forward(let kind):
                if case .request(_, "initialize", _) = kind { initialized = true }
                incomingContinuation.yield(data)
            case .reject(let response):
                try? await send(response)
            case .drop(let reason):
                logger.debug("dropped a message: \(reason)")
            }
        }
    }

    public func disconnect() async {
        connected = false
        pump?.cancel()
        incomingContinuation.finish()
    }

    public func send(_ data: Data) async throws {
        var buffer = data
        buffer.append(UInt8(ascii: "\n"))
        let framed = buffer
        let fd = output
        let written: Bool = await withCheckedContinuation { continuation in
            writer.async {
                continuation.resume(returning: Self.writeAll(fd: fd, framed))
            }
        }
        if !written { throw MCPError.connectionClosed }
    }

    public func receive() -> AsyncThrowingStream<Data, any Error> {
        incoming
    }

    // MARK: - Blocking I/O off the concurrency pool

    /// Reads `fd` until end of file, yielding each non-empty line (without its `\n` or `\r\n`).
    /// A line longer than `limit` is skipped up to its end and reported as `.oversized`.
    static func readLines(fd: Int32, limit: Int, emit: (Line) -> Void) {
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        var pending: [UInt8] = []
        var discarded = 0
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                break
            }
            if count == 0 { break }
            var start = 0
            for index in 0..<count where chunk[index] == UInt8(ascii: "\n") {
                if discarded > 0 {
                    emit(.oversized(discarded + index - start))
                    discarded = 0
                } else {
                    pending.append(contentsOf: chunk[start..<index])
                    if pending.last == UInt8(ascii: "\r") { pending.removeLast() }
                    if !pending.allSatisfy({ $0 == 32 || $0 == 9 }) { emit(.message(Data(pending))) }
                }
                pending.removeAll(keepingCapacity: pending.count < (1 << 20))
                start = index + 1
            }
            if discarded > 0 {
                discarded += count - start
            } else {
                pending.append(contentsOf: chunk[start..<count])
                if pending.count > limit {
                    discarded = pending.count
                    pending = []
                }
            }
        }
        if !pending.isEmpty, discarded == 0 { emit(.message(Data(pending))) }
    }

    static func writeAll(fd: Int32, _ data: Data) -> Bool {
        data.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let n = write(fd, buffer.baseAddress?.advanced(by: offset), buffer.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    if errno == EAGAIN { usleep(1000); continue }
                    return false
                }
                offset += n
            }
            return true
        }
    }
}
