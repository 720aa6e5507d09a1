import FluxCore
import Logging
import ServiceLifecycle

/// Passes on what the store's change feed reports of commits made by other processes, as a ServiceLifecycle
/// service of `flux start server`: server replicas on one PostgreSQL database learn of each other's work through
/// LISTEN/NOTIFY instead of polling.
///
/// For each change it wakes this process's waiters on that execution (sync runs and resumes, event streams, MCP
/// sync tools), and tells the ``WorkerDispatcher`` when there may be something for it: a new execution (CREATED,
/// SCHEDULED), a resume or a cancellation (RESUMING, CANCELLING), or an offer this process made of an execution
/// that has moved on since, claimed by a worker of another replica say (so the slot it kept for it frees at once).
///
/// Only a store whose feed reports other processes' commits (PostgreSQL) gets a relay: on SQLite the feed
/// reports this process's own commits, which it acts on already, so ``init(service:logger:)`` returns nil.
/// The relay subscribes when it is made, so make it before the dispatcher's first pass reads the store.
///
/// ```swift
/// var services: [any Service] = [httpServer, WorkerDispatcher(service: service)]
/// if let relay = StoreChangeRelay(service: service) { services.append(relay) }
/// ```
public struct StoreChangeRelay: Service {
    let service: FluxService
    let changes: AsyncStream<ExecutionChange>
    let logger: Logger

    /// Subscribes to the store's change feed; nil when the store's feed does not report other processes.
    /// A relay runs once: its subscription is consumed by ``run()``.
    public init?(service: FluxService, logger: Logger = Logger(label: "flux.changes")) {
        guard let feed = service.store as? any ExecutionChangeFeed, feed.reportsOtherProcesses else { return nil }
        self.service = service
        self.changes = feed.changes()
        self.logger = logger
    }

    /// Relays until the service group shuts down or the store's feed ends (the store was closed).
    public func run() async throws {
        logger.debug("relaying the store's change feed to waiters and the dispatcher")
        await cancelWhenGracefulShutdown {
            for await change in changes {
                service.engine.notifyChange(executionID: change.executionID)
                await service.storeChanged(change)
            }
        }
    }
}

extension FluxService {
    /// What a change made by any process on the store means for this process's dispatcher.
    func storeChanged(_ change: ExecutionChange) async {
        guard case .workers = placement else { return }
        switch change.state {
        case .created, .scheduled:
            dispatchSignal.fire()
        case .resuming, .cancelling:
            // Active executions are looked at in the dispatcher's active scan: make the next pass do one.
            activeScanRequested.withLock { $0 = true }
            dispatchSignal.fire()
        case .claimed, .running, .paused, .completed, .failed, .cancelled:
            if await workers.withdrawOffer(change.executionID, now: change.state) { dispatchSignal.fire() }
        }
    }
}
