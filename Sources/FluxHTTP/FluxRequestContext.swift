import Hummingbird
import NIOCore

/// The request context of the REST API: Hummingbird's core storage plus the address of the client, which the
/// per-client limits (``ClientLimits``) are keyed on.
struct FluxRequestContext: RequestContext, RemoteAddressRequestContext {
    var coreContext: CoreRequestContextStorage
    let remoteAddress: SocketAddress?

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }

    /// The client's IP address (its Unix socket path, or `unknown`), without the port: one client, many connections.
    var clientKey: String { remoteAddress?.ipAddress ?? remoteAddress?.pathname ?? "unknown" }
}
