import Flux
import FluxService
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// The worker protocol's routes (docs/workers.md). Registration needs `workers.bootstrap_token`; every other
/// worker route needs the session token registration answered (401 otherwise, upon which a worker registers
/// again). Each handler is one ``FluxService`` call.
struct WorkerRoutes: Sendable {
    let service: FluxService
    let coordinator: ShutdownCoordinator
    let input: RequestInput
    let bootstrap: BearerToken
    /// How often a worker's event stream sends `: ping`.
    let ping: Duration

    typealias Context = FluxRequestContext

    func register(_ request: Request, _ context: Context) async throws -> Response {
        try bootstrap.check(request)
        return JSONResponse.make(try await service.registerWorker(try await input.json(request)))
    }

    func list(_ request: Request, _ context: Context) async throws -> Response {
        let workers = try await service.listWorkers()
        return JSONResponse.make(["workers": .array(workers), "count": .int(workers.count)])
    }

    /// `GET /workers/{name}/connect`: the worker's Server-Sent Events: `connected` first, then
    /// `execution_scheduled`, `execution_resumed` and `execution_cancelled`, with `: ping` comments between.
    func connect(_ request: Request, _ context: Context) async throws -> Response {
        let worker = try await authenticate(request, context)
        let (connection, messages) = await service.connectWorker(worker)
        var headers = HTTPFields()
        headers[.contentType] = EventStream.contentType
        headers[.cacheControl] = "no-cache"
        let service = self.service
        let ping = self.ping
        let coordinator = self.coordinator
        let hello: JSONValue = ["name": .string(worker.name), "incarnation": .string(worker.incarnation),
                                "heartbeat_interval": .double(ping.seconds)]
        let body = ResponseBody { writer in
            let (frames, continuation) = AsyncStream<ByteBuffer>.makeStream()
            let token = coordinator.register { continuation.finish() }
            let producer = Task {
                continuation.yield(EventStream.frame(id: nil, event: "connected", data: hello.canonicalJSON))
                for await message in messages {
                    continuation.yield(EventStream.frame(id: nil, event: message.event, data: message.data.canonicalJSON))
                }
                continuation.finish()
            }
            let pinger = Task {
                while !Task.isCancelled {
                    try? await Task.sleep(for: ping)
                    continuation.yield(EventStream.ping)
                }
            }
            let failure = await Self.pump(frames, into: &writer)
            producer.cancel()
            pinger.cancel()
            continuation.finish()
            coordinator.unregister(token)
            await service.disconnectWorker(worker, connection: connection)
            if let failure { throw failure }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: headers, body: body)
    }

    /// Writes frames until the stream ends; returns the write error of a client that went away.
    static func pump(_ frames: AsyncStream<ByteBuffer>, into writer: inout any ResponseBodyWriter) async -> (any Error)? {
        do {
            for await frame in frames { try await writer.write(frame) }
            return nil
        } catch {
            return error
        }
    }

    func claim(_ request: Request, _ context: Context) async throws -> Response {
        let worker = try await authenticate(request, context)
        return JSONResponse.make(try await service.claim(worker: worker, executionID: try Routes.parameter(context, "execution_id")))
    }

    func checkpoint(_ request: Request, _ context: Context) async throws -> Response {
        let worker = try await authenticate(request, context)
        let executionID = try Routes.parameter(context, "execution_id")
        return JSONResponse.make(try await service.checkpoint(worker: worker, executionID: executionID, body: try await input.json(request)))
    }

    /// `POST /workers/{name}/children`: where a child execution a workflow on the worker calls runs.
    func placeChild(_ request: Request, _ context: Context) async throws -> Response {
        let worker = try await authenticate(request, context)
        return JSONResponse.make(try await service.placeChild(worker: worker, body: try await input.json(request)))
    }

    /// `POST /workers/{name}/children/{execution_id}/cancel`: the worker's parent execution is being cancelled; so is
    /// the child it waits for.
    func cancelChild(_ request: Request, _ context: Context) async throws -> Response {
        let worker = try await authenticate(request, context)
        let childID = try Routes.parameter(context, "execution_id")
        return JSONResponse.make(try await service.cancelChild(worker: worker, childID: childID, body: try await input.json(request)))
    }

    /// `POST /workers/{name}/executions`: a child execution the worker runs itself, created by its engine.
    func createExecution(_ request: Request, _ context: Context) async throws -> Response {
        let worker = try await authenticate(request, context)
        return JSONResponse.make(try await service.createChildExecution(worker: worker, body: try await input.json(request)), status: .created)
    }

    func heartbeat(_ request: Request, _ context: Context) async throws -> Response {
        let worker = try await authenticate(request, context)
        return JSONResponse.make(try await service.workerHeartbeat(worker: worker, body: try await input.json(request)))
    }

    func execution(_ request: Request, _ context: Context) async throws -> Response {
        _ = try await authenticate(request, context)
        let after = try RequestInput.integer(request, "after") ?? 0
        guard after >= 0 else { throw APIError.badRequest("after must be 0 or more, got \(after)") }
        return JSONResponse.make(try await service.workerExecution(
            executionID: try Routes.parameter(context, "execution_id"), after: after, withEvents: try RequestInput.flag(request, "events")))
    }

    func workflow(_ request: Request, _ context: Context) async throws -> Response {
        _ = try await authenticate(request, context)
        return JSONResponse.make(try await service.workerWorkflow(
            name: try Routes.parameter(context, "workflow"), version: try RequestInput.integer(request, "version")))
    }

    func cachedValue(_ request: Request, _ context: Context) async throws -> Response {
        _ = try await authenticate(request, context)
        return JSONResponse.make(try await service.workerCachedValue(key: try Routes.parameter(context, "key")))
    }

    func storeCachedValue(_ request: Request, _ context: Context) async throws -> Response {
        _ = try await authenticate(request, context)
        try await service.storeWorkerCachedValue(key: try Routes.parameter(context, "key"), body: try await input.json(request))
        return JSONResponse.make(["status": "ok"])
    }

    func secrets(_ request: Request, _ context: Context) async throws -> Response {
        let worker = try await authenticate(request, context)
        return JSONResponse.make(try await service.workerSecrets(worker: worker, body: try await input.json(request)))
    }

    /// The worker of the path, authenticated by its session token.
    private func authenticate(_ request: Request, _ context: Context) async throws -> WorkerRecord {
        let name = try Routes.parameter(context, "name")
        let token = Self.bearer(request)
        let outcome: Result<WorkerRecord, ServiceError> = await Self.authenticated(service, name: name, token: token)
        switch outcome {
        case .success(let worker): return worker
        case .failure(let error) where error.code == .unauthorized: throw APIError.unauthorized(error.message)
        case .failure(let error): throw error
        }
    }

    static func authenticated(_ service: FluxService, name: String, token: String?) async -> Result<WorkerRecord, ServiceError> {
        do { return .success(try await service.authenticateWorker(name: name, token: token)) } catch { return .failure(error) }
    }

    /// The token of an `Authorization: Bearer <token>` header.
    static func bearer(_ request: Request) -> String? {
        request.headers[.authorization].flatMap(BearerCredential.token(inAuthorization:))
    }
}
