import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// The HTTP clients the interpreter ships with.
public enum HTTPClients {
    /// Sends requests through one AsyncHTTPClient for the whole process (on NIO's shared event loops, like
    /// AsyncHTTPClient's own `HTTPClient.shared`, so it is never shut down): no cookies, no cache, no
    /// decompression. It connects to the request's `pinnedAddress` when it has one, follows redirects itself, asking
    /// the request's `checkRedirect` before each hop (and connecting where it answers), stops
    /// reading once the body passes the limit (at once when `Content-Length` announces more), and gives up after
    /// `timeout` seconds for the whole exchange.
    public static let shared: HTTPClient = { request in
        try await AsyncHTTPTransfer(request: request, client: processClient).run()
    }

    /// The process's client: automatic redirects off (``AsyncHTTPTransfer`` follows them after checking each), and
    /// no quiet retries of a connection that could not be made. AsyncHTTPClient's default retries a refused
    /// connection with backoff until the connect timeout, so a step against a closed port failed after 30 s with
    /// "timed out"; it now fails at once with the reason, and the step's own retry options (visible, durable
    /// TASK_RETRY events) decide whether to try again.
    static let processClient = AsyncHTTPClient.HTTPClient(
        eventLoopGroup: AsyncHTTPClient.HTTPClient.defaultEventLoopGroup, configuration: configuration(pinning: [:]))

    /// The configuration of the process's client; `pinning` maps host names to the addresses to connect to
    /// (AsyncHTTPClient's `dnsOverride`, which keeps the name for TLS: SNI and certificate checks).
    static func configuration(pinning: [String: String]) -> AsyncHTTPClient.HTTPClient.Configuration {
        var pool = AsyncHTTPClient.HTTPClient.Configuration.ConnectionPool(idleTimeout: .seconds(60))
        pool.retryConnectionEstablishment = false
        var configuration = AsyncHTTPClient.HTTPClient.Configuration(
            redirectConfiguration: .disallow, timeout: .init(connect: .seconds(30)), connectionPool: pool)
        configuration.dnsOverride = pinning
        return configuration
    }
}

/// One exchange of an `http:` step: the request, then each redirect the policy lets through, then the body
/// within the size limit, all within the timeout.
struct AsyncHTTPTransfer: Sendable {
    let request: HTTPClientRequest
    let client: AsyncHTTPClient.HTTPClient

    /// Redirects followed before the exchange fails.
    static let maxRedirects = 20

    func run() async throws -> HTTPClientResponse {
        let timeout = request.timeout
        let deadline = NIODeadline.now() + .nanoseconds(Int64(max(0, timeout) * 1_000_000_000))
        return try await withThrowingTaskGroup(of: HTTPClientResponse?.self) { group in
            group.addTask { try await exchange(deadline: deadline) }
            group.addTask {
                try await Task.sleep(for: .milliseconds(Int64(max(0, timeout) * 1000)))
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let response = first else {
                throw HTTPClientError("timed out after \(Self.format(timeout)) s")
            }
            return response
        }
    }

    /// Sends the request and follows redirects, each checked before it is sent.
    func exchange(deadline: NIODeadline) async throws -> HTTPClientResponse {
        var current = request
        var redirects = 0
        while true {
            // A hop to a checked address gets a client of its own that connects only there.
            let hop = current.pinnedAddress.flatMap { address in current.url.host.map { host in
                AsyncHTTPClient.HTTPClient(eventLoopGroup: AsyncHTTPClient.HTTPClient.defaultEventLoopGroup,
                                           configuration: HTTPClients.configuration(pinning: [host: address]))
            } }
            do {
                let (response, next) = try await send(current, through: hop ?? client, deadline: deadline)
                try? await hop?.shutdown()
                if let response { return response }
                guard let next else { throw HTTPClientError("no response") }
                redirects += 1
                guard redirects <= Self.maxRedirects else {
                    throw HTTPClientError("too many HTTP redirects (more than \(Self.maxRedirects))")
                }
                current = next
            } catch {
                try? await hop?.shutdown()
                throw error
            }
        }
    }

    /// One hop: the response with its body, or the request for the next hop of a redirect the policy admits.
    func send(_ current: HTTPClientRequest, through client: AsyncHTTPClient.HTTPClient,
              deadline: NIODeadline) async throws -> (HTTPClientResponse?, HTTPClientRequest?) {
        let response: AsyncHTTPClient.HTTPClientResponse
        do {
            response = try await client.execute(Self.outgoing(current), deadline: deadline)
        } catch let error as AsyncHTTPClient.HTTPClientError where error == .deadlineExceeded {
            throw HTTPClientError("timed out after \(Self.format(request.timeout)) s")
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            throw HTTPClientError(Self.describe(error))
        }
        let status = Int(response.status.code)
        if let location = response.headers.first(name: "Location"), [301, 302, 303, 307, 308].contains(status) {
            guard let next = URL(string: location, relativeTo: current.url)?.absoluteURL else {
                throw HTTPClientError("the redirect to \(location.prefix(200)) is not a valid URL")
            }
            switch await request.checkRedirect(next) {
            case .refused(let refusal): throw HTTPClientError(refusal)
            case .admitted(let address):
                var following = Self.following(current, to: next, status: status)
                following.pinnedAddress = address
                return (nil, following)
            }
        }
        return (HTTPClientResponse(status: status, headers: Self.headers(response.headers), body: try await body(of: response)), nil)
    }

    /// The body, failing as soon as it is known to pass the limit.
    func body(of response: AsyncHTTPClient.HTTPClientResponse) async throws -> Data {
        let limit = request.maxResponseBytes
        if request.method != "HEAD", let announced = response.headers.first(name: "Content-Length").flatMap(Int.init), announced > limit {
            throw HTTPClientError("the response of \(announced) bytes exceeds the limit of \(limit) bytes")
        }
        var data = Data()
        do {
            for try await buffer in response.body {
                guard data.count + buffer.readableBytes <= limit else {
                    throw HTTPClientError("the response exceeds the limit of \(limit) bytes")
                }
                data.append(contentsOf: buffer.readableBytesView)
            }
        } catch let error as HTTPClientError {
            throw error
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            throw HTTPClientError(Self.describe(error))
        }
        return data
    }

    /// The request for the next hop: 303, and 301 or 302 after a POST, become a GET without a body (as browsers
    /// and URLSession do); credentials and cookies are not sent to another origin.
    static func following(_ request: HTTPClientRequest, to url: URL, status: Int) -> HTTPClientRequest {
        var next = request
        next.url = url
        if (status == 303 && request.method != "HEAD") || ([301, 302].contains(status) && request.method == "POST") {
            next.method = "GET"
            next.body = nil
            next.headers.removeAll { ["content-type", "content-length"].contains($0.name.lowercased()) }
        }
        let origin = { (u: URL) in [u.scheme?.lowercased(), u.host?.lowercased(), u.port.map(String.init)] }
        if origin(url) != origin(request.url) {
            next.headers.removeAll { ["authorization", "cookie", "proxy-authorization"].contains($0.name.lowercased()) }
        }
        return next
    }

    /// The request as AsyncHTTPClient takes it, with `Accept` and `User-Agent` unless the step set them.
    static func outgoing(_ request: HTTPClientRequest) -> AsyncHTTPClient.HTTPClientRequest {
        var outgoing = AsyncHTTPClient.HTTPClientRequest(url: request.url.absoluteString)
        outgoing.method = HTTPMethod(rawValue: request.method)
        for (name, value) in request.headers { outgoing.headers.add(name: name, value: value) }
        if request.header("Accept") == nil { outgoing.headers.add(name: "Accept", value: "*/*") }
        if request.header("User-Agent") == nil { outgoing.headers.add(name: "User-Agent", value: "Flux") }
        if let body = request.body { outgoing.body = .bytes(ByteBuffer(bytes: body)) }
        return outgoing
    }

    /// Response headers by name; a repeated header's values joined with `, `.
    static func headers(_ headers: HTTPHeaders) -> [String: String] {
        var out: [String: String] = [:]
        var names: [String: String] = [:]
        for (name, value) in headers {
            let key = names[name.lowercased(), default: name]
            names[name.lowercased()] = key
            out[key] = out[key].map { "\($0), \(value)" } ?? value
        }
        return out
    }

    static func format(_ seconds: Double) -> String { seconds.rounded() == seconds ? String(Int(seconds)) : String(seconds) }

    /// An error of the HTTP stack, in words.
    static func describe(_ error: any Error) -> String {
        if let error = error as? AsyncHTTPClient.HTTPClientError { return error.description }
        return String(describing: error)
    }
}
