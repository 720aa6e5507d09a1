import FluxCore
import Logging
import PostgresNIO

/// The LISTEN side of the change feed: one dedicated connection (a pool connection would be handed to
/// other queries) that listens on the schema's channel and publishes what the trigger announces.
/// When the connection drops it reconnects with exponential backoff; changes committed meanwhile are
/// not replayed (the feed is a hint, see ``ExecutionChangeFeed``).
enum PostgresChangeListener {
    /// The channel is this prefix and the schema holding the tables (`flux_changes_public`).
    static let channelPrefix = "flux_changes_"

    /// Listens until the task is cancelled. `ready` is called once, when the first LISTEN is in place or
    /// the first attempt has failed.
    static func run(first: PostgresConnection, channel: String, reconnect: @Sendable () async throws -> PostgresConnection,
                    feed: ExecutionChangeBroadcaster, logger: Logger, ready: @Sendable () -> Void) async {
        var pending: PostgresConnection? = first
        var delay = Duration.milliseconds(100)
        var announcedReady = false
        while !Task.isCancelled {
            do {
                let connection: PostgresConnection
                if let first = pending {
                    connection = first
                    pending = nil
                } else {
                    connection = try await reconnect()
                }
                do {
                    try await connection.listen(on: channel) { notifications in
                        if !announcedReady {
                            announcedReady = true
                            ready()
                        }
                        delay = .milliseconds(100)
                        for try await notification in notifications {
                            if let change = parse(notification.payload) {
                                feed.publish(change)
                            } else {
                                logger.warning("ignored a malformed change notification on \(channel): \(notification.payload)")
                            }
                        }
                    }
                } catch {
                    try? await connection.close()
                    throw error
                }
                try? await connection.close()
            } catch {
                if Task.isCancelled { break }
                // A first LISTEN that fails must not hold up connect(): the store works without its feed
                // while this loop keeps retrying.
                if !announcedReady {
                    announcedReady = true
                    ready()
                }
                logger.warning("the PostgreSQL change feed lost its connection; reconnecting in \(delay): \(PostgresStore.describe(error))")
            }
            if Task.isCancelled { break }
            try? await Task.sleep(for: delay)
            delay = min(delay * 2, .seconds(5))
        }
        if !announcedReady { ready() }
    }

    /// Reads the trigger's payload, `<id> <STATE> <last sequence>` (read from the end: an id may hold spaces).
    static func parse(_ payload: String) -> ExecutionChange? {
        let parts = payload.split(separator: " ", omittingEmptySubsequences: false)
        guard parts.count >= 3, let sequence = Int(parts[parts.count - 1]),
              let state = ExecutionState(rawValue: String(parts[parts.count - 2]))
        else { return nil }
        return ExecutionChange(executionID: parts.dropLast(2).joined(separator: " "), state: state, lastSequence: sequence)
    }
}
